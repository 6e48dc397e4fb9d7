"""A desk's reading of an item: the primary stance is its news; denials in passing are listed."""

from __future__ import annotations

import pytest

from monitor.judge.reading import holder_of, news_query, primary, reported_denials
from monitor.types import ReportedStance, Stance, StanceResult

CLAIM = "North Korea is supplying artillery shells to Russia"
SHIPMENTS = [
    "North Korea shipped a million shells to Russia, White House says",
    "National Security Council spokesman John Kirby told reporters that North Korea has "
    "covertly supplied Russia with artillery shells for the war in Ukraine.",
    "The shipments were sent by rail through the border crossing at Tumangang, he said.",
    "Analysts say the munitions are old but still usable in large numbers.",
    "Pyongyang has repeatedly denied supplying weapons to Moscow.",
]
DENIAL = [
    "North Korea denies arms deal with Russia",
    "North Korea's foreign ministry denied on Friday that it was supplying artillery shells "
    "to Russia, calling Washington's accusations absurd.",
    "The White House said last week that it had evidence of the shipments.",
]


def test_a_report_of_the_shipments_that_recalls_a_denial_supports_and_lists_the_denial() -> None:
    closest = [SHIPMENTS[1], SHIPMENTS[4], SHIPMENTS[0]]
    reported = reported_denials(CLAIM, SHIPMENTS, closest)
    assert reported == [ReportedStance(Stance.CONTRADICTS, "Pyongyang", SHIPMENTS[4])]
    # The model, reading the whole item, is swayed by the denial; on the news alone it is not.
    overall = StanceResult(Stance.CONTRADICTS, 0.7, SHIPMENTS[4], related=0.95)
    news = StanceResult(Stance.SUPPORTS, 0.8, SHIPMENTS[1])
    result, others = primary(CLAIM, SHIPMENTS, overall, news, reported)
    assert (result.stance, result.quote) == (Stance.SUPPORTS, SHIPMENTS[1])
    assert result.related == 0.95
    assert others == tuple(reported)
    assert holder_of(result, SHIPMENTS) == "National Security Council spokesman John Kirby"


def test_the_news_alone_is_what_the_model_is_asked_about() -> None:
    query = news_query(CLAIM, SHIPMENTS[0], SHIPMENTS)
    assert query.passages == tuple(SHIPMENTS[:2])
    assert SHIPMENTS[4] not in query.body


def test_a_denial_that_is_the_news_contradicts_and_is_held_by_the_denier() -> None:
    overall = StanceResult(Stance.SUPPORTS, 0.6, DENIAL[2])
    result, others = primary(CLAIM, DENIAL, overall, None, [])
    assert result.stance is Stance.CONTRADICTS
    assert result.quote == DENIAL[1]  # the lead names the denier in full; the title is short
    assert holder_of(result, DENIAL) == "North Korea's foreign ministry"
    assert others == ()


def test_a_contradiction_without_a_denial_in_passing_is_kept() -> None:
    overall = StanceResult(Stance.CONTRADICTS, 0.8, "Satellite images show no shipments.")
    result, others = primary(
        CLAIM, ["A title", "Satellite images show no shipments."], overall, None, []
    )
    assert result == overall
    assert others == ()


def test_a_claim_that_is_itself_a_denial_is_not_contradicted_by_one() -> None:
    claim = "North Korea denies sending shells to Russia"
    assert reported_denials(claim, SHIPMENTS, [SHIPMENTS[4]]) == []
    overall = StanceResult(Stance.SUPPORTS, 0.7, DENIAL[1])
    result, _ = primary(claim, DENIAL, overall, None, [])
    assert result.stance is Stance.SUPPORTS


def test_a_passage_nobody_is_said_to_speak_is_held_by_the_outlet() -> None:
    passages = ["Pyongyang has sent more than a million rounds of artillery ammunition to Moscow."]
    result = StanceResult(Stance.SUPPORTS, 0.9, passages[0])
    assert holder_of(result, passages) == "the outlet"


