"""Who holds a stance: the speaker a passage attributes its statement to (pure).

News rarely asserts on its own account: "NSC spokesman John Kirby told reporters that ...",
"according to U.S. officials", "Iran's foreign ministry denied ...". :func:`voices` finds
those speakers with the reporting verb that introduces each (asserting, denying or hedging);
:func:`holder` picks the one who holds a given stance, or :data:`OUTLET` when the passage
says nothing about who speaks.

Reading is by patterns of reported speech, not by a parser:

- ``X said`` / ``X told reporters`` / ``X denied`` (with auxiliaries and adverbs between:
  "Tehran has repeatedly denied"), where X is the noun phrase just before the verb, past an
  apposition ("Fars, seen as close to the army, reported"; "Vasyl Maliuk, head of Ukraine's
  Security Service, said" keeps the title) or a reduced relative clause ("A study drawing on
  records from nine countries found", "Official figures released on Tuesday show"), and never
  a preposition's object in a relative clause ("The company that made the blade that broke
  off Nantucket says": the company);
- ``..., said X`` and ``"...," X said`` after a quotation;
- ``according to X``; ``a spokesman for X``; ``X's spokesman``;
- ``X did Y, saying ...`` (a participle after a comma speaks for its clause's subject) and
  ``..., with spokesman X saying ...`` (X speaks for the body the sentence names before);
- verdicts: only a court, a jury or a judge speaks by them; an acquittal or an overturning
  denies, a conviction or a ruling upheld asserts ("A jury in Salem acquitted ..."), and a
  passive participle names nobody ("Port chief convicted in Lisbon");
- a headline's ``X: ...`` (:func:`headline_speaker`; never a label or a place).

Pronouns ("he said") name nobody: the holder then comes from the passage before, if given.
A speaker inside what a sentence's closing source reports ("The United States urged China ...,
the White House's John Kirby said") or in a subordinate clause ("After Britain told ...") is an
*aside* (:attr:`Voice.aside`): the main speaker is preferred to it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from monitor.judge.aliases import COUNTRIES
from monitor.judge.passages import ABBREVIATED, MIDDLE_INITIAL
from monitor.types import Stance

OUTLET = "the outlet"
MAX_PASSAGE = 2000  # characters read: attribution is for quotes, not whole articles
_DOT = "\u2024"  # stands for the dot of an abbreviation while patterns split on dots
_ABBREVIATION = re.compile(
    rf"\b(?:[A-Z]\.){{2,}}|\b(?:{ABBREVIATED})\.|\b\w+\.(?:org|com|net|gov|int)\b|"
    rf"{MIDDLE_INITIAL}(?=\s+[A-Z])"
)
MAX_HOLDER_WORDS = 9
MAX_HOLDER_CHARS = 120


class Act(StrEnum):
    """What a reporting verb does with the statement it introduces."""

    ASSERTS = "asserts"
    DENIES = "denies"
    HEDGES = "hedges"


_VERBS: dict[Act, tuple[str, ...]] = {
    Act.DENIES: (
        "denied", "denies", "deny", "denying", "rejected", "rejects", "dismissed", "dismisses",
        "refuted", "refutes", "disputed", "disputes", "rebuffed", "called false", "contradicted",
        "pushed back", "rebutted", "repudiated", "disavowed", "retracted", "corrected",
        "pleaded not guilty", "pleads not guilty", "pleaded innocent", "rejecting",
        "dismissing", "disputing", "refuting",
    ),
    Act.HEDGES: (
        "could not confirm", "couldn't confirm", "cannot confirm", "can't confirm",
        "could not verify", "declined to comment", "declined to confirm", "would not confirm",
        "did not confirm", "questioned", "cautioned", "suspects", "speculated", "speculates",
        "wonders", "wondered",
    ),
    Act.ASSERTS: (
        "said", "says", "say", "told", "tells", "stated", "states", "announced", "announces",
        "confirmed", "confirms", "added", "adds", "claimed", "claims", "alleged", "alleges",
        "reported", "reports", "wrote", "writes", "noted", "notes", "warned", "warns",
        "insisted", "insists", "acknowledged", "acknowledges", "maintained", "maintains",
        "accused", "accuses", "argued", "argues", "revealed", "reveals", "estimated",
        "estimates", "concluded", "concludes", "found", "finds", "assessed", "assesses",
        "explained", "disclosed", "asserted", "asserts", "testified", "declared", "tweeted",
        "posted", "briefed", "rated", "rates", "ruled", "rules", "judged",
        "spoke", "speaking", "repeated", "repeats", "reiterated", "reiterates", "stressed",
        "stresses", "emphasised", "emphasized", "indicated", "suggested", "contended",
        "affirmed", "admitted", "admits", "conceded", "concedes", "recalled", "blamed",
        "blames", "charged", "called", "calls", "described", "urged", "vowed", "pledged",
        "promised", "condemned", "criticised", "criticized", "predicted", "forecast",
        "projected", "observed", "recorded", "measured", "showed", "shows", "calculated",
        "predict", "predicts", "predicting", "expect", "expects", "anticipated",
        "anticipates", "forecasts", "testifying", "testify", "testifies",
        "pleaded guilty", "pleads guilty", "classified", "classifies",
        "believes", "believe", "tell", "telling", "show", "find", "conclude", "argue", "warn",
        "insist", "allege", "acknowledge", "reaffirmed", "reaffirms", "saying", "warning",
        "adding", "insisting", "arguing", "noting", "stating", "claiming", "alleging",
        "accusing", "citing", "describing", "declaring", "announcing", "explaining",
        "stressing", "confirming", "acknowledging", "maintaining", "asserting",
    ),
}  # fmt: skip
# What a court does with a charge: an acquittal or an overturning denies it, a conviction or a
# ruling upheld asserts it. Only a court, a jury or a judge speaks by these verbs ("Crews
# cleared the road" names no speaker).
_VERDICTS: dict[Act, tuple[str, ...]] = {
    Act.DENIES: (
        "acquitted", "acquits", "acquit", "acquitting", "cleared", "clears", "clearing",
        "overturned", "overturns", "overturning", "quashed", "quashes", "quashing",
        "struck down", "strikes down", "striking down", "threw out", "throws out",
        "vacated", "vacates", "reversed", "reverses",
    ),
    Act.ASSERTS: (
        "convicted", "convicts", "convicting", "sentenced", "sentences", "sentencing",
        "upheld", "upholds", "upholding", "jailed", "jails",
    ),
}  # fmt: skip
_VERDICT_VERBS = frozenset(verb for verbs in _VERDICTS.values() for verb in verbs)
_COURT = re.compile(
    r"\b(?:jury|juries|jurors|court|courts|judge|judges|justice|justices|tribunal|panel|"
    r"magistrates?|bench)\b",
    re.I,
)
# A participle with no object is passive: "Port chief convicted in Lisbon", "Nurse found not
# guilty", "Ex-official charged with spying": its subject says nothing.
_PASSIVE_VERBS = _VERDICT_VERBS | {"accused", "charged", "blamed"}
_PASSIVE_AFTER = re.compile(r"\s+(?:of|in|for|on|over|after|by|at|to|with)\b")
_BY = re.compile(r"\s+by\b")
_OWNED = re.compile(r"\w(?:'s|’s|s'|s’)\s+$")
_FOUND_STATE = re.compile(r"\s+(?:not\s+)?(?:guilty|innocent|liable|dead)\b")
_ACT_OF = {
    verb: act for table in (_VERBS, _VERDICTS) for act, verbs in table.items() for verb in verbs
}
_VERB = "|".join(sorted((re.escape(v).replace(r"\ ", r"\s+") for v in _ACT_OF), key=len)[::-1])
# Between the speaker and the verb: auxiliaries and adverbs ("has repeatedly", "on Monday").
_BETWEEN = """has have had also again always repeatedly previously earlier already flatly firmly
    strongly publicly swiftly quickly later then since long consistently vehemently categorically
    immediately officially however separately too both each all jointly will"""
_BETWEEN_WORDS = frozenset(_BETWEEN.split())
# "Prosecutors spent five hours telling jurors ...": how long, between speaker and verb.
_SPENT = (
    r"spen[dt]s?\s+(?:nearly\s+|about\s+|almost\s+|over\s+)?(?:\w+\s+)?(?:hours|days|weeks|months)"
)
_SPENDING = re.compile(rf"\b{_SPENT}\s*$")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*[.\u2024]?"
# ... and dates ("on Jan. 5", "on 5 January 2024"): never the speaker of what follows them.
_BETWEEN_PAIRS = re.compile(
    rf"^(?:on\s+\w+day|(?:last|this)\s+\w+|in\s+a\s+statement|{_SPENT}|"
    rf"on\s+(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH})(?:,?\s+\d{{4}})?)$",
    re.I,
)
# Verbs are written in lower case ("The United States" is no speaker of "States"). Verbs are
# found first, and the speaker read back from each over a bounded stretch (400 characters, a
# clause's opening words, the few words of a list mark), so that a passage full of verbs is
# read in about linear time (only plain string scans such as a copy of the sentence remain).
_VERB_AT = re.compile(rf"(?<![\w-])(?:{_VERB})(?![\w-])")
# "called the reports baseless": a denial without a denying verb.
_CALLING = re.compile(
    r"(?<![\w-])(?:call(?:s|ed|ing)?|describ(?:e|es|ed|ing)|brand(?:s|ed|ing)?|"
    r"label(?:s|l?ed|l?ing)?|dismiss(?:es|ed|ing)?)(?![\w-])"
)
_FALSE = re.compile(
    r"^(?:\S+\s+){0,8}?(?:as\s+)?(?:baseless|false|groundless|unfounded|fabricat\w*|untrue|"
    r"inaccurate|incorrect|mistaken|misleading|disingenuous|politically\s+motivated|"
    r"lies|nonsense|fake|propaganda|absurd|preposterous|ridiculous|a\s+lie|a\s+hoax|"
    r"a\s+smear|slander\w*|fiction|disinformation|misinformation|hostile|provocation|"
    r"speculation|weak|flawed|debunked|unproven|discredited|dubious|implausible|exaggerated|"
    r"unsubstantiated|unvalidated|unverified|unproved|not\s+true|a\s+fabrication|made[\s-]up|"
    r"invented|shameful|despicable|outrageous|meritless|biased|without\s+merit|"
    r"(?:an?|another)\s+(?:[\w-]+\s+){0,2}(?:hoax|plot|smear|lie)|"
    r"an?\s+(?:hostile\s+)?attempt\s+to\s+(?:tarnish|smear|discredit|defame)|"
    r"overblown)\b",
    re.I,
)
_AFTER_VERB = re.compile(r"\s+([^.;:!?\"“”]+)")
_SEGMENT_END = re.compile(r"[.;:!?\"“”]")
_INVERTED = re.compile(
    r"(?:[,\"”’]\s*|^)(?P<verb>said|says|added|wrote|noted|insisted|claimed|stated|"
    r"warned|explained)\s+(?P<after>[^.;:!?\"“”]+)",
    re.I,
)
_ACCORDING = re.compile(r"\baccording\s+to\s+(?P<after>[^.;:!?\"“”]+)", re.I)
_SPOKESMAN = re.compile(
    r"\b(?P<phrase>(?:an?|the)\s+(?:spokes(?:man|woman|person)|representative|official|"
    r"officials|source|sources)\s+(?:for|of|at|from|close\s+to)\s+(?P<org>[^,.;:!?\"“”]+))",
    re.I,
)
_CONJUNCTIONS = """that and but while whereas although though as after when which who because
    since where if"""
# Lower case or capitalised, never all capitals: "The WHO chief said" names the WHO's chief.
_CLAUSE_START = re.compile(
    r"(?:^|,\s*|\b(?:"
    + "|".join(f"[{w[0]}{w[0].upper()}]{w[1:]}" for w in _CONJUNCTIONS.split())
    + r")\s+)"
)
_ASIDE = re.compile(
    r",\s*(?:however|meanwhile|too|also|in\s+turn|for\s+(?:its|his|her|their)\s+part|"
    r"for\s+example|though|(?:which|who)\s[^,]*|"
    r"(?:widely\s+)?(?:seen|regarded|considered|viewed|known|based|headquartered|founded|"
    r"owned|backed|funded|affiliated|aligned|sitting|published|released|issued|conducted|"
    r"commissioned|carried\s+out|written|authored|compiled|convicted|arrested|elected|"
    r"appointed)\s[^,]*|"
    r"(?:writing|speaking|reporting)\s+(?:from|to|at|on|in)\s[^,]*|"
    # "Bolsonaro, under house arrest, has always denied": where or when, between commas
    r"(?:under|in|at|after|despite|since|during|before|from|on)\s[^,]{1,40}|"
    # "The Times, citing officials, reported", "Scientists, using data from NASA, found"
    r"(?:citing|quoting|using|drawing\s+on|relying\s+on|working|acting|responding|"
    r"commenting|appearing|testifying)\s[^,]*)\s*,",
    re.I,
)
# Who is told is no speaker: "Joan Donoghue, who ..., told BBC HARDtalk that ...".
_TOLD = frozenset({"told", "tells"})
_SPEECH = frozenset({"said", "says", "told", "tells", "stated", "states", "added", "adds"})
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_SUBORDINATE = re.compile(
    r"(?:after|when|as|while|because|since|if|although|though|before|once|until)\s", re.I
)
# What may follow the verb of "..., X said" at the end of its sentence: a time, then the end
# or "adding ..." ("which, the outlet said, sent up ..." is an aside, not the source).
_CLAUSE_END = re.compile(
    r"(?:\s+(?:reporters|journalists))?"
    r"(?:\s+(?:on|in|last|this|during|late|early)\s+[\w ]{1,25}?|\s+(?:on\s+)?(?:Monday|"
    r"Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|overnight))?\s*"
    r"(?:[.!?;]|$|,\s+(?:[a-z]+ing|according|even|if|although|though|as|while|because|so|but|"
    r"and|after|before|when|since|whereas)\b)"
)
_RELATIVE = re.compile(r"^(?P<head>.*?),\s*(?:which|who)\s*$", re.I)
# "and" inside a body's name ("the National Oceanic and Atmospheric Administration", "the
# Department of Health and Human Services"): between capitalised words, where the name goes on
# to a body's head word. Marked so that clauses are not split there; "the Gaza Strip and Hamas
# said" stays two.
_NAME_AND = re.compile(
    r"\b([A-Z][\w'’.-]*)\s+and\s+(?=(?:[A-Z][\w'’.-]*\s+){0,3}(?:Administration|Agency|"
    r"Prevention|Services?|Commission|Department|Ministry|Office|Bureau|Institutes?|Council|"
    r"Committee|Authority|Board|Cent(?:er|re)s?|Organi[sz]ation|Trade|Development|Affairs|"
    r"Research|Technology|Security|Survey|Foundation|Association|Corporation|Fund|Court|"
    r"Tribunal)(?:'s|’s)?\b)"
)
# ... and "Department of Water and Power", "Ministry of Culture and Sport".
_OF_AND = re.compile(
    r"\b((?:Department|Ministry|Secretary|Minister|Office|Bureau|Institute|Commission|School|"
    r"College|University|Museum|Academy|Society)\s+of\s+(?:the\s+)?[A-Z][\w'’.-]*)\s+and\s+"
    r"(?=[A-Z])"
)
_AND_MARK = "\ue000"
_NAME = r"(?:[A-Z][\w'’.-]*)(?:\s+[A-Z][\w'’.-]*)*"
# "Calin Georgescu, a NATO critic": a name, then what it is, just before the verb.
_NAMED_APPOSITION = re.compile(
    rf"(?:^|[,;]\s*|\b(?:and|but|while)\s+)(?P<name>{_NAME}),\s+(?:a|an)\s+[^,]{{1,100}}$"
)
# ... or what it is with "the", between commas: "Norvatek, the state grid company, said".
_THE_APPOSITION = re.compile(
    rf"(?:^|[,;]\s*|\b(?:and|but|while)\s+)(?P<name>{_NAME}),\s+(?P<what>the\s+[^,]{{1,60}})$"
)
# ... or a title without an article: "Vasyl Maliuk, head of Ukraine's Security Service, said",
# "Sanjay Verma, India's former envoy to Canada, told ANI".
_TITLE_APPOSITION = re.compile(
    rf"(?:^|[,;]\s*|\b(?:and|but|while)\s+)(?P<name>{_NAME}),\s+"
    rf"(?P<what>(?:[A-Z][\w-]*(?:'s|’s)\s+)?(?:(?:former|deputy|acting|chief|senior)\s+)?"
    rf"(?:head|chief|director|secretary|spokesman|spokeswoman|spokesperson|envoy|ambassador|"
    rf"minister|chairman|chairwoman|chair|president|commander|leader|founder|governor|mayor|"
    rf"adviser|advisor)\s+(?:of|to|for|at)\s+[^,]{{1,60}})$"
)
_PAIR = re.compile(rf"(?:^|[,;]\s*|\b[Bb]oth\s+)(?P<a>{_NAME})\s+and\s+(?P<b>{_NAME})$")
_COORDINATED = re.compile(r"\band\s*$", re.I)
# A verb that shares the subject of the verbs before it: "... and found", "..., found".
_LISTED = re.compile(r"(?:,\s*and|,|\band|\bbut)\s*$", re.I)
_PRONOUN_SPEECH = re.compile(
    rf"\b(?:he|she|they|we)\s+(?:{_VERB})\b|\b(?:said|added|told)\s+(?:he|she|they)\b", re.I
)
_APPOSITION = re.compile(r"^\s*(?:the|a|an)\s", re.I)
_PRONOUN = re.compile(
    r"^(?:he|she|they|it|we|i|you|this|that|these|those|there|which|who|one|both|some|many|"
    r"others|the|a|an|no|none|nothing|nobody|every|any|such|two|three|four|five|six|seven|"
    r"eight|nine|ten|dozens|hundreds|thousands)$",
    re.I,
)
_LEADING = re.compile(
    r"^(?:and|but|while|however|meanwhile|also|in\s+a\s+statement|on\s+\w+day|separately|"
    r"earlier|later|then)[\s,]+",
    re.I,
)
_AFTER_END = re.compile(
    r"\s+(?:on|in|at|last|this|during|after|before|that|to|when|while|earlier|later|"
    r"yesterday|today)\b.*$",
    re.I,
)
# Words a speaker's noun phrase is made of besides names: titles, bodies, "of", "'s".
_TITLES = """
    a an the of for at from to and 's ’s foreign defence defense ministry ministries minister
    ministers spokesman spokeswoman spokesperson spokespeople in president prime premier secretary
    official officials government governments department state news agency agencies council
    national security house white military army navy command general commander chief head
    director leader leaders office embassy ambassador envoy mission council's authorities
    authority police prosecutor prosecutors court judge statement analysts analyst experts
    expert researchers researcher scientists scientist investigators investigator report
    intelligence community us u.s. un u.n. eu e.u. senior top deputy former acting
    spokesperson's administration regime party committee senator lawmaker lawmakers
    representative congressman congresswoman chairman chairwoman chair ceo company firm
    group organisation organization watchdog monitor observatory inspectors inspector
    minister's media outlet outlets newspaper channel broadcaster tv television state-run
    state-owned official-run press service services kremlin pentagon report study
    investigation inquiry probe review assessment survey analysis fact-checkers fact-checker
    spokesmen diplomats diplomat sources source people person familiar with the matter
    residents witnesses witness company's government's ministry's statistics bureau institute
    center centre commission panel board regulator operator campaign team lawyers lawyer
    judges tribunal coalition alliance forces association foundation university economists
    companies firms
    delegates summit organisers organizers union staff workers spokesmen aides aide adviser
    advisers envoys observers monitors monitoring prosecutor's general's authors author
    governor governors mayor mayors chancellor premier king queen pope attorney attorneys
    sheriff coroner executive executives founder chairperson ombudsman auditor auditors
    commissioner commissioners administrator regulators governor's mayor's officer officers
    professor professors engineer engineers curator doctor doctors physician physicians
    biologist physicist chemist astronomer astronomers astrophysicist geologist
    epidemiologist epidemiologists virologist meteorologist meteorologists forecaster
    forecasters economist strategist columnist correspondent editor writer activist activists
    campaigner campaigners legislator legislators councillor councilmember colonel captain
    admiral marshal lieutenant sergeant brigadier manager managers society academy federation
    lab laboratory leadership movement rebels militants militia actor actress singer rapper
    star player coach athlete candidate nominee challenger incumbent billionaire entrepreneur
    businessman businesswoman plaintiff plaintiffs defendant defendants agent publicist
    firm's airline carrier bank lender insurer automaker carmaker manufacturer
    maker retailer utility paper magazine daily publication commanders generals
    admirals colonels captains jury juries jurors justice justices magistrate magistrates bench
    opposition parliament cabinet parents family families relatives mother father wife husband
    widow son daughter brother sister friend friends colleagues employee employees specialists
    specialist data figures statistics findings poll polls census journal trial critics
    supporters opponents sceptics skeptics users customers consumers voters patients passengers
    journalist journalists forum documents newsletter bulletin site website blog
