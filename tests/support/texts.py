"""Article texts shared by tests: one wire story, a copy of it and an independent report."""

from __future__ import annotations

WIRE = (
    "North Korea has sent more than a million artillery shells to Russia since August, "
    "according to officials in Seoul who briefed lawmakers on Wednesday. The shipments moved "
    "by rail from the port of Rajin and by sea to a naval base near Vladivostok, the officials "
    "said, adding that the pace of deliveries had picked up in recent weeks as Moscow sought to "
    "replenish stocks depleted by the war in Ukraine. Pyongyang and Moscow have denied any arms "
    "trade, calling the reports fabrications."
)
COPY = (
    "SEOUL (Wire) - North Korea has sent more than a million artillery shells to Russia since "
    "August, according to officials in Seoul who briefed lawmakers on Wednesday. The shipments "
    "moved by rail from the port of Rajin and by sea to a naval base near Vladivostok, the "
    "officials said, adding that the pace of deliveries had picked up in recent weeks as Moscow "
    "sought to replenish stocks depleted by the war in Ukraine. Pyongyang and Moscow have denied "
    "any arms trade. Reporting by a staff writer."
)
INDEPENDENT = (
    "South Korean intelligence told a closed session of parliament that trains and ships have "
    "carried a very large quantity of North Korean ammunition to Russian forces this autumn. "
    "Lawmakers who attended said the agency counted roughly one million rounds, moved through "
    "Rajin and onward to the Russian Far East. Neither government has acknowledged a deal, and "
    "both have dismissed earlier accounts as hostile propaganda aimed at isolating them."
)


# Short wire briefs (15-39 words): a copy with a dateline, another brief on the same event in
# other words, and two daily briefs written to one template.
BRIEF = (
    "North Korea has sent Russia about a million artillery shells by rail and ship since "
    "August, South Korea's intelligence service told lawmakers on Wednesday."
)
BRIEF_COPY = (
    "SEOUL - North Korea has sent Russia about a million artillery shells by rail and ship "
    "since August, South Korea's intelligence service told lawmakers on Wednesday."
)
OTHER_BRIEF = (
    "Seoul's intelligence agency says Pyongyang shipped roughly one million shells to Moscow "
    "over recent months, using both trains and cargo vessels."
)
TEMPLATE_MONDAY = (
    "Defence intelligence update on Ukraine, 24 November: Russian forces kept up assaults "
    "near Pokrovsk, with heavy losses on both sides, the ministry said."
)
TEMPLATE_TUESDAY = (
    "Defence intelligence update on Ukraine, 25 November: Russian forces kept up assaults "
    "near Kupiansk, with heavy losses on both sides, the ministry said."
)