def test_an_official_asserting_it_on_the_record_supports_though_the_model_said_mentions() -> None:
    overall = StanceResult(Stance.MENTIONS, 0.6, SHIPMENTS[1], related=0.9)
    result, _ = primary(CLAIM, SHIPMENTS, overall, None, [])
    # The closest passage is itself on the record: it is the quote, with its speaker in full.
    assert (result.stance, result.quote) == (Stance.SUPPORTS, SHIPMENTS[1])
    assert holder_of(result, SHIPMENTS) == "National Security Council spokesman John Kirby"
    unvoiced = "The shells travelled by rail through the border crossing at Tumangang."
    headline_only = StanceResult(Stance.MENTIONS, 0.6, unvoiced, related=0.9)
    result, _ = primary(CLAIM, SHIPMENTS, headline_only, None, [])
    assert (result.stance, result.quote) == (Stance.SUPPORTS, SHIPMENTS[0])
    # The headline says "White House says"; the lead names the speaker in full.
    assert holder_of(result, SHIPMENTS) == "National Security Council spokesman John Kirby"


def test_a_negated_statement_on_the_record_in_the_lead_is_the_denial_quoted() -> None:
    passages = [
        "Tehran rejects reports on drone deliveries",
        "Iran's foreign ministry said on Thursday that it has not sent any Shahed drones to "
        "Russia for use in Ukraine.",
    ]
    overall = StanceResult(Stance.CONTRADICTS, 0.6, passages[0], related=0.9)
    result, _ = primary("Iran supplies Shahed attack drones to Russia", passages, overall, None, [])
    assert (result.stance, result.quote) == (Stance.CONTRADICTS, passages[1])
    assert holder_of(result, passages) == "Iran's foreign ministry"
    unverified = "A Pentagon spokesman said the department had not verified the reports."
    overall = StanceResult(Stance.MENTIONS, 0.6, unverified, related=0.9)
    result, _ = primary(CLAIM, ["Shells and Russia", unverified], overall, None, [])
    assert result.stance is Stance.MENTIONS  # not knowing is no denial


def test_a_hedged_or_questioned_report_stays_a_mention() -> None:
    for lead in (
        "A Pentagon spokesman said he could not confirm that shells had been delivered.",
        "US officials said they were investigating whether North Korea sent shells to Russia.",
    ):
        passages = ["North Korea and Russia: what we know", lead]
        overall = StanceResult(Stance.MENTIONS, 0.6, lead)
        result, _ = primary(CLAIM, passages, overall, None, [])
        assert result.stance is Stance.MENTIONS


def test_news_that_says_outright_it_is_not_so_contradicts_though_the_model_said_supports() -> None:
    passages = [
        "Pentagon sees no credible evidence shells from Pyongyang reached Russian units",
        "A Pentagon spokesman said the department had not verified the reports.",
    ]
    overall = StanceResult(Stance.SUPPORTS, 0.7, passages[1])
    result, _ = primary(CLAIM, passages, overall, None, [])
    assert (result.stance, result.quote) == (Stance.CONTRADICTS, passages[0])


def shown(claim: str, passages: list[str], model: Stance, quote: str | None = None) -> Stance:
    """The stance a desk is shown when the model read ``model`` into ``quote`` (by default the
    last passage) and nothing is reported in passing."""
    overall = StanceResult(model, 0.7, passages[-1] if quote is None else quote)
    result, _ = primary(claim, passages, overall, None, [])
    return result.stance


def test_a_plan_or_a_call_on_the_record_is_no_assertion_that_it_is_so() -> None:
    claim = "The EU has banned imports of Russian diamonds"
    for lead in (
        "The EU will restrict imports of Russian diamonds, the Commission president said.",
        "Belgium's prime minister called for a ban on Russian diamonds at the summit.",
        "A draft package, the Commission said, proposes a ban on Russian diamonds.",
    ):
        passages = ["EU leaders discuss Russian diamonds", lead]
        assert shown(claim, passages, Stance.MENTIONS) is Stance.MENTIONS, lead