"""
_TITLE_WORDS = frozenset(_TITLES.split())


_FUNCTION = frozenset(
    {"a", "an", "the", "of", "for", "at", "from", "to", "and", "with", "in", "on", "by"}
)
_DETERMINERS = frozenset({"a", "an", "the"})
_OWNERS = frozenset({"its", "his", "her", "their"})
_NOT_IN_TITLES = frozenset(
    {"is", "are", "was", "were", "be", "been", "did", "does", "do", "not", "has", "have", "had",
     "will", "would", "could", "can", "may", "might", "must", "should", "it", "this", "that",
     "adopted", "says", "said", "also", "recently", "now", "then", "still", *_OWNERS}
)  # fmt: skip


@dataclass(frozen=True)
class Voice:
    """Someone a passage reports taking a position, and how (``act``)."""

    holder: str
    act: Act
    at: int  # where in the passage the attribution starts
    aside: bool = False  # inside what another speaker reports, or a subordinate clause


def voices(passage: str) -> list[Voice]:
    """Every attributed speaker in ``passage``, in the order they appear."""
    text = _ABBREVIATION.sub(lambda m: m.group().replace(".", _DOT), passage[:MAX_PASSAGE])
    found: list[Voice] = []
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]  # where sentences begin
    breaks = _clause_breaks(text)
    sources: list[tuple[int, int]] = []  # (sentence start, speaker) of "..., X said."
    # ... and of "..., with spokesman X saying ...": X speaks for whoever the sentence names
    # before, even by "said"
    withs: list[tuple[int, int]] = []
    callings: list[tuple[int, int]] = []  # (clause, where) of "..., calling it false"
    for match in _CALLING.finditer(text):
        what = _space_after(text, match.end())
        if not _FALSE.match(text[what : what + 200]):
            continue
        sentence = _sentence_start(starts, match.start())
        if match.group().endswith("ing") and _after_comma(text, match.start()):
            # "The envoy rejected the report, calling it false": read once the clause's other
            # speakers are found ("..., Engadget reported, calling the accusation baseless")
            callings.append((_clause_start(breaks, sentence, match.start()), match.start()))
            continue
        speaker = _speaker_before(_before(text, match.start()))
        found += _voice(speaker, Act.DENIES, match.start())
        if speaker and (by := _with_at(text[sentence : match.start()], speaker)) >= 0:
            withs.append((sentence, sentence + by))  # "..., with X calling it false"
    contents: list[tuple[int, int]] = []  # what a "saying" introduces, to its sentence's end
    speaking: set[int] = set()  # where a plain "X said" stands: its own source, not content
    sourcing: set[int] = set()  # where a closing source stands ("..., Reuters reported")
    for match in _VERB_AT.finditer(text):
        verb = " ".join(match.group().split())
        act = _ACT_OF[verb]
        if _passive(text, verb, match.end()):
            continue
        before = _before(text, match.start())
        after = _AFTER_VERB.match(text, match.end())
        sentence = _sentence_start(starts, match.start())
        if match.group() in _PARTICIPLES and _after_comma(text, match.start()):
            # "X attacked the plan, saying ...": what follows is what X says
            contents.append((match.end(), _sentence_end(starts, match.start(), len(text))))
            clause = _clause_start(breaks, sentence, match.start())
            found += _participle(text, clause, match.start(), act, found)
            continue
        if (
            _after_comma(text, match.start())
            and after
            and _speaker_after(after[1])
            and match.group() not in _TOLD
        ):
            continue  # "..., said Grant Fitzner of the ONS": the speaker follows (_INVERTED)
        speaker = _speaker_before(before)
        if not speaker and (listed := _listed(text, sentence, match.start())):
            # "Moscow says ... and denies ...", "The jury deliberated ... and found ...",
            # "Investigators excluded A, found B": the speaker before, else the clause's subject
            clause = _clause_start(breaks, sentence, listed.start())
            speaker = found[-1].holder if found else _subject(text, clause, listed.start())
        if verb in _VERDICT_VERBS:
            speaker = _court(before, speaker) if _on_a_charge(text, verb, match.end()) else ""
        if not speaker:
            continue
        head = text[sentence : match.start()]
        if match.group() in _PARTICIPLES and not _spending(text, sentence, match.start()):
            by = _with_at(head, speaker)
            if by < 0:
                continue  # "Headlines claiming ...", "a letter describing ...": no speaker
            withs.append((sentence, sentence + by))  # "..., with spokesman X saying ..."
            contents.append((match.end(), _sentence_end(starts, match.start(), len(text))))
        subordinate = bool(_SUBORDINATE.match(head.lstrip(" \"“”'"))) and "," not in head
        found += [Voice(speaker, act, match.start(), aside=subordinate)]
        if match.group() in _SPEECH:
            speaking.add(match.start())
        if (
            _CLAUSE_END.match(text, match.end())  # first: _last_at reads the whole sentence
            and (spoken := _last_at(head, speaker)) > 0
            and _closing(text, sentence, sentence + spoken)
        ):
            sources.append((sentence, sentence + spoken))
            sourcing.add(match.start())
    for match in _INVERTED.finditer(text):
        speaker = _speaker_after(match.group("after"))
        found += _voice(speaker, Act.ASSERTS, match.start("verb"))
        if speaker and match.group()[:1] in ',"”’':  # "..., said X": X is the source
            sources.append((_sentence_start(starts, match.start()), match.start()))
            sourcing.add(match.start("verb"))
    for clause, at in callings:
        found += _participle(text, clause, at, Act.DENIES, found)
    for match in _ACCORDING.finditer(text):
        speaker = _speaker_after(match.group("after"))
        found += _voice(speaker, Act.ASSERTS, match.start())
        if speaker and _after_comma(text, match.start()):  # "..., according to X"
            sources.append((_sentence_start(starts, match.start()), match.start()))
            sourcing.add(match.start())
    for match in _SPOKESMAN.finditer(text):
        phrase = _spokesman(match)
        if not any(phrase.lower() in v.holder.lower() for v in found):
            found += _voice(phrase, Act.ASSERTS, match.start())
    found = [
        replace(v, aside=True) if _aside(v.at, withs, sources, contents, speaking, sourcing) else v
        for v in found
    ]
    ordered = sorted(found, key=lambda v: (v.at, -len(v.holder)))
    return [
        replace(v, holder=_medium_name(v.holder.replace(_DOT, "."))[:MAX_HOLDER_CHARS])
        for v in _distinct(ordered)
    ]


# A medium named after what it is: "Indian fact-checker BOOM", "Czech agency CTK", "the
# Welsh-language site Daily Courier": its name says who.
_NAMED_MEDIUM = re.compile(
    r"^(?:(?:the|a|an)\s+)?(?:[\w'’-]+\s+){0,2}?(?:outlet|newspaper|broadcaster|site|website|"
    r"fact-checker|factchecker|magazine|daily|agency|blog)\s+"
    r"(?P<name>[\w'’.&!-]*[A-Z][\w'’.&!-]*(?:\s+[A-Z0-9][\w'’.&!-]*){0,3})$",
    re.I,
)


def _medium_name(holder: str) -> str:
    """The name of a medium named after what it is (:data:`_NAMED_MEDIUM`), else ``holder``."""
    named = _NAMED_MEDIUM.match(holder)
    return named.group("name") if named else holder


# An outlet speaking of itself, or of one the item named: "the paper notes", "the Telugu
# channel reported", "the fact-checker found", "the report says", "the writer argues" (never
# "the state broadcaster", a government's voice); a site described without a name, as a
# headline writes it ("German site: ...", "Pro-Kremlin site says": "a site" is another one).
_MEDIUM = re.compile(
    r"^(?:(?:the|this)\s+(?!state\b|state-|national\b|government\b)(?:[\w-]+\s+)?"
    r"(?P<noun>paper|newspaper|outlet|broadcaster|channel|magazine|daily|publication|newsroom|"
    r"newsletter|site|website|blog|report|fact-checkers?|writer|columnist)|"
    r"(?:(?:the|this)\s+)?(?:[\w-]+\s+){0,2}(?P<site>newsletter|site|website|blog))$",
    re.I,
)


def medium_of(holder: str) -> str:
    """The kind of medium a holder names without naming it ("the paper": "paper"), or ""."""
    medium = _MEDIUM.match(holder)
    return (medium.group("noun") or medium.group("site")).lower() if medium else ""


def outlet_of(holder: str, earlier: Sequence[str]) -> str:
    """Who a medium named by its kind holds for ("the channel", "the paper"): the nearest
    earlier name ending in that word ("Iran's state TV channel"), else the outlet itself
    (:data:`OUTLET`); ``holder`` itself when it names no medium."""
    noun = medium_of(holder)
    return (_nearest_named(earlier, noun) or OUTLET) if noun else holder


def _spokesman(match: re.Match[str]) -> str:
    """ "a spokeswoman for Chancellor Olaf Scholz": the phrase up to the verb after the body's
    name ("... Olaf Scholz calling the exit a done deal", "a source close to the talks said")."""
    org = match.group("org").split()[:MAX_HOLDER_WORDS]
    kept = list(itertools.takewhile(lambda w: not _ends_the_body(w), org))
    while kept and kept[-1].lower() in _FUNCTION:
        kept.pop()
    if not kept:
        return ""
    head = match.group("phrase")[: match.start("org") - match.start("phrase")]
    return _tidy(f"{head}{' '.join(kept)}")


def _sentence_start(starts: list[int], at: int) -> int:
    """The start of the sentence holding ``at``, of the sorted sentence ``starts``."""
    return starts[bisect.bisect_right(starts, at) - 1]


def _last_at(text: str, phrase: str) -> int:
    """Where ``phrase`` last stands in ``text``, whatever the spaces between its words; -1."""
    pattern = r"\s+".join(re.escape(word) for word in phrase.split())
    return max((m.start() for m in re.finditer(pattern, text)), default=-1)


def _ends_the_body(word: str) -> bool:
    """A verb after "a spokesman for X": a reporting verb, or a lower-case "-ing" word."""
    bare = word.strip(",()").lower()
    return bare in _ACT_OF or (word.islower() and bare.endswith("ing"))


def _after_comma(text: str, at: int) -> bool:
    """Whether a comma is the last thing before ``at`` but white space."""
    start = _space_before(text, at)
    return start > 0 and text[start - 1] == ","


def _space_before(text: str, at: int) -> int:
    """Where the white space that ends at ``at`` begins (``at`` if there is none)."""
    while at > 0 and text[at - 1].isspace():
        at -= 1
    return at


def _space_after(text: str, at: int) -> int:
    """Where the white space that begins at ``at`` ends (``at`` if there is none)."""
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _words_back(text: str, at: int, count: int) -> int:
    """Where the ``count``-th word before ``at`` begins (a word: characters other than white
    space), or 0."""
    for _ in range(count):
        at = _space_before(text, at)
        while at > 0 and not text[at - 1].isspace():
            at -= 1
    return at


def _before(text: str, at: int) -> str:
    """The words before a verb at ``at``, back to the start of its sentence or quotation,
    without the auxiliaries and adverbs between speaker and verb ("has repeatedly")."""
    start = max((m.end() for m in _SEGMENT_END.finditer(text, max(0, at - 400), at)), default=0)
    words = text[max(start, at - 400) : at].split()
    while words:
        last = words[-1].lower().rstrip(",")
        if (
            words[-1] == ","
            or (last in _BETWEEN_WORDS and last != words[-1].rstrip(",").lower() + "x")
            or (words[-1].islower() and last.endswith("ly") and len(last) > 4)
        ):
            words.pop()
        elif phrase := next(
            (n for n in (2, 3, 4, 5) if _BETWEEN_PAIRS.match(" ".join(words[-n:]).rstrip(","))),
            0,
        ):
            del words[-phrase:]
        else:
            break
    return " ".join(words)


def _aside(
    at: int,
    withs: list[tuple[int, int]],
    sources: list[tuple[int, int]],
    contents: list[tuple[int, int]],
    speaking: set[int],
    sourcing: set[int],
) -> bool:
    """Whether the voice at ``at`` is an aside: before "..., with X saying" in its sentence;
    or, unless it is a plain "X said", before a closing source ("The United States urged China
    ..., the White House's John Kirby said"; but "Konashenkov said ..., according to TASS": the
    agency carries what he said) or inside what a "saying" introduces, unless it is itself a
    closing source ("..., saying ..., Reuters reported")."""

    def inside(spans: list[tuple[int, int]]) -> bool:
        return any(start <= at < end for start, end in spans)

    if inside(withs):
        return True
    if at in speaking:
        return False
    return inside(sources) or (at not in sourcing and inside(contents))


def _participle(text: str, clause: int, at: int, act: Act, found: list[Voice]) -> list[Voice]:
    """The voice of a participle after a comma at ``at`` ("..., saying ...", "..., calling it
    false") in the clause that begins at ``clause``: the speaker found last in it ("Elections
    are for our courts, the president said, rejecting ..."), else its subject ("Norway's
    fisheries ministry attacked the plan, saying in a statement that ...")."""
    before = [v for v in found if clause <= v.at < at]
    last = max(before, key=lambda v: v.at) if before else None
    speaker = last.holder if last is not None and not last.aside else _subject(text, clause, at)
    return _voice(speaker, act, at)


# "-ing" forms that speak only after a comma ("..., saying ...") or for "with X" ("..., with
# spokesman X saying ..."): "Headlines claiming ..." names no speaker.
_PARTICIPLE_SPEECH = """saying telling warning adding insisting arguing noting stating claiming
    alleging accusing citing describing declaring announcing explaining stressing confirming
    acknowledging maintaining asserting rejecting dismissing disputing refuting"""
_PARTICIPLES = frozenset(_PARTICIPLE_SPEECH.split())
# Where a clause with a subject of its own begins inside a sentence ("..., but the candidate
# refused ..."), and what a sentence may open with before its subject ("On Monday, ...").
_CLAUSE_BREAK = re.compile(
    r"[;:]\s+|,\s+(?:but|and|while|whereas|although|though|yet|so)\s+|\s(?:but|whereas)\s+"
)
_OPENERS = """after as at before by despite during following for from in on over since under until
    when while with amid late early last earlier"""
_ADVERBIAL = frozenset(_OPENERS.split())
_MAX_ADVERBIAL = 10  # words


def _clause_breaks(text: str) -> list[tuple[int, int]]:
    """Where clauses break in ``text`` (:data:`_CLAUSE_BREAK`): (start, end) of each, in order.
    Found once for the passage, not once for every verb."""
    return [m.span() for m in _CLAUSE_BREAK.finditer(text)]


def _clause_start(breaks: list[tuple[int, int]], sentence: int, at: int) -> int:
    """Where the clause holding ``at`` begins: after the last of the text's clause ``breaks``
    between the sentence's start ``sentence`` and ``at``, else at the sentence's start."""
    n = bisect.bisect_right(breaks, at, key=lambda span: span[1]) - 1
    return breaks[n][1] if n >= 0 and breaks[n][0] >= sentence else sentence


def _past_small_words(words: list[str]) -> list[str]:
    """``words`` without the small words other than determiners that open them ("of the
    agency": "the agency")."""
    while words and words[0].lower() in _FUNCTION - _DETERMINERS:
        words = words[1:]
    return words


def _subject(text: str, start: int, at: int) -> str:
    """The noun phrase that opens the clause ``text[start:at]`` when a verb follows it, past
    an opening adverbial ("On Monday, ...") and appositions ("Fars, seen as close to ...,
    reported"): "The jury" of "The jury deliberated for two days and found ..."."""
    clause = _opening(text, start, at)
    words = clause.split()
    if words and words[0].lower() in _ADVERBIAL:  # "On Monday, ...", not "In a post he ..."
        comma = clause.find(",")
        short = comma > 0 and len(clause[:comma].split()) <= _MAX_ADVERBIAL
        words = clause[comma + 1 :].split() if short else []
    end = bridged = 0
    for n, word in enumerate(words[:_SUBJECT_WORDS]):
        if word in _ACT_OF:
            break
        if _nominal(word):
            bridged = 0
            end = n + 1 if word.lower().strip(",") not in _FUNCTION else end
        elif _bridgeable(word) and bridged < 2:
            bridged += 1
        else:
            break
    if not 0 < end < len(words) or not words[end][:1].islower() or words[end].endswith(","):
        return ""  # no verb after it ("Fire crews, working ...": "crews," is none)
    if words[end - 1].endswith(("'s", "’s")):
        return ""  # "TikTok's parent": the subject goes on
    lead = _past_small_words(words[:end])
    whole = len(_noun_phrase(lead)) == len(lead) or (lead and _named_throughout(lead))
    return _accepted(" ".join(lead), checked=True) if whole else ""


_SUBJECT_WORDS = MAX_HOLDER_WORDS + 4  # the words a subject and its verb are looked for in
_OPENING = 200  # characters of a clause read first for its subject (doubled while too few)
_QUOTES = " \"“”'‘"


def _opening(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without its asides (:data:`_ASIDE`) and opening quotes: all of it,
    or as much of its beginning as decides the subject it opens (:func:`_decided`).

    Read in windows of doubling length, so that a verb far into a long clause costs what one
    near its start does. An aside is a comma, words without one and the next comma, so the
    window's asides are the clause's, but for one that may open at the window's last comma and
    close after it: the window is read up to that comma.
    """
    size = _OPENING
    while start + size < end:
        stop = start + size
        window = _ASIDE.sub(" ", text[start:stop])
        last = text.rfind(",", start, stop)
        if last >= 0:
            window = window[: len(window) - (stop - last)]
        window = window.lstrip(_QUOTES)
        if _decided(window):
            return window
        size *= 2
    return _ASIDE.sub(" ", text[start:end]).lstrip(_QUOTES)


def _decided(opening: str) -> bool:
    """Whether the beginning ``opening`` of a clause decides its subject whatever follows: it
    holds the words :func:`_subject` reads and one more, after an opening adverbial ("On
    Monday, ...") if it has one."""
    words = opening.split()
    if len(words) <= _SUBJECT_WORDS + 1:
        return False
    if words[0].lower() not in _ADVERBIAL:
        return True
    comma = opening.find(",")
    if comma < 0 or len(opening[:comma].split()) > _MAX_ADVERBIAL:
        return True  # an opening too long to pass: no subject
    return len(opening[comma + 1 :].split()) > _SUBJECT_WORDS + 1


def _with_at(head: str, speaker: str) -> int:
    """Where "with" introduces ``speaker`` at the end of ``head`` ("..., with spokeswoman Lena
    Varga" before "saying"), or -1."""
    at = head.rfind("with ")
    if at < 0 or "," in head[at:] or not head[at:].rstrip().endswith(speaker.split()[-1]):
        return -1
    return at


def _sentence_end(starts: list[int], at: int, length: int) -> int:
    """Where the sentence holding ``at`` ends (the next one's start), of the sorted ``starts``."""
    n = bisect.bisect_right(starts, at)
    return starts[n] if n < len(starts) else length


# "..., its director Ana Silva said": a possessive before the closing source.
_OWNER_END = re.compile(r"\b(?:its|his|her|their)\s*$", re.I)


def _closing(text: str, sentence: int, at: int) -> bool:
    """Whether a comma ends the sentence's words before ``at`` (``sentence``: where it begins),
    past a possessive and quotation marks: the speaker at ``at`` closes the sentence ("...,
    its director Ana Silva said")."""
    owner = _OWNER_END.search(text, max(sentence, _words_back(text, at, 1)), at)
    end = owner.start() if owner else at
    while end > sentence and text[end - 1] in " \"“”'":
        end -= 1
    return end > sentence and text[end - 1] == ","


def _listed(text: str, sentence: int, at: int) -> re.Match[str] | None:
    """A comma, "and" or ", and" ending the sentence's words before ``at`` (:data:`_LISTED`),
    looked for only where it may begin, not over the whole sentence (``sentence``: its start)."""
    word = _space_before(text, at) - len("and")
    comma = _space_before(text, max(word, 0)) - 1
    return _LISTED.search(text, max(sentence, comma), at)


def _spending(text: str, sentence: int, at: int) -> bool:
    """Whether the sentence's words before ``at`` end in how long its speaker spent
    (:data:`_SPENDING`: "Prosecutors spent five hours telling ..."), four words at most."""
    return bool(_SPENDING.search(text, max(sentence, _words_back(text, at, 4)), at))


def _passive(text: str, verb: str, end: int) -> bool:
    """Whether the verb ending at ``end`` is a participle with no object ("convicted in
    Lisbon", "found not guilty", "confirmed by the Ledger"): what it says is done to its
    subject, not said by it."""
    if verb == "states" and text[end : end + 1] in (",", ".", ";", ":"):
        return True  # a noun: "sell shells to other Gulf states, Omar Haddad said"
    if _OWNED.search(text, max(0, end - len(verb) - 40), end - len(verb)):
        # a noun or an adjective: "questioned Trudeau's claims", "the ministry's reports",
        # "defends Biden's disputed figure"
        return True
    if verb in ("found", "finds"):
        return bool(_FOUND_STATE.match(text, end))
    if verb.endswith("ed") and _BY.match(text, end):
        return True  # "confirmed by the Ledger": the Ledger confirms, after the verb
    return verb in _PASSIVE_VERBS and bool(_PASSIVE_AFTER.match(text, end))


def _on_a_charge(text: str, verb: str, end: int) -> bool:
    """Whether a verdict verb ending at ``end`` rules on a charge: an acquittal always; a
    clearing of someone ("cleared Ana Ruiz of ...", "cleared them"); an overturning of a
    conviction, a sentence or charges; not "cleared the way for the extradition" or "threw out
    the election's first round"."""
    if verb.startswith("acquit") or _ACT_OF[verb] is Act.ASSERTS:
        return True
    if verb.startswith("clear"):
        return bool(_CLEARED.match(text, end))
    return bool(_CHARGE.match(text, end))


# Whom a court clears, and what an overturning rules on (within a few words of the verb).
_CLEARED = re.compile(r"\s+(?:[A-Z]|(?:him|her|them|the\s+(?:defendants?|accused))\b)")
_CHARGE = re.compile(
    r"(?:\s+\S+){0,6}?\s+(?:conviction|convictions|sentence|sentences|verdict|charges?|"
    r"indictment|guilty)\b",
    re.I,
)


def _court(before: str, speaker: str) -> str:
    """The court, jury or judge that speaks by a verdict ("A jury in Salem, Oregon, acquitted
    ..."): ``speaker`` if it names one, else the noun phrase ending in the last such word
    before the verb; "" if there is none."""
    if _COURT.search(speaker):
        return speaker
    ends = [m.end() for m in _COURT.finditer(before)]
    if not ends:
        return ""
    found = _speaker_before(before[: ends[-1]])
    return found if _COURT.search(found) else ""


def _voice(speaker: str, act: Act, at: int) -> list[Voice]:
    return [Voice(speaker, act, at)] if speaker else []


def holder(passage: str, stance: Stance, previous: str = "", *, strict: bool = False) -> str:
    """Who holds ``stance`` in ``passage``: the speaker of a matching reporting verb (a denier
    for a contradiction, a hedger for a mention), else the first speaker, else the speaker of
    ``previous`` (the passage before, for "he said"), else :data:`OUTLET`.

    ``strict``: only a speaker whose verb matches the stance (a passage read for its speaker
    although it is not the quote: its denier does not hold a support).
    """
    found = voices(passage)
    if not found and _PRONOUN_SPEECH.search(passage):
        found = voices(previous)
    found = main_first(found)
    for act in _WANTED.get(stance, (Act.ASSERTS,)):  # in order of preference
        matching = [v.holder for v in found if v.act is act]
        if matching:
            return matching[0]
    return found[0].holder if found and not strict else OUTLET


_WANTED = {
    Stance.CONTRADICTS: (Act.DENIES,),
    Stance.MENTIONS: (Act.HEDGES, Act.ASSERTS),
    Stance.SUPPORTS: (Act.ASSERTS,),
}


# "Peskov: a single currency is not feasible", "Israeli and US officials: Fordow still
# stands": a headline that names its speaker before a colon. Labels that are no speaker.
_HEADLINE_COLON = re.compile(r"^(?P<speaker>[^:]{2,60}?)\s*:\s+\S")
_LABELS = """fact check fact-check analysis explainer explained exclusive breaking update updated
    live watch video photos opinion editorial review interview factbox timeline correction
    comment special report q&a poll quiz listen podcast false true misleading fake wrong
    mostly partly half pants verdict rating claim no yes unproven mixture satire altered
    outdated unsupported correct incorrect blog"""
_NOT_SPEAKERS = frozenset(_LABELS.split())


def headline_speaker(headline: str, places: frozenset[str] = frozenset()) -> str:
    """The speaker a headline names before a colon, if any; never a label ("Fact check:"), a
    section ("Ukraine War:") or places alone (``places``, lower case: "Sudan:" is what the
    story is about)."""
    match = _HEADLINE_COLON.match(headline.strip())
    if not match:
        return ""
    speaker = _accepted(match.group("speaker"))
    words = {w.lower().strip(",") for w in speaker.split()}
    parts = [p for p in re.split(r"\s*(?:,|-|/|&|\band\b)\s*", speaker.lower()) if p]
    if not speaker or words & _NOT_SPEAKERS or all(p in places for p in parts):
        return ""  # "Sudan:", "Russia, Ukraine:": what the story is about
    if _SECTION.search(speaker) and not has_title(speaker):
        return ""  # "Ukraine War:", "Day 100:"; but "Fire chief:" speaks
    return speaker


# What a headline's "X:" may be besides a speaker: a section, an event, a date or a number
# ("Ukraine War:", "Day 100:", "Election 2024:", "COP28:", "Editor's Note:").
_SECTION = re.compile(
    r"\b(?:war|fire|day|week|note|election|elections|crisis|talks|summit|attack|strike|"
    r"live|latest|news|briefing|recap|wrap|roundup|blog)\b|\d\s*$|\d{2,}",
    re.I,
)


# "The agency said", "the actor told ABC News": a role that stands for someone the item named
# before. The roles of a person, and of a body.
_PERSON_ROLES = """official president leader actor actress singer star minister chief
    spokesman spokeswoman spokesperson player coach candidate judge prosecutor"""
_BODY_ROLES = """agency firm company ministry department court group campaign bank lender
    regulator watchdog organisation organization institute commission council government party
    team committee service office authority army military police insurer carrier airline maker
    manufacturer operator utility union prosecutors bureau"""
_PERSONS = frozenset(_PERSON_ROLES.split())
_ADJECTIVES = frozenset(w for c in COUNTRIES for w in c.adjective.split()) | {"Emirati"}
_ROLE_HEADS = _PERSONS | frozenset(_BODY_ROLES.split())
# A role a headline's name never stands for: an official is most often unnamed.
_UNNAMED_ROLES = frozenset({"official"})
# "the ratings agency", "The UN nuclear agency", "the Russian president".
_ANAPHOR = re.compile(r"^(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:\S+\s+){0,3}(?P<head>[a-z][\w-]*)$")
_NAMED = r"[A-Z][\w'’.&-]*"
# A name just before a role's noun: "International Atomic Energy " before "Agency", "Malaysia's
# trade " before "ministry" (searched in the text that ends at the noun).
_NAME_RUN = re.compile(rf"(?:{_NAMED}\s+(?:(?:of|for|and)\s+)?)*{_NAMED}\s+\Z")
_POSSESSOR = re.compile(rf"{_NAMED}(?:'s|’s)\s+(?:(?:[a-z][\w-]*|[A-Z]{{2,5}})\s+){{0,2}}\Z")
_NAME_AFTER = re.compile(rf"\s+((?:{_NAMED}\s+){{0,2}}{_NAMED})")
# Who a headline says acts, at its start: "Moody's flags ...", "Baldwin in first interview: ...".
_TITLE_AGENT = re.compile(
    rf"^(?P<name>(?:{_NAMED}\s+){{0,2}}{_NAMED})\s+"
    rf"(?:(?P<verb>[a-z]+s)\b|(?:in|at|on|to|after)\s+[^:]{{1,40}}:\s)"
)
# Present-tense verbs a headline's agent acts by: reporting verbs, and what a body publishes.
_AGENT_VERBS = frozenset(
    {v for v in _ACT_OF if " " not in v and v.endswith("s")} | {"flags", "publishes", "releases"}
)
_ANONYMOUS = re.compile(r"\banonymity\b|\bnot\s+authori[sz]ed\b|\bunnamed\b", re.I)
_LOOK_BACK = 150  # characters before a role's noun where its name may start


def has_title(phrase: str) -> bool:
    """Whether ``phrase`` has a title or body word ("Fire chief", "State police")."""
    return any(w.lower() in _TITLE_WORDS - _FUNCTION for w in re.findall(r"[\w'’.-]+", phrase))


def role_of(holder: str) -> str:
    """The role a holder names without naming who ("The ratings agency", "the Russian
    president", "The WHO chief": "agency", "president", "chief"), or "" ("The Kremlin press
    service" names its body)."""
    match = _ANAPHOR.match(holder)
    if not match or match.group("head") not in _ROLE_HEADS:
        return ""
    named = [w for w in holder.split()[1:] if w[:1].isupper() and not w.isupper()]
    return "" if any(w not in _ADJECTIVES for w in named) else match.group("head")


def antecedent(
    holder: str, earlier: Sequence[str], places: frozenset[str] = frozenset(), said_in: str = ""
) -> str:
    """Who a role stands for (:func:`role_of`): the nearest name before it that ends in the
    role's noun ("Malaysia's trade ministry" for "the ministry"; a title keeps the name after
    it: "Prime Minister Ana Ruiz"), else, for a body or a named person's role, whoever the
    headline names as speaking or acting (``earlier[0]`` is the headline; ``places``, lower
    case, are no one); else ``holder`` itself. ``earlier`` ends where the role is written in
    ``said_in``; a role speaking on condition of anonymity there stays as written."""
    head = role_of(holder)
    if not head:
        return holder
    if named := _nearest_named(earlier, head):
        return named
    if not earlier or head in _UNNAMED_ROLES or _ANONYMOUS.search(said_in):
        return holder
    titled = headline_speaker(earlier[0], places)
    if titled:
        return titled
    agent = _TITLE_AGENT.match(earlier[0].strip())
    name = agent.group("name") if agent else ""
    verb = agent.group("verb") if agent else None
    # A person acts by any verb ("Swift backs Harris"); a body by speaking or publishing
    # ("Moody's flags ...", not "Musk slams ..." for "the company").
    acts = agent is not None and (
        verb is None or head in _PERSONS or verb in _AGENT_VERBS or name.isupper()
    )  # an acronym is a body: "IAEA tallies damage ..."
    if acts and name.lower() not in places and name.lower() not in _TITLE_WORDS:
        return name  # not a headline's capitalised "Watchdog says ..."
    return holder


def _nearest_named(earlier: Sequence[str], head: str) -> str:
    """The name nearest the end of ``earlier`` that ends in the noun ``head`` (the passage
    closest first: :func:`_named_before`), or ""."""
    return next((named for p in reversed(earlier) if (named := _named_before(p, head))), "")


def _named_before(passage: str, head: str) -> str:
    """The last name in ``passage`` that ends in the role's noun ``head`` ("Malaysia's trade
    ministry", "International Atomic Energy Agency"), with a name right after a title ("Prime
    Minister Ana Ruiz"); "" if none."""
    found = ""
    for noun in re.finditer(rf"\b{re.escape(head)}\b", passage, re.I):
        before = passage[max(0, noun.start() - _LOOK_BACK) : noun.start()]
        name = (_NAME_RUN if noun.group()[:1].isupper() else _POSSESSOR).search(before)
        if name is None:
            continue
        after = _NAME_AFTER.match(passage, noun.end())
        phrase = f"{name.group()}{noun.group()}{after.group() if after else ''}"
        found = _tidy(re.sub(r"^(?:The|A|An)\s+", "", phrase))
    return found if len(found.split()) > 1 else ""


def main_first(found: list[Voice]) -> list[Voice]:
    """``found`` with the sentences' own speakers before the asides, each in its order."""
    return sorted(found, key=lambda v: v.aside)


def denials(passage: str) -> list[Voice]:
    """The speakers ``passage`` reports denying something."""
    return [v for v in voices(passage) if v.act is Act.DENIES]


def _speaker_before(text: str) -> str:
    """The noun phrase that ends ``text`` (the words before a reporting verb), if it names
    someone."""
    relative = _RELATIVE.match(text)
    if relative:  # "India, which calls ...": the relative pronoun stands for India
        text = relative.group("head")
    closed = text.rstrip().endswith(",")  # "Norvatek, the state grid company, said"
    text = _past_asides(text)
    pair = _PAIR.search(text)
    if pair:  # "Both Moscow and Pyongyang have called ..."
        return _accepted(f"{pair.group('a')} and {pair.group('b')}")
    named = _NAMED_APPOSITION.search(text)
    if named and _accepted(named.group("name")):  # "Georgescu, a NATO critic, has denied"
        return _accepted(named.group("name"))
    the = _THE_APPOSITION.search(text) if closed else None
    name = _accepted(the.group("name")) if the else ""
    if the and name and name.split()[0].lower() not in _ADVERBIAL:
        return _tidy(f"{name}, {the.group('what')}")  # "Norvatek, the state grid company, said"
    titled = _TITLE_APPOSITION.search(text) if closed else None
    name = _accepted(titled.group("name")) if titled else ""
    if titled and name and name.split()[0].lower() not in _ADVERBIAL:
        return _tidy(f"{name}, {titled.group('what')}")  # "Vasyl Maliuk, head of the SBU, said"
    text = _OF_AND.sub(rf"\1 {_AND_MARK} ", _NAME_AND.sub(rf"\1 {_AND_MARK} ", text))
    clause = _CLAUSE_START.split(text)[-1] if text else ""
    clause = _LEADING.sub("", clause.strip(" ,—–-\"“”'")).strip()
    if reduced := _reduced(clause.split()):  # "A study drawing on records from nine countries"
        return _accepted(" ".join(reduced).replace(_AND_MARK, "and"), checked=True)
    words = _noun_phrase(clause.split()[-MAX_HOLDER_WORDS:])
    while words and words[0] == _AND_MARK:  # the window began inside the name
        words = words[1:]
    ahead = clause.split()[: -len(words)] if words else []
    if ahead and ahead[-1].lower() in _OBJECT_OF:
        # "The company that made the blade that broke off Nantucket says": Nantucket is
        # where, in a relative clause; the speaker is the noun that clause is about
        return _relative_head(text)
    return _accepted(" ".join(words).replace(_AND_MARK, "and"), checked=True)


# Prepositions whose object is no speaker of the verb after it ("... off Nantucket says").
_OBJECT_OF = frozenset(
    {"off", "near", "into", "onto", "across", "over", "about", "against", "behind", "beyond",
     "under", "through", "toward", "towards", "around", "inside", "outside", "past", "along",
     "within", "without", "upon", "than", "like", "despite"}
)  # fmt: skip
_RELATIVE_PRONOUN = re.compile(r"\s(?:that|who|which)\s")


def _relative_head(text: str) -> str:
    """The speaker a relative clause in ``text`` is about: the noun phrase before the first
    "that", "who" or "which" that follows a noun ("The company that made ..."), or ""."""
    for pronoun in _RELATIVE_PRONOUN.finditer(text):
        head = text[: pronoun.start()].split()
        if head and head[-1] not in _ACT_OF and (_nominal(head[-1]) or _bridgeable(head[-1])):
            return _speaker_before(" ".join(head))
    return ""


def _past_asides(text: str) -> str:
    """``text`` without its asides (:data:`_ASIDE`: "Fars, seen as close to the army,"), or
    only the phrase after the last one when that phrase opens with an article, a speaker of its
    own ("..., which lapsed on June 9, a Doha-datelined report")."""
    ends = [m.end() for m in _ASIDE.finditer(text)]
    tail = text[ends[-1] :].strip(" ,") if ends else ""
    if tail and _APPOSITION.match(tail):
        return tail
    return _ASIDE.sub(" ", text).rstrip(" ,")


# What a reduced relative clause opens with after its noun: "A study drawing on ...", "data
# released on Wednesday", "a source briefed by ...", "a court sitting inside ...".
_REDUCED_OPENERS = """drawing sitting working using based known seen led run held made written
    drawn given taken shown involving covering spanning tracking comparing looking suing
    representing acting running reviewing analysing analyzing examining surveying pooling"""
_PARTICIPLE_WORDS = frozenset(_REDUCED_OPENERS.split())

# ... and those that may stand right before the verb: "Documents declassified on Monday said".
_RELEASED = frozenset({"released", "published", "issued", "declassified", "obtained", "leaked"})


_QUANTITY_WORDS = "two three four five six seven eight nine ten several some many most"
_QUANTITIES = frozenset(_QUANTITY_WORDS.split())


def _reduced(words: list[str]) -> list[str]:
    """The noun phrase that opens ``words`` when a reduced relative clause follows it ("A
    population study drawing on records ...": "A population study"), with the agent that
    clause names ("A study led by Kyla Ortiz"), or []."""
    if not words or words[-1].lower() in _FUNCTION:
        return []
    for n, word in enumerate(words[: MAX_HOLDER_WORDS + 1]):
        if n and _participial(word, words[n + 1] if n + 1 < len(words) else ""):
            head = _past_small_words(words[:n])
            count = 1 if head and head[0].lower() in _QUANTITIES else 0  # "two officials"
            run = head[:count] + _noun_phrase(head[count:])
            if len(run) <= count or len(run) != len(head):
                return []
            inner = next(
                (
                    i
                    for i, w in enumerate(run[1:], 1)
                    if w.lower() in _DETERMINERS and run[i - 1].lower() not in _FUNCTION
                ),
                0,
            )
            if inner:
                return run[inner:]  # "figures the statistics office published": who published
            agent = _agent(words, n + 1)
            if agent and len(_noun_phrase(agent)) == len(agent):
                return [*run, word, "by", *agent]  # "A study led by Kyla Ortiz"
            return run
        if not (_nominal(word) or _bridgeable(word)):
            return []
    return []


def _agent(words: list[str], at: int) -> list[str]:
    """The words after "by" at ``at``, or after a time and "by" ("published on Tuesday by the
    Office for National Statistics"); [] if there is no "by" there."""
    by = next((k for k in range(at, min(at + 6, len(words))) if words[k] == "by"), -1)
    if by < 0 or (by > at and not _BETWEEN_PAIRS.match(" ".join(words[at:by]))):
        return []
    return words[by + 1 :]


def _participial(word: str, following: str) -> bool:
    """A participle that opens a reduced relative clause ("drawing", "released Wednesday",
    "briefed by"); a past tense with an object ("turned the calls down") is none."""
    if not (word.isalpha() and word.islower()):
        return False
    if not following:  # just before the verb: "Official data released show"
        return word in _RELEASED
    if word.endswith("ed"):
        return following.lower() in _PREPOSITIONS | {"by"} or following.istitle()
    return word in _PARTICIPLE_WORDS


def _noun_phrase(words: list[str]) -> list[str]:
    """The speaker at the end of ``words``: the longest run of name and title words ending
    them ("... as planned, operator RWE"), reaching over up to two other lower-case words when
    a determiner or a name stands before them ("the UN's climate chief"), without leading
    prepositions ("in Brazil") and never ending in "and" (the subject is further back)."""
    if not words or words[-1].lower() in _FUNCTION or not _nominal(words[-1]):
        return []
    start = len(words)
    while start > 0:
        if _nominal(words[start - 1]):
            start -= 1
            continue
        gap = start - 1
        while gap > 0 and start - gap <= 2 and _bridgeable(words[gap - 1]):
            gap -= 1
        if (
            start - gap <= 2
            and words[start].lower() not in _DETERMINERS  # not "the way the actor"
            and _bridgeable(words[start - 1])
            and gap > 0
            and (
                _anchor(words[gap - 1])
                or _titled(words[gap - 1], words[start])
                or _named_title(words[gap - 1], words[start])
            )
        ):
            start = gap - 1
            continue
        break
    if start > 0 and words[start - 1].lower() in _OWNERS:
        start -= 1  # "her agent", "its economy minister": someone the passage named before
    if words[start].lower() in _OWNERS and any(w[:1].isupper() for w in words[start + 1 :]):
        start += 1  # "its director Ana Silva": the name says who
    run = words[start:]
    if run and run[0].lower() in {"in", "at", "on"}:
        # "a trial of 1,350 adults in Brazil found": a place, not the speaker; but "In June
        # the agency's committee concluded": the speaker after the time
        run = next((run[n:] for n, w in enumerate(run) if w.lower() in _DETERMINERS), [])
    run = _past_small_words(run)
    if len(run) == 1 and (run[0].isdigit() or (run[0].islower() and not _people(run[0]))):
        return []  # "chief", "28": the name is further back, or nobody in particular
    return run


def _bridgeable(word: str) -> bool:
    """A lower-case word that may stand inside a speaker's title ("climate" in "the UN's
    climate chief", "lab's" in "the lab's chief"), not a verb, an adverb or a negation."""
    bare = word.removesuffix("'s").removesuffix("’s")
    return (
        bare.replace("-", "").isalpha()
        and bare.islower()
        and (not word.endswith(("ed", "ly")) or word in _ADJECTIVAL)
        and word not in _NOT_IN_TITLES
        and word not in _ACT_OF
        and not _nominal(word)
    )


# Adjectives that look like participles: "Ukraine's armed forces", "a retired general".
_ADJECTIVAL = frozenset({"armed", "retired"})


def _anchor(word: str) -> bool:
    """Where a bridged title starts: a determiner, a possessive pronoun or a possessive name
    ("the", "its", "UN's", "Biosciences'")."""
    return word.lower() in _DETERMINERS | _OWNERS or (
        word[:1].isupper() and word.endswith(("'s", "’s", "s'", "s’"))
    )


def _named_title(first: str, last: str) -> bool:
    """A name and a title around the bridged words: "Boston federal jury", "Ledger opinion
    writer" (not "Daily Courier" after "the Welsh-language site")."""
    return first[:1].isupper() and last.lower().strip(",") in _TITLE_WORDS - _FUNCTION


def _titled(first: str, last: str) -> bool:
    """Two titles around the bridged words: "chief science officer", "deputy health
    minister" (not "the centre behind LK-99")."""
    titles = _TITLE_WORDS - _FUNCTION
    return first.lower() in titles and last.lower().strip(",") in titles


def _people(word: str) -> bool:
    """ "officials", "analysts", "researchers": a group that can be the speaker on its own."""
    return word.endswith("s") and word in _TITLE_WORDS


def _speaker_after(text: str) -> str:
    """The noun phrase that starts ``text`` (the words after "said" or "according to"), with
    an apposition ("John Kirby, the NSC spokesman")."""
    first, *rest = text.strip().split(",")
    if (
        rest
        and _APPOSITION.match(rest[0])
        and (with_what := _leading_speaker(f"{first}, {rest[0].strip()}"))
    ):
        return with_what  # not "According to Kirby, the United States has ..."
    return _leading_speaker(first)


def _leading_speaker(first: str) -> str:
    """The speaker that opens ``first`` (:func:`_speaker_after`), or ""."""
    phrase = _AFTER_END.sub("", first)
    words = phrase.split()[:MAX_HOLDER_WORDS]
    if words and words[0] in _PREPOSITIONS:
        return ""  # "said at a November panel that ...": where, not who ("Under Secretary" is)
    if found := _accepted(" ".join(words).strip(" ,")):
        return found
    reduced = _reduced(phrase.split())  # "according to two officials quoted by the Ledger"
    if reduced:
        return _accepted(" ".join(reduced), checked=True)
    named = _noun_phrase(words)
    if len(named) > 1 and named[-1][:1].isupper():
        return _accepted(" ".join(named), checked=True)  # "works council chief Cavallo"
    return ""


_WHEN = re.compile(
    rf"(?:(?:on|in|last|this|early|late)\s+)?(?:\w+day|{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?|"
    r"yesterday|today|tonight)",
    re.I,
)
# A personal pronoun opening a phrase: "It puts foreign investment at ...": nobody named.
_PERSONAL = frozenset({"He", "he", "She", "she", "It", "it", "They", "they", "We", "we", "I",
                       "You", "you"})  # fmt: skip
_FIGURE = re.compile(r"[\d.,%$€£\s-]+(?:per\s?cent)?", re.I)
_PREPOSITIONS = frozenset(
    {"at", "on", "in", "during", "from", "to", "for", "with", "by", "after", "before", "over",
     "under", "near", "about", "into"}
)  # fmt: skip


def _accepted(phrase: str, *, checked: bool = False) -> str:
    """``phrase`` as a holder, or "" if it names nobody; ``checked``: already cut to a noun
    phrase (:func:`_noun_phrase`), otherwise every word must be a name or a title."""
    phrase = _tidy(phrase)
    words = phrase.split()
    if not words or len(words) > MAX_HOLDER_WORDS + 4 or _PRONOUN.match(phrase):
        return ""
    if not checked and not _named_throughout(words):
        return ""
    if all(w.lower().strip(",") in _FUNCTION for w in words):
        return ""
    if _FIGURE.fullmatch(phrase) or all(w.isdigit() or w in _FUNCTION for w in words):
        return ""  # "8%", "2024", "1994 to 2022": a figure names nobody ("3M", "G7" do)
    if words[0] in _PERSONAL:
        return ""
    if _WHEN.fullmatch(phrase):
        return ""  # "documents released Friday show": a day names nobody
    return phrase[:MAX_HOLDER_CHARS]


def _named_throughout(words: list[str]) -> bool:
    """Every word a name or a title, or a small word between two ("a study by seismologists",
    "officials with knowledge of the talks")."""
    inner = words[1:-1]
    return (
        _nominal(words[0])
        and _nominal(words[-1])
        and all(_nominal(w) or w.lower() in _FUNCTION for w in inner)
    )


def _nominal(word: str) -> bool:
    """Whether ``word`` can be part of a speaker's name: capitalised, a number, or a title."""
    bare = word.strip(",()")
    if not bare:
        return False
    if bare[0].isupper() or bare[0].isdigit() or bare == _AND_MARK or _PARTICLE.match(bare):
        return True
    lowered = bare.lower()
    possessive = lowered.removesuffix("'s").removesuffix("’s")
    return (
        lowered in _TITLE_WORDS
        or possessive in _TITLE_WORDS
        or bool(_SCIENTIST.fullmatch(possessive))
    )


# A name's particle: "Sultan al-Jaber", "Osama bin-Laden".
_PARTICLE = re.compile(r"(?:al|el|ad|bin|ibn|abu|ben)-[A-Z]")
# Who studies something: "seismologists", "glaciologist", "statisticians", "paediatricians".
_SCIENTIST = re.compile(r"[a-z]{3,}(?:ologists?|icians?)")


def _tidy(phrase: str) -> str:
    phrase = " ".join(phrase.split()).strip(" ,—–-\"“”'")
    return phrase[5:] if phrase.startswith("Both ") else phrase


def _distinct(found: list[Voice]) -> list[Voice]:
    """One voice per (holder, act): a holder found again, or inside a longer one, is
    dropped."""
    kept: list[Voice] = []
    for voice in found:
        if any(v.act is voice.act and voice.holder.lower() in v.holder.lower() for v in kept):
            continue
        kept.append(voice)
    return kept
