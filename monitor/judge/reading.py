"""How a desk reads an item against a claim: its primary stance, who holds it, and the other
positions it reports (pure).

An item's **primary** stance is its news: the title and the lead (:data:`NEWS_PASSAGES`). A
report whose news is the shipments and that recalls in passing that Tehran denied them
*supports* the claim; the denial is listed beside it as a :class:`~monitor.types.ReportedStance`
with who denied. A denial that *is* the news ("North Korea's foreign ministry denied ...", in
the title or lead) makes the item a contradiction, held by the denier.

The stance model reads the item as a whole (``overall``); when a denial stands outside the
news, the pipeline also asks it about the news alone (``news``), and :func:`primary` decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.errors import ModelError
from monitor.judge.aliases import COUNTRIES, mentions
from monitor.judge.attribution import (
    OUTLET,
    Act,
    Voice,
    antecedent,
    denials,
    has_title,
    headline_speaker,
    holder,
    main_first,
    medium_of,
    outlet_of,
    role_of,
    voices,
)
from monitor.judge.cross import key_words
from monitor.judge.passages import split_sentences
from monitor.judge.stance import SeparateRelatedness, StanceClassifier, StanceQuery
from monitor.types import Evidence, ReportedStance, Stance, StanceResult

NEWS_PASSAGES = 2  # the title and the lead (the body's first passage)
MAX_REPORTED = 3
# A claim that is itself a denial ("Iran denies ...") is not contradicted by one.
_NEGATIVE_CLAIM = re.compile(
    r"\b(den(?:y|ies|ied)|reject(?:s|ed)?|not|never|no|n't|false|hoax|baseless)\b", re.I
)


# What keeps an assertion from being one: hedges, conditionals, questions, negation.
# What someone is reported saying is not so: "has not sent", "never supplied", "no evidence".
_NEGATED = re.compile(
    r"\b((?:has|have|had|did|does|do|is|was|were) not|(?:has|have|had|did|does|do|is|was|were)n't|"
    r"never|no evidence|not true|untrue|none of|not (?:a single|one|a dollar|a cent)|neither|"
    r"(?:is|are|was|were) lying|found no)\b",
    re.IGNORECASE,
)
# "Had not verified", "cannot say we have seen": not knowing is a hedge, not a denial.
_UNVERIFIED = re.compile(
    r"\b(verif\w*|confirm\w*|clear|know\w*|aware|sure|seen|say|tell|determin\w*|assess\w*)\b",
    re.IGNORECASE,
)
# Modal "may", not the month (matched in lower case only).
_MAY = r"(?-i:may)"
# What is planned, proposed or asked for is not yet so (word forms listed: "plane" is no plan).
_PLANNED = (
    r"will|plan(?:s|ned|ning)?|propos(?:e|es|ed|ing|al|als)|draft (?:law|bill|package|text|"
    r"resolution|regulation|rules?)|calls? for|called for|urg(?:e|es|ed|ing)"
)
_HEDGED = re.compile(
    rf"\b(?:could|{_MAY}|might|would|possibl\w*|perhaps|reportedly|allegedly|alleged|"
    r"purported\w*|considering|weighing|investigat\w*|looking into|whether|if|unconfirmed|"
    r"unverified|confirm|unclear|uncertain|suspect\w*|believ\w*|appears?|seems?|likely|probe|"
    r"question\w*|fears?|rumou?r\w*|predict\w*|expects?|not|no|never|cannot|"
    # ... and a split is no position.
    rf"{_PLANNED}|potential\w*|await\w*|examin\w*|study|review\w*|split|range of views)\b|"
    r"n['’]t\b|\?",
    re.I,
)


# What is not yet so, or not settled: plans, proposals, inquiries, fears.
_UNSETTLED = re.compile(
    rf"\b(?:would|could|{_MAY}|might|{_PLANNED}|consider\w*|weigh\w*|investigat\w*|probe|"
    r"inquiry|whether|unclear|uncertain|fears?|feared|concern|if|possibl\w*|suspicions?|"
    r"suspect(?:s|ed)?|hints?|ruled out)\b|\?",
    re.I,
)


# Not saying, not knowing, asking someone not to: no position on whether it is so.
_NOT_SAYING = re.compile(
    r"(?:\bnot|n['’]t|\bnever|\bcannot)\s+(?:yet\s+|be\s+)?(?:independently\s+)?"
    r"(?:say|said|says|name[sd]?|identif\w*|determin\w*|know\w*|confirm\w*|verif\w*|"
    r"check\w*|surprised|blam\w*|rul(?:e|ed|ing)\s+out|explain\w*|convinced)\b|"
    r"\bwithout\s+(?:confirming|denying)\b|\bneither\s+(?:confirm\w*|yes)\b|"
    r"\bno\s+explanation\b|\burg(?:e|es|ed|ing)\s+(?:\w+\s+){1,3}not\s+to\b",
    re.I,
)


# Mutual blame: each side accuses the other (and denies its own part); the item takes no side.
_MUTUAL = re.compile(
    r"\b(?:(?:accus|blam)\w*\s+(?:each other|one another|the other)|"
    r"trad(?:e|es|ed|ing)\s+(?:blame|accusations))\b",
    re.I,
)
_DENYING = re.compile(r"\b(?:den(?:y|ies|ied|ial)|reject\w*|refut\w*|dismiss\w*)\b", re.I)


def no_position(quote: str, title: str, claim: str = "") -> bool:
    """Whether a contradiction read into ``quote`` rests on not saying or not knowing, or on
    mutual blame, rather than on anyone denying or refuting anything."""
    if _MUTUAL.search(quote) or _MUTUAL.search(title):
        return True
    if _DENYING.search(quote) or _DENYING.search(title):
        return False
    return bool(_NOT_SAYING.search(quote)) or unsettled([title, quote], claim)


def unsettled(passages: Sequence[str], claim: str = "") -> bool:
    """Whether every passage speaks of what is not yet so or not settled (in words the claim
    does not use itself: "a possible carcinogen" settles a claim that says "possibly")."""
    own = {w.lower()[:5] for w in re.findall(r"\w+", claim)}
    return bool(passages) and all(
        any(m.group().lower()[:5] not in own for m in _UNSETTLED.finditer(p))
        and not (_DONE.search(p) and not _OPEN.search(p))
        for p in passages
    )


_DONE = re.compile(r"\b(?:has|have|had)\s+(?:already\s+|now\s+)?(?:been\s+)?\w+(?:ed|en|t)\b", re.I)
_OPEN = re.compile(r"\b(?:whether|if|investigat\w*|inquiry|probe|consider\w*|weigh\w*)\b", re.I)


# News that says outright that it is not so ("no credible evidence", "pleaded not guilty").
_REFUTED = re.compile(
    r"\b(?:no (?:credible |direct |hard |concrete |real )?(?:evidence|proof|sign|indication|"
    r"basis|record|truth)|nothing to do with|not guilty|(?:is|are|was|were) (?:false|untrue|"
    r"fake|fabricated|baseless|groundless|misleading|a hoax|inaccurate|incorrect|wrong|"
    r"mistaken|not true)|unfounded|debunk\w*|verdict is false|rat(?:ed|es|ing) (?:it )?false|"
    r"misstat\w*|misrepresent\w*|out of context|(?:does|do|did) not (?:hold up|prove)|"
    r"(?:doesn|don|didn)['’]t (?:hold up|prove)|found no|saw no|sees no|(?:has|have) seen no|"
    r"nothing to (?:back|support)|no support for|"
    # ... what undercuts, walks back or contradicts an account, not a denial of it
    r"(?:undercut\w*|walk(?:s|ed|ing)? back|cut(?:s|ting)? against|contradict(?:s|ed|ing)?)"
    r"\s+(?:(?!den(?:y|ies|ial)|rebuttal|each\b|one\b)[\w'’-]+\s+){0,4}?"
    r"(?:claims?|accounts?|assertions?|reports?|statements?|story|stories|versions?|"
    r"findings?|descriptions?|narratives?|allegations?|justifications?|line))\b",
    re.I,
)


_FALSITY = re.compile(
    r"\b(?:nothing to do with (?:reality|the truth|the facts)|(?:is|are|was|were|be) (?:false|"
    r"untrue|fake|fabricated|baseless|groundless|a hoax|a lie|lies)|debunk\w*|"
    r"verdict is false|rated (?:it )?false|nothing to (?:back|support)|no support for)\b",
    re.I,
)


def says_not_so(passage: str) -> bool:
    """Whether ``passage`` says outright, or in a negated statement, that something is not so."""
    return bool(_REFUTED.search(passage) or _NEGATED.search(passage))


def news_refutation(claim: str, passages: Sequence[str]) -> str | None:
    """The news passage that says outright that something is not so, or puts the claim right
    ("an initialled draft, not a signed treaty"), if any."""
    return _first_news(claim, passages, lambda p: bool(_REFUTED.search(p)) or corrects(claim, p))


# "X, not Y" / "X rather than Y": Y is what is set right, X (the words just before) what is so.
_CORRECTION = re.compile(
    r",\s+not\s+(?P<set_right>[^,.;:!?]+)|\s+rather\s+than\s+(?P<instead>[^,.;:!?]+)", re.I
)
_KEPT_WORDS = 3


def corrects(claim: str, passage: str) -> bool:
    """Whether ``passage`` sets the claim right: in "X, not Y" or "X rather than Y", Y shares a
    word with the claim and X (the three words before) none ("gas and coal, not wind, failed"
    against a claim about wind)."""
    claimed = key_words(claim)
    for match in _CORRECTION.finditer(passage):
        kept = " ".join(passage[: match.start()].split()[-_KEPT_WORDS:])
        set_right = match.group("set_right") or match.group("instead")
        if key_words(set_right) & claimed and not key_words(kept) & claimed:
            return True
    return False


def news_calls_false(claim: str, passages: Sequence[str]) -> str | None:
    """The news passage that calls something false outright ("is baseless", "has nothing to do
    with reality"), if any: stronger than :func:`news_refutation`'s "no sign", which a mere
    mention may say of something else."""
    return _first_news(claim, passages, lambda p: bool(_FALSITY.search(p)))


def news_assertion(claim: str, passages: Sequence[str]) -> str | None:
    """The news passage in which someone named asserts something on the record, unhedged
    ("White House says Pyongyang is quietly sending Russia artillery ammunition", or a
    headline's "Tusk: Russian services ordered the blaze"), if any."""
    title = passages[0] if passages else None
    return _first_news(
        claim, passages, lambda p: asserted_on_record(p) or (p == title and headline_asserts(p))
    )


def headline_statement(headline: str) -> str | None:
    """What a headline that names its speaker before a colon has them say ("Tusk: Russian
    services ordered the blaze"); None for any other headline (a label, a section or places
    before the colon: :func:`~monitor.judge.attribution.headline_speaker`)."""
    return headline.split(":", 1)[1] if headline_speaker(headline, _PLACES) else None


def headline_asserts(headline: str) -> bool:
    """Whether a headline names its speaker and what they say is said outright: no hedge,
    plan, question or negation ("Tusk: Russian services ordered the blaze")."""
    statement = headline_statement(headline)
    return statement is not None and not (
        _HEDGED.search(statement) or _AT_A_DISTANCE.search(statement) or disputed([statement])
    )


def headline_denies(claim: str, passages: Sequence[str]) -> bool:
    """Whether the headline names its speaker and has them say outright that the claim is not
    so: in refuting words ("Kirby: no sign Putin has moved warheads to Belarus"), or by
    negating the claim's own words ("Siluanov: this is not a default"); not saying or not
    knowing is no denial ("Kirby: we cannot confirm ...")."""
    statement = headline_statement(passages[0]) if passages else None
    if statement is None or _NEGATIVE_CLAIM.search(claim):
        return False
    if (
        _AT_A_DISTANCE.search(statement)
        or disputed([statement])
        or _NOT_SAYING.search(statement)
        or _UNSETTLED.search(statement)
        or _NOT_KNOWN.search(statement)
    ):
        return False
    negated = (
        _NEGATION.search(statement)
        and not _NOT_NEGATING.search(statement)
        and not _NEGATION.search(claim)  # "... without emergency lights": its own negation
        and key_words(statement) & key_words(claim)
        and not (_CORRECTION.search(statement) and not corrects(claim, statement))
    )  # "..., not a short circuit" confirms what it keeps
    return bool(_REFUTED.search(statement) or negated)


# Saying that something is not so: a verb negated, or "never" ("this is not a default",
# "positions are not lost", "never reached the board").
_NEGATION = re.compile(
    r"\b(?:is|are|was|were|has|have|had|did|does|do|can|could|will|would)\s+(?:not|never)\b|"
    r"\b(?:isn|aren|wasn|weren|hasn|haven|hadn|didn|doesn|don|can|couldn|won|wouldn)['’]t\b|"
    r"\bnever\b|\bnot\s+an?\b|\bno\s+(?:[\w-]+\s+){0,2}(?:seen|found|detected|spotted)\b",
    re.I,
)
_NOT_NEGATING = re.compile(r"\bnot\s+only\b|\bno\s+doubt\b|\bnothing\s+but\b", re.I)
_NOT_KNOWN = re.compile(r"\bnot\s+(?:yet\s+)?(?:clear|sure|certain|known)\b", re.I)


# What a headline keeps at a distance: a word in scare quotes ("Loeb's 'meteor' signal"), a
# likeness, or what is only on course to happen ("set to pass Japan").
_AT_A_DISTANCE = re.compile(
    r"(?:^|\s)['‘\"“][\w-]+(?:\s[\w-]+){0,2}['’\"”](?=[\s,.;:!?]|$)|"
    r"^\s*(?:what|how|why|who|where|when)\b|"  # "what we know": an explainer
    r"\b(?:looks?|looked)\s+like\b|\b(?:set|expected|poised|on\s+course|on\s+track)\s+to\b",
    re.I,
)


def _first_news(
    claim: str, passages: Sequence[str], takes_a_position: Callable[[str], bool]
) -> str | None:
    """The first news passage that ``takes_a_position``; none for a claim that is itself a
    denial ("Iran denies ..." is neither refuted nor asserted by the news' own words)."""
    if _NEGATIVE_CLAIM.search(claim):
        return None
    return next((p for p in news_of(passages) if takes_a_position(p)), None)


def asserted_on_record(passage: str) -> bool:
    """Whether someone named asserts something in ``passage``, on the record and unhedged."""
    found = voices(passage)
    return bool(found) and all(v.act is Act.ASSERTS for v in found) and not _HEDGED.search(passage)


def news_of(passages: Sequence[str]) -> tuple[str, ...]:
    """The passages that carry an item's news: its title and lead."""
    return tuple(passages[:NEWS_PASSAGES])


def news_denial(claim: str, passages: Sequence[str]) -> tuple[str, str] | None:
    """The denial the item's news reports, as (passage, who denied), if any: the lead's first
    (it names the speaker in full), else the title's."""
    if _NEGATIVE_CLAIM.search(claim):
        return None
    for passage in reversed(news_of(passages)):
        found = denials(passage) or _negated_on_record(passage)
        if found:
            return passage, found[0].holder
    return None


def _negated_on_record(passage: str) -> list[Voice]:
    """The speakers of ``passage`` when what they say is negated ("the ministry said it has
    not sent any drones"): a denial in reported speech, without a denying verb."""
    if not _NEGATED.search(passage) or _UNVERIFIED.search(passage) or _NOT_SAYING.search(passage):
        return []
    return main_first([v for v in voices(passage) if v.act is Act.ASSERTS])


def reported_denials(
    claim: str, passages: Sequence[str], closest: Sequence[str]
) -> list[ReportedStance]:
    """Denials reported outside the news, among the passages closest to the claim."""
    if _NEGATIVE_CLAIM.search(claim):
        return []
    news = set(news_of(passages))
    found: list[ReportedStance] = []
    for passage in closest:
        if passage in news:
            continue
        # a denying verb, or a speaker saying it is not so ("has repeatedly said it does not
        # arm them", "said New Delhi neither shipped nor sold shells"), when the speaker is one
        # the claim is about (the accused, its government, its people), and not only that it
        # was not told ("said it never received any information that such events took place")
        negated = [
            v
            for v in _negated_on_record(passage)[:1]
            if (
                _party_to(v.holder, claim)
                or (_OFFICIAL.search(v.holder) and _party_to(passage, claim))
            )
            and not _UNINFORMED.search(passage)
        ]
        for voice in denials(passage) or negated:
            found.append(ReportedStance(Stance.CONTRADICTS, voice.holder, passage))
    return _distinct(found)[:MAX_REPORTED]


# Not having been told is no denial of what happened: "was not familiar with the matter",
# "never received any information", "had not been notified".
_UNINFORMED = re.compile(r"\b(?:familiar|inform(?:ed|ation)|notified|aware)\b", re.I)
# A voice that speaks for a government or a company: "The ministry", "Prime Minister Anwar
# Ibrahim", "a government spokesperson".
_OFFICIAL = re.compile(
    r"\b(?:ministry|minister|government|spokes(?:man|woman|person)|embassy|president|premier|"
    r"chancellor|kremlin|white\s+house|company|firm)\b",
    re.I,
)


def _party_to(holder: str, claim: str) -> bool:
    """Whether ``holder`` is someone ``claim`` is about: a country it names (by any of its
    names: "New Delhi", "India's foreign ministry"), or a name it uses ("Exxon", "Baldwin")."""
    countries = {c.name for c in mentions(claim)}
    if countries & {c.name for c in mentions(holder)}:
        return True
    return bool(_names(holder) & _names(claim))


def _names(text: str) -> set[str]:
    """The capitalised words of ``text`` that name someone: not a title ("President") or a
    sentence's first small word ("The")."""
    words = (w.rstrip(".") for w in re.findall(r"\b[A-Z][\w.-]+", text))
    return {w.lower() for w in words if w.lower() not in _SMALL_WORDS and not has_title(w)}


_SMALL_WORDS = frozenset(
    """the a an in on at of for from to and by with this that these those some its his her
    their after before as if when while""".split()  # noqa: SIM905
)


def news_query(claim: str, title: str, passages: Sequence[str]) -> StanceQuery:
    """The question asked about the news alone: the claim against the title and lead."""
    news = news_of(passages)
    return StanceQuery(claim, news, title, "\n".join(news))


def refutation_for(claim: str, passages: Sequence[str], stance: Stance) -> str | None:
    """The news passage that turns a reading of ``stance`` into a contradiction: for either, a
    headline whose speaker says outright that it is not so (:func:`headline_denies`); for a
    support, news that says it is not so (:func:`news_refutation`); for a mention, news that
    calls it false outright (:func:`news_calls_false`)."""
    if stance in (Stance.SUPPORTS, Stance.MENTIONS) and headline_denies(claim, passages):
        return passages[0]
    if stance is Stance.SUPPORTS:
        return news_refutation(claim, passages)
    if stance is Stance.MENTIONS:
        # A mention whose news sets the claim itself right ("human error, not flipped
        # votes"), or which someone asserts on the record while saying in other words that
        # it is not so ("... claims don't hold up"), contradicts; a "no sign" beside a hedge
        # is no refutation of the claim.
        return (
            news_calls_false(claim, passages)
            or _first_news(claim, passages, lambda p: corrects(claim, p))
            or (news_refutation(claim, passages) if news_assertion(claim, passages) else None)
        )
    return None


def takes_no_side(claim: str, passages: Sequence[str], overall: StanceResult) -> bool:
    """Whether the position the model read is none a desk would see: a contradiction that
    rests on not saying or not knowing, or on mutual blame (:func:`no_position`); a support
    whose news and quote speak only of plans, fears and inquiries (:func:`unsettled`), or
    whose headline sets out a dispute or asks (:func:`disputed`)."""
    if overall.stance is Stance.CONTRADICTS:
        title = passages[0] if passages else ""
        return not news_refutation(claim, passages) and no_position(overall.quote, title, claim)
    if overall.stance is Stance.SUPPORTS:
        return unsettled([*news_of(passages), overall.quote], claim) or disputed(passages)
    return False


def disputed(passages: Sequence[str]) -> bool:
    """Whether the headline sets out a dispute or asks a question, or gives two speakers their
    say ("Reuters says the shells reach Ukraine; New Delhi says it sells none"): no side is
    taken."""
    if not passages:
        return False
    title = passages[0]
    if _DISPUTED.search(title):
        return True
    clauses = [(c, {v.holder.lower() for v in voices(c)}) for c in _CLAUSES.split(title[:300])]
    heard = [(c, who) for c, who in clauses if who]
    return (
        len(heard) > 1
        and len(set().union(*(who for _, who in heard))) > 1
        and any(_DENIES_OR_NEGATES.search(c) for c, _ in heard)
    )


# Where a headline's clauses part: "...; New Delhi says it sells none", "..., Kyiv says ...".
_CLAUSES = re.compile(r"[;,]\s+|(?<!\s)\s+(?:as|while|but|whereas)\s+")
# One of the two says it is not so: "... sells none", "Kyiv denies ...".
_DENIES_OR_NEGATES = re.compile(
    r"\b(?:not|no|never|none|nothing|den(?:y|ies|ied)|reject\w*|dismiss\w*|insists?)\b|n['’]t\b",
    re.I,
)


# A headline that sets out a dispute or asks: "Obliterated or not?", "accounts diverge".
_DISPUTED = re.compile(
    r"\?|\bor not\b|\bdiverg\w*|\bclash\w*|\bsplit\b|\bmixed\b|\bdisputed?\b|\bcontested\b|"
    r"\btrad(?:e|es|ed|ing) (?:accusations|blame)|\bdebat\w*|"
    r"\b(?:accounts|claims|narratives|versions|stories)\s+collid\w*|\bat odds\b|"
    r"\bagainst each other\b",
    re.I,
)


def primary(
    claim: str,
    passages: Sequence[str],
    overall: StanceResult,
    news: StanceResult | None,
    reported: Sequence[ReportedStance],
) -> tuple[StanceResult, tuple[ReportedStance, ...]]:
    """The item's primary stance (with the quote that carries it) and what it reports besides.

    - a denial in the news makes a contradiction, quoted from the news;
    - otherwise, a contradiction that rests on a denial outside the news gives way to what
      the news alone says (``news``), when the news takes a position of its own;
    - a support whose news says outright that it is not so ("no credible evidence", "pleaded
      not guilty") or sets the claim right ("gas and coal, not wind"), or a mention whose news
      calls it false ("has nothing to do with reality"), sets it right, or is on the record
      and refutes it in other words, contradicts (:func:`refutation_for`);
    - a position that rests on not saying, mutual blame, plans or fears is a mention
      (:func:`takes_no_side`);
    - a mention whose news has someone named asserting something on the record, unhedged,
      supports: "an official saying it on the record counts" (:func:`news_assertion`), unless
      it speaks of a plan, a proposal or a call ("will restrict", "called for a ban") or its
      headline sets out a dispute ("Obliterated or not?");
    - the reported denials are listed unless they are the primary stance's own quote.
    """
    result = overall
    denial = news_denial(claim, passages)
    if denial is not None:
        result = StanceResult(
            Stance.CONTRADICTS, max(overall.confidence, 0.5), denial[0], overall.related
        )
    elif (
        overall.stance is Stance.CONTRADICTS
        and reported
        and news is not None
        and news.stance in (Stance.SUPPORTS, Stance.MENTIONS)
    ):
        result = StanceResult(news.stance, news.confidence, news.quote, overall.related)
    elif refuted := refutation_for(claim, passages, overall.stance):
        result = StanceResult(Stance.CONTRADICTS, overall.confidence, refuted, overall.related)
    elif takes_no_side(claim, passages, overall):
        result = StanceResult(Stance.MENTIONS, overall.confidence, overall.quote, overall.related)
    elif (
        overall.stance is Stance.MENTIONS
        and not disputed(passages)
        and (asserted := news_assertion(claim, passages))
    ):
        # The quote is the passage closest to the claim when it is itself on the record
        # ("... shipped shells to Russia, a White House spokesman said"), else the news'.
        quote = overall.quote if asserted_on_record(overall.quote) else asserted
        result = StanceResult(Stance.SUPPORTS, overall.confidence, quote, overall.related)
    others = tuple(r for r in reported if r.quote != result.quote)
    if result.stance is Stance.CONTRADICTS:
        others = tuple(r for r in others if r.stance is not Stance.CONTRADICTS)
    return result, others


def holder_of(result: StanceResult, passages: Sequence[str], closest: Sequence[str] = ()) -> str:
    """Who holds ``result``'s stance: the speaker of its quote (or of the passage before it,
    for "he said"); when the quote names nobody (a headline), the speaker of the lead, then of
    the passages closest to the claim; else the outlet. A role ("the agency") is the one the
    item named before it (:func:`~monitor.judge.attribution.antecedent`); a medium named by
    its kind ("the paper notes") is the one named before, else the outlet itself
    (:func:`~monitor.judge.attribution.outlet_of`)."""
    found = _speaker_of(result, passages, closest)
    if found == OUTLET or not (role_of(found) or medium_of(found)):
        return found
    # Where the role is written: in the quote if it is there, else the first passage naming it.
    for passage in [p for p in passages if p == result.quote] + list(passages):
        if (at := passage.rfind(found)) >= 0:
            n = passages.index(passage)
            earlier = [*passages[:n], passage[:at]]
            if role_of(found):
                return antecedent(found, earlier, _PLACES, said_in=passage)
            return outlet_of(found, earlier)
    return outlet_of(found, [])


def _speaker_of(result: StanceResult, passages: Sequence[str], closest: Sequence[str]) -> str:
    """Who holds ``result``'s stance, roles as written (:func:`holder_of`)."""
    if result.stance is Stance.UNRELATED:
        return OUTLET
    previous = ""
    titled = headline_speaker(passages[0], _PLACES) if passages else ""
    if result.quote in passages:
        index = passages.index(result.quote)
        previous = passages[index - 1] if index > 0 else ""
        if index == 0 and len(passages) > 1:  # a headline: the lead names the speaker in full
            lead = _on_record(passages[1], result.stance)
            if lead != OUTLET and not medium_of(lead):  # a medium yields to the headline's
                return lead
            if titled:  # "Peskov: a single currency is not feasible"
                return titled
    found = holder(result.quote, result.stance, previous)
    if found != OUTLET:
        return found
    for passage in dict.fromkeys([*news_of(passages)[1:], *closest]):
        if passage != result.quote:
            found = _on_record(passage, result.stance)
            if found != OUTLET:
                return found
    return titled or OUTLET


# Places a headline's "X:" may name, which are what the story is about, not who speaks.
_PLACES = frozenset(
    name.lower()
    for country in COUNTRIES
    for name in (country.name, country.capital, *country.other_names)
)


def _on_record(passage: str, stance: Stance) -> str:
    """Who ``passage`` reports holding ``stance`` by a verb that says so; for a contradiction
    also who says, by any verb, that something is not so ("... have nothing to do with
    reality, Peskov told reporters": no denying verb is used)."""
    found = holder(passage, stance, strict=True)
    if found != OUTLET or stance is not Stance.CONTRADICTS:
        return found
    parts = [p for s in split_sentences(passage) for p in _JOINED.split(s)]
    for part in parts:  # the speaker of the statement that says it
        if says_not_so(part):
            found = holder(part, Stance.SUPPORTS, strict=True)
            if found != OUTLET:
                return found
    return OUTLET


# The statements a colon or semicolon joins in one sentence ("The verdict is false: ..., the
# agency says the site is new": the agency does not say it is false).
_JOINED = re.compile(r"[:;]\s+")


def needs_news_reading(
    claim: str, passages: Sequence[str], overall: StanceResult, reported: Sequence[ReportedStance]
) -> bool:
    """Whether the news alone must be read: a contradiction with a denial outside the news."""
    return (
        overall.stance is Stance.CONTRADICTS
        and bool(reported)
        and news_denial(claim, passages) is None
    )


def _distinct(found: list[ReportedStance]) -> list[ReportedStance]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for reported in found:
        key = (reported.holder.lower(), reported.quote)
        if key not in seen:
            seen.add(key)
            kept.append(reported)
    return kept


@dataclass(frozen=True)
class Candidate:
    """A claim and an item found close to it: what :func:`read_candidates` reads."""

    claim: str
    title: str
    text: str
    passages: tuple[str, ...]  # the item's passages in order: title, then the body's
    closest: tuple[str, ...]  # the passages closest to the claim, closest first


@dataclass(frozen=True)
class Reading:
    """A candidate as a desk reads it: the primary stance, who holds it, what else it reports,
    and the model's probability that the item bears on the claim at all."""

    result: StanceResult
    holder: str
    reported: tuple[ReportedStance, ...]
    related: float

    def evidence(
        self, claim_id: int, item_id: int, score: float, *, keep_related: bool, alert: bool = True
    ) -> Evidence:
        """This reading as evidence (``keep_related``: the decision used the relatedness)."""
        return Evidence(
            claim_id=claim_id,
            item_id=item_id,
            score=score,
            quote=self.result.quote,
            stance=self.result.stance,
            stance_confidence=round(self.result.confidence, 4),
            alert=alert,
            holder=self.holder,
            reported=self.reported,
            related=round(self.related, 4) if keep_related else None,
        )


def read_kept(
    classifier: StanceClassifier,
    candidates: Sequence[Candidate],
    keep: Callable[[int, float], bool],
) -> list[Reading | None]:
    """The candidates read as :func:`read_candidates` does, where ``keep(n, related)`` says
    the n-th may become evidence (or a near miss) given its relatedness. A classifier whose
    relatedness comes from a cheaper model (:class:`SeparateRelatedness`: the cross-encoder)
    is asked that first, and reads the stance of the kept candidates only; the others are
    None. Any other classifier reads every candidate (its relatedness comes with its stance),
    and ``keep`` is the caller's to apply."""
    related = None
    if isinstance(classifier, SeparateRelatedness):
        related = classifier.related([_query(c) for c in candidates])
    if related is None:
        return list(read_candidates(classifier, candidates))
    if len(related) != len(candidates):
        raise ModelError(
            f"the relatedness model answered {len(related)} of {len(candidates)} candidates"
        )
    wanted = [n for n, value in enumerate(related) if keep(n, value)]
    read = read_candidates(
        classifier, [candidates[n] for n in wanted], [related[n] for n in wanted]
    )
    readings: list[Reading | None] = [None] * len(candidates)
    for n, one in zip(wanted, read, strict=True):
        readings[n] = one
    return readings


def _query(candidate: Candidate) -> StanceQuery:
    return StanceQuery(candidate.claim, candidate.closest, candidate.title, candidate.text)


def read_candidates(
    classifier: StanceClassifier,
    candidates: Sequence[Candidate],
    related: Sequence[float] | None = None,
) -> list[Reading]:
    """Each candidate through the stance model in one batch, and its news alone (a second
    batch) where a contradiction rests on a denial outside the news; then :func:`primary`.
    ``related``: the candidates' relatedness, already asked of a :class:`SeparateRelatedness`
    classifier."""
    if not candidates:
        return []
    queries = [_query(c) for c in candidates]
    if related is None:
        overall = classifier.classify(queries)
    elif isinstance(classifier, SeparateRelatedness) and len(related) == len(candidates):
        overall = classifier.classify(queries, related)
    else:
        raise ModelError("relatedness given for candidates its classifier cannot take it for")
    reported = [reported_denials(c.claim, c.passages, c.closest) for c in candidates]
    wanted = [
        n
        for n, (c, result) in enumerate(zip(candidates, overall, strict=True))
        if needs_news_reading(c.claim, c.passages, result, reported[n])
    ]
    queries = [
        news_query(candidates[n].claim, candidates[n].title, candidates[n].passages) for n in wanted
    ]
    news = dict(zip(wanted, classifier.classify(queries) if queries else [], strict=True))
    readings = []
    for n, (candidate, result) in enumerate(zip(candidates, overall, strict=True)):
        verdict, others = primary(
            candidate.claim, candidate.passages, result, news.get(n), reported[n]
        )
        who = holder_of(verdict, candidate.passages, candidate.closest)
        readings.append(Reading(verdict, who, others, result.related))
    return readings