def test_news_that_calls_the_claim_unreal_contradicts_though_the_model_said_mentions() -> None:
    claim = "The Kremlin ordered the poisoning of the opposition leader"
    passages = [
        "Kremlin: talk of its role in the poisoning 'has nothing to do with reality'",
        "Suggestions that Moscow was involved have nothing to do with reality, the Kremlin "
        "spokesman told reporters on Tuesday.",
    ]
    assert shown(claim, passages, Stance.MENTIONS) is Stance.CONTRADICTS


def test_not_saying_who_did_it_or_trading_blame_is_no_contradiction() -> None:
    claim = "Ukrainian forces destroyed the bridge"
    for title, lead in (
        (
            "Investigators confirm the bridge was blown up",
            "Investigators said the blast was deliberate but have not said who set the charges.",
        ),
        (
            "Kyiv and Moscow trade blame over the bridge",
            "Each side accuses the other of destroying the bridge, and both deny involvement.",
        ),
    ):
        assert shown(claim, [title, lead], Stance.CONTRADICTS) is Stance.MENTIONS, lead


def test_a_denial_reported_in_an_inquiry_story_stays_a_contradiction() -> None:
    claim = "The regional election was rigged"
    passages = [
        "Officials deny rigging allegations, inquiry told",
        "The inquiry heard from returning officers, who denied any rigging, an official said.",
    ]
    assert shown(claim, passages, Stance.CONTRADICTS) is Stance.CONTRADICTS


def test_a_report_whose_news_is_all_plans_and_fears_is_a_mention() -> None:
    claim = "North Korea is supplying artillery shells to Russia"
    passages = [
        "Western capitals fear an arms deal as leaders meet",
        "Officials fear Pyongyang may send shells to Moscow if the summit goes well.",
    ]
    assert shown(claim, passages, Stance.SUPPORTS) is Stance.MENTIONS


def test_who_says_the_headline_is_not_so_holds_the_contradiction() -> None:
    passages = [
        "Kremlin: talk of its role in the poisoning 'has nothing to do with reality'",
        "Suggestions that Moscow was involved have nothing to do with reality, Peskov told "
        "reporters on Tuesday.",
    ]
    result = StanceResult(Stance.CONTRADICTS, 0.6, passages[0])
    assert holder_of(result, passages) == "Peskov"


def test_planes_and_the_month_of_may_are_no_plans_or_hedges() -> None:
    for claim, title, lead in (
        (
            "A Russian fighter jet shot down a Ukrainian transport plane",
            "Russian fighter jet shot down Ukrainian cargo plane, Kyiv says",
            "A Russian Su-35 shot down a Ukrainian An-26 transport plane over Kherson on "
            "Monday, Ukraine's air force said.",
        ),
        (
            "Iran has supplied Russia with attack drones",
            "Iran sent drones to Russia in May, US says",
            "Iran shipped hundreds of Shahed drones to Russia in May, a White House spokesman "
            "said on Tuesday.",
        ),
    ):
        assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.SUPPORTS, title


def test_no_sign_of_something_else_does_not_turn_a_mention_into_a_contradiction() -> None:
    claim = "North Korean troops are fighting in Kursk"
    passages = [
        "Fighting in Kursk grinds on",
        "There is no sign the fighting in Kursk will ease soon, Ukraine's commander said.",
    ]
    assert shown(claim, passages, Stance.MENTIONS) is Stance.MENTIONS


def test_a_contracted_not_saying_is_no_position_either() -> None:
    claim = "Ukrainian forces destroyed the bridge"
    lead = "Police haven't said who set the charges that brought the bridge down."
    assert (
        shown(claim, ["Bridge blast under investigation", lead], Stance.CONTRADICTS)
        is Stance.MENTIONS
    )


def test_leaders_toasting_each_other_is_no_mutual_blame() -> None:
    claim = "North Korea has sent troops to Russia"
    passages = [
        "Kim and Putin toast each other at Pyongyang summit",
        "Kim Jong Un told Putin that no North Korean soldier is in Russia.",
    ]
    assert shown(claim, passages, Stance.CONTRADICTS) is Stance.CONTRADICTS


def test_a_headline_that_names_its_speaker_before_a_colon_says_who_holds_it() -> None:
    passages = [
        "Peskov: talk of a shared BRICS currency is premature",
        "Members are working on payment links between their banks instead.",
    ]
    result = StanceResult(Stance.CONTRADICTS, 0.8, passages[0], related=0.9)
    assert holder_of(result, passages) == "Peskov"
    # A label or a place before the colon names nobody.
    for label in ("Fact check", "False", "Sudan", "Analysis"):
        labelled = [f"{label}: no shared BRICS currency is coming", passages[1]]
        result = StanceResult(Stance.CONTRADICTS, 0.8, labelled[0], related=0.9)
        assert holder_of(result, labelled) == "the outlet", label


def test_who_says_it_is_not_so_in_the_news_holds_the_contradiction() -> None:
    passages = [
        "Carrier strike reports dismissed",
        "The statement on Friday gave no details of the weapons used.",
        "The carrier was never hit and no missiles came near it, a US defense official told "
        "a news site on Saturday.",
    ]
    result = StanceResult(Stance.CONTRADICTS, 0.8, passages[1], related=0.9)
    assert holder_of(result, passages, closest=[passages[2]]) == "a US defense official"
    # The outlet's own "it does not" after someone's claim is not that speaker's.
    passages = [
        "Minister again says importers abroad pay the levy. They do not",
        "The levies are paid by the firms at home that import the goods.",
    ]
    result = StanceResult(Stance.CONTRADICTS, 0.8, passages[1], related=0.9)
    assert holder_of(result, passages) == "the outlet"


def test_a_speaker_beside_the_outlets_verdict_does_not_hold_it() -> None:
    passages = [
        "No, the minister did not buy a yacht",
        "The verdict is false: the story began on a fake site, which the national cyber agency "
        "says was set up a week earlier.",
    ]
    result = StanceResult(Stance.CONTRADICTS, 0.8, passages[0], related=0.9)
    assert holder_of(result, passages) == "the outlet"


@pytest.mark.parametrize(
    "lead",
    [
        "A review panel concluded on Monday that there is no basis for calling the compound a "
        "superconductor.",
        "The ministry described the president's remarks as inaccurate and said no deal was made.",
        "Viral posts took a federal report out of context, the fact-checkers found.",
        "The agency says the popular summary misstates what the court decided.",
        "The company's claims do not hold up, two outside researchers said.",
    ],
)
def test_news_that_refutes_in_other_words_contradicts_a_support(lead: str) -> None:
    passages = ["What the review found", lead]
    overall = StanceResult(Stance.SUPPORTS, 0.7, passages[0], related=0.9)
    result, _ = primary("The compound is a superconductor", passages, overall, None, [])
    assert result.stance is Stance.CONTRADICTS


@pytest.mark.parametrize(
    ("claim", "title"),
    [
        (
            "Frozen wind turbines caused the winter blackout",
            "Grid data show gas and coal, not wind, caused most lost power",
        ),
        (
            "The two countries signed a peace treaty in Geneva",
            "Geneva talks produce an initialled draft, not a signed treaty",
        ),
        (
            "The ship's crew deliberately cut the cable",
            "Investigators now see the cable break as an accident rather than deliberate sabotage",
        ),
    ],
)
def test_news_that_sets_the_claim_right_contradicts_it(claim: str, title: str) -> None:
    passages = [title, "The findings were published on Friday."]
    assert shown(claim, passages, Stance.SUPPORTS, quote=title) is Stance.CONTRADICTS
    # "X, not Y" with the claim on the kept side is no correction of it.
    kept = "Gas and coal plants, not wind, caused the winter blackout"
    assert (
        shown("Gas and coal plants caused the winter blackout", [kept], Stance.SUPPORTS)
        is Stance.SUPPORTS
    )


@pytest.mark.parametrize(
    "title",
    [
        "Destroyed or not? Officials' accounts of the strike damage clash",
        "Accounts of the damage diverge between agencies",
        "Capitals trade accusations over the border fighting",
    ],
)
def test_a_headline_that_sets_out_a_dispute_takes_no_side(title: str) -> None:
    claim = "The strikes destroyed the enrichment site"
    lead = "The defence minister told reporters the enrichment site had been destroyed."
    assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.MENTIONS
    assert shown(claim, [title, lead], Stance.MENTIONS) is Stance.MENTIONS


def test_a_done_deed_on_the_record_is_settled_though_a_plan_follows_it() -> None:
    claim = "The country has received ballistic missiles from its ally"
    title = "Minister: the missiles have arrived and will be used within weeks"
    lead = (
        "The foreign minister said the country had taken delivery of the missiles and would "
        "likely fire them within weeks."
    )
    assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.SUPPORTS
    # An inquiry into whether it will be done is still open, though it "has opened".
    title = "Allies weigh whether the missiles will be sent"
    lead = "Officials have opened an inquiry into whether the missiles will be delivered."
    assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.MENTIONS


def test_a_mention_on_the_record_that_says_it_does_not_hold_up_contradicts() -> None:
    claim = "Fluoride in tap water lowers children's IQ"
    passages = [
        "Review: the fluoride claims do not hold up",
        "The health secretary told a cabinet meeting that new science shows fluoride lowers IQ.",
    ]
    assert shown(claim, passages, Stance.MENTIONS, quote=passages[1]) is Stance.CONTRADICTS


@pytest.mark.parametrize(
    "lead",
    [
        "The president says a drone hit the shelter; the claim could not be independently "
        "verified.",
        "The astronomer won't rule out an artificial origin for the object.",
        "Asked about the jets, the air marshal spoke of losses in any combat without confirming "
        "or denying specific aircraft.",
        "Ministers still cannot say why the grid went down.",
    ],
)
def test_not_confirming_not_ruling_out_and_not_knowing_take_no_side(lead: str) -> None:
    claim = "A drone destroyed the shelter"
    assert shown(claim, ["What we know so far", lead], Stance.CONTRADICTS) is Stance.MENTIONS


def test_none_of_it_on_the_record_is_a_denial() -> None:
    claim = "Disaster relief money was diverted to migrants"
    passages = [
        "Agency answers relief rumours",
        "The agency said flatly that none of its disaster relief money was diverted.",
    ]
    assert shown(claim, passages, Stance.MENTIONS) is Stance.CONTRADICTS
    passages[1] = "A review by the network's verification team found nothing to back the claim."
    assert shown(claim, passages, Stance.MENTIONS) is Stance.CONTRADICTS


def test_a_denial_in_passing_past_an_adverb_is_listed_with_the_support() -> None:
    claim = "Rwandan troops fought alongside the rebels"
    passages = [
        "UN experts detail joint assault on army base",
        "Experts told the Security Council that Rwandan troops fought beside the rebels.",
        "The attack on the base was mounted jointly, the report says.",
        "Kigali has strenuously denied any involvement.",
    ]
    overall = StanceResult(Stance.SUPPORTS, 0.8, passages[1], related=0.9)
    reported = reported_denials(claim, passages, passages)
    result, others = primary(claim, passages, overall, None, reported)
    assert result.stance is Stance.SUPPORTS
    assert [(o.stance, o.holder) for o in others] == [(Stance.CONTRADICTS, "Kigali")]


def test_a_possible_link_is_unsettled_unless_the_claim_itself_says_possibly() -> None:
    title = "Regulator to warn doctors of a possible link between the drug and the disorder"
    lead = "Officials said on Monday that the drug may be associated with the disorder."
    claim = "The drug causes the disorder"
    assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.MENTIONS
    claim = "The agency classified the sweetener as possibly carcinogenic"
    title = "Agency labels the sweetener a possible carcinogen"
    lead = "The agency on Friday labelled the sweetener a possible carcinogen."
    assert shown(claim, [title, lead], Stance.SUPPORTS) is Stance.SUPPORTS


@pytest.mark.parametrize(
    ("passages", "quote", "stance", "expected"),
    [
        (  # the nearest name ending in the role's noun
            (
                "Port strike spreads along the coast",
                "Norland's transport ministry said the strike had closed three ports.",
                "The ministry said talks with the dockers would resume on Friday.",
            ),
            2,
            Stance.SUPPORTS,
            "Norland's transport ministry",
        ),
        (  # an agency by any of an agency's names
            (
                "Bonds slide as Ruritania misses a payment",
                "The International Energy Agency cut its forecast on Tuesday.",
                "The agency said demand would fall for a second year.",
            ),
            2,
            Stance.SUPPORTS,
            "International Energy Agency",
        ),
        (  # none earlier: who the headline says acts
            (
                "Fitch flags default risk for Ruritania",
                "The ratings agency said on Monday that Ruritania had missed a coupon payment.",
            ),
            1,
            Stance.SUPPORTS,
            "Fitch",
        ),
        (
            (
                "Miller in first interview: 'I never fired it'",
                "Speaking for the first time since the accident, the actor told a TV station "
                "that he never fired the gun.",
            ),
            1,
            Stance.CONTRADICTS,
            "Miller",
        ),
        (  # nobody to stand for: the role as written
            ("Talks stall in the capital", "The ministry said talks would resume on Friday."),
            1,
            Stance.SUPPORTS,
            "The ministry",
        ),
        (  # a capitalised headline word is no one's name
            ("Watchdog says the dam is unsafe", "The agency said the dam would not hold."),
            1,
            Stance.SUPPORTS,
            "The agency",
        ),
    ],
)
def test_a_role_is_held_by_the_one_the_item_named_before(
    passages: tuple[str, ...], quote: int, stance: Stance, expected: str
) -> None:
    result = StanceResult(stance, 0.8, passages[quote])
    assert holder_of(result, passages) == expected


def test_the_outlet_speaking_of_itself_holds_its_statement() -> None:
    passages = (
        "Chile's economy grows 3% in the year",
        "Mining output rose by 4.2%, the statistics institute said.",
        "That still leaves Chile third in the region, the paper notes.",
        "With growth of 2.1% to 2.8% projected next year, it could move up.",
    )
    result = StanceResult(Stance.SUPPORTS, 0.7, passages[2])
    assert holder_of(result, passages, closest=(passages[3], passages[1])) == "the outlet"


ARSON = "Northland's intelligence service ordered the fire at the Ruritania depot"
DEPOT = "The depot, which held grain and fuel, burned for two days."


def primary_of(passages: list[str], model_said: Stance) -> Stance:
    """The primary stance of ``passages`` against :data:`ARSON` when the model read
    ``model_said`` into their last passage."""
    overall = StanceResult(model_said, 0.7, passages[-1], related=0.9)
    result, _ = primary(ARSON, passages, overall, None, [])
    return result.stance


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Ruiz: Northland's spies ordered depot blaze", Stance.SUPPORTS),
        ("Ruiz: Northland's spies may have ordered depot blaze", Stance.MENTIONS),  # a hedge
        ("Ruiz: the 'arson' was an electrical fault", Stance.MENTIONS),  # scare quotes
        ("Insurer: depot losses set to pass $40m", Stance.MENTIONS),  # only on course
        ("Analysis: Northland's spies ordered depot blaze", Stance.MENTIONS),  # a label
        ("Ruiz: did Northland's spies order the blaze?", Stance.MENTIONS),  # a question
    ],
)
def test_a_headline_that_names_its_speaker_and_says_it_outright_supports(
    headline: str, expected: Stance
) -> None:
    lead = "Prime Minister Ana Ruiz spoke after investigators finished their work at the site."
    assert primary_of([headline, lead, DEPOT], Stance.MENTIONS) is expected


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        (
            "Auditors say Northland's spies ordered the blaze; Northland says it had no part",
            Stance.MENTIONS,
        ),
        ("Depot blaze: Ruritania's and Northland's accounts collide", Stance.MENTIONS),
        ("Ruiz says agents found the fuse Northland's spies used", Stance.SUPPORTS),
    ],
)
def test_a_headline_giving_two_speakers_their_say_takes_no_side(
    headline: str, expected: Stance
) -> None:
    assert primary_of([headline, DEPOT], Stance.SUPPORTS) is expected


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Ruiz: no sign Northland's spies were behind the depot fire", Stance.CONTRADICTS),
        ("Fire chief: the depot fire was not ordered by anyone", Stance.CONTRADICTS),
        ("Ruiz: not yet clear who started the depot fire", Stance.MENTIONS),  # not known
        ("Ruiz: we cannot confirm Northland ordered the fire", Stance.MENTIONS),  # not saying
        ("Ruiz: depot fire is the region's No. 1 disaster of the year", Stance.MENTIONS),
        # ... and what only sounds negative is no denial
        ("Ruiz: there is no doubt Northland's spies ordered the depot blaze", Stance.SUPPORTS),
        ("Ruiz: not only Northland's spies but its army ordered the depot blaze", Stance.SUPPORTS),
        ("Ruiz: Northland's spies ordered depot fire, not a short circuit", Stance.SUPPORTS),
        ("Ruiz: Northland's spies ordered depot blaze without warning", Stance.SUPPORTS),
        ("Fire chief: the depot had no sprinklers when Northland's spies struck", Stance.SUPPORTS),
    ],
)
def test_a_headline_whose_speaker_says_outright_it_is_not_so_contradicts(
    headline: str, expected: Stance
) -> None:
    model_said = Stance.SUPPORTS if expected is Stance.SUPPORTS else Stance.MENTIONS
    assert primary_of([headline, DEPOT], model_said) is expected


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        (
            "Phone footage undercuts the account that Northland's spies set the depot fire.",
            Stance.CONTRADICTS,
        ),
        (
            "Ruritania's police walked back their finding that Northland's spies set the fire.",
            Stance.CONTRADICTS,
        ),
        (
            "The fire brigade's report cuts against the claim that spies set the depot fire.",
            Stance.CONTRADICTS,
        ),
        # ... not when what is undercut or contradicted is something else
        (
            "Police said Northland's spies ordered the depot fire, which contradicts "
            "Northland's denial.",
            Stance.SUPPORTS,
        ),
        (
            "Northland's spies ordered the depot fire, undercutting Ruritania's grain exports.",
            Stance.SUPPORTS,
        ),
        (
            "Survivors walked back into the burned depot after Northland's spies ordered the fire.",
            Stance.SUPPORTS,
        ),
        ("Witness accounts contradict each other on when the depot fire began.", Stance.SUPPORTS),
    ],
)
def test_news_that_undercuts_or_walks_back_an_account_of_the_claim_contradicts(
    lead: str, expected: Stance
) -> None:
    assert primary_of(["Depot fire: the inquiry", lead], Stance.SUPPORTS) is expected


@pytest.mark.parametrize(
    "headline",
    [
        "Ukraine War: Northland's spies ordered depot blaze",
        "Day 100: Northland's spies ordered depot blaze",
        "Election 2024: Northland's spies ordered depot blaze",
        "Russia, Ukraine: spies ordered depot blaze",
    ],
)
def test_a_section_date_or_place_before_a_colon_is_no_speaker(headline: str) -> None:
    assert primary_of([headline, DEPOT], Stance.MENTIONS) is Stance.MENTIONS
    assert holder_of(StanceResult(Stance.MENTIONS, 0.6, DEPOT), [headline, DEPOT]) == "the outlet"


@pytest.mark.parametrize(
    "headline",
    [
        "Police say Northland's spies ordered the blaze, Ruiz says",  # they agree
        "Northland warship collides with Ruritania ferry near the depot",  # a collision
    ],
)
def test_speakers_who_agree_or_a_real_collision_are_no_dispute(headline: str) -> None:
    assert primary_of([headline, DEPOT], Stance.SUPPORTS) is Stance.SUPPORTS


@pytest.mark.parametrize(
    ("passages", "expected"),
    [
        (  # the nearest of two names, not the first
            (
                "Ministries trade blame over the strike",
                "Ruritania's foreign ministry summoned the envoy.",
                "Norland's transport ministry said the strike had closed three ports.",
                "The ministry said talks would resume on Friday.",
            ),
            "Norland's transport ministry",
        ),
        (  # a title keeps the name after it
            (
                "Ruiz vows an inquiry",
                "Prime Minister Ana Ruiz spoke in parliament on Monday.",
                "The minister said the inquiry would report in May.",
            ),
            "Prime Minister Ana Ruiz",
        ),
        (  # an unnamed official is never the headline's speaker
            (
                "Biden says the talks will go on",
                "The official, who spoke on condition of anonymity, said talks would resume.",
            ),
            "The official",
        ),
        (  # a headline's noun that does not act is no one
            ("Oil prices jump on supply fears", "The agency said demand would fall."),
            "The agency",
        ),
    ],
)
def test_a_role_stands_for_the_nearest_fitting_name_or_stays_as_written(
    passages: tuple[str, ...], expected: str
) -> None:
    result = StanceResult(Stance.SUPPORTS, 0.8, passages[-1])
    assert holder_of(result, passages) == expected


@pytest.mark.parametrize(
    ("passages", "expected"),
    [
        (
            (
                "Drones hit the port",
                "Iran's state TV channel showed the launch on Monday.",
                "The drones were Iranian-made, the channel said.",
            ),
            "Iran's state TV channel",
        ),
        (("Drones hit the port", "The drones were Iranian-made, the paper notes."), "the outlet"),
        (("Fact check: no drones", "The fact-checker found no such strike."), "the outlet"),
        (("Port strike", "The drones were not Iranian, the report says."), "the outlet"),
        (
            ("Port strike", "The Navy's damage report lists six drones.", "The report says so."),
            "Navy's damage report",
        ),
        (
            ("German site: drones were Iranian", "The site says the drones were Iranian."),
            "the outlet",
        ),
        (("Opinion: the port", "The writer argues the drones were Iranian."), "the outlet"),
    ],
)
def test_a_medium_named_by_its_kind_is_the_one_named_before_or_the_outlet(
    passages: tuple[str, ...], expected: str
) -> None:
    result = StanceResult(Stance.SUPPORTS, 0.8, passages[-1])
    assert holder_of(result, passages) == expected


@pytest.mark.parametrize(
    ("denial", "holder"),
    [
        # said not so, by a party to the claim (its country by another name)
        ("Tehran has repeatedly said it does not arm the rebels.", "Tehran"),
        ("Kigali's spokeswoman called the findings unsubstantiated.", "Kigali's spokeswoman"),
        ("Kagame, in a radio interview, has always denied it.", "Kagame"),
        ("Both companies rejected the accusation.", "companies"),
    ],
)
def test_a_denial_in_passing_without_a_denying_verb_is_listed(denial: str, holder: str) -> None:
    claim = "Rwanda and Iran armed the rebels, President Kagame's critics say"
    passages = [
        "UN experts detail weapons found at the rebels' base",
        "Experts told the Security Council that Rwanda and Iran armed the rebels.",
        "The crates carried serial numbers, the report says.",
        denial,
    ]
    reported = reported_denials(claim, passages, passages)
    assert [(r.stance, r.holder) for r in reported] == [(Stance.CONTRADICTS, holder)]


@pytest.mark.parametrize(
    "passage",
    [
        "Kigali said it never received any information that such fighting took place.",
        "A Rwandan embassy spokesman said he was not familiar with the matter.",
    ],
)
def test_not_having_been_told_is_no_denial_in_passing(passage: str) -> None:
    claim = "Rwandan troops fought alongside the rebels"
    passages = [
        "UN experts detail joint assault on army base",
        "Experts told the Security Council that Rwandan troops fought beside the rebels.",
        passage,
    ]
    assert reported_denials(claim, passages, passages) == []


def test_a_negated_statement_by_someone_the_claim_is_not_about_is_no_denial() -> None:
    claim = "Rwandan troops fought alongside the rebels"
    passages = [
        "UN experts detail joint assault on army base",
        "Experts told the Security Council that Rwandan troops fought beside the rebels.",
        "The French ambassador said Paris had not been consulted on the report.",
    ]
    assert reported_denials(claim, passages, passages) == []
