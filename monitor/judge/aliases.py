"""Other names news uses for a country: its capital, its government, its leader (pure).

Reporting rarely repeats a claim's wording: "North Korea is supplying shells to Russia" is
written "Pyongyang has sent a million rounds to Moscow" or "Kim Jong Un's regime ships
ammunition to the Kremlin". :func:`expand` rewrites a claim once with each kind of name, so that
matching compares passages with every phrasing (embedded once per claim, which is cheap) and
finds them in other words.

The table is short on purpose: the countries most in the news, written here by hand. Leaders
change; edit the table (``_TABLE``) when they do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Country:
    """A country's names, as news writes them."""

    name: str  # as a claim would write it
    capital: str
    government: str  # a metonym for its government ("the Kremlin"), or "the X government"
    leader: str
    adjective: str
    other_names: tuple[str, ...] = ()  # also the country ("the United States", "U.S.")


# name | capital | government | leader | adjective | other names of the country
_TABLE = """
North Korea | Pyongyang | the North Korean government | Kim Jong Un | North Korean | DPRK, the DPRK
South Korea | Seoul | the South Korean government | the South Korean president | South Korean
Russia | Moscow | the Kremlin | Vladimir Putin | Russian | the Russian Federation
Ukraine | Kyiv | the Ukrainian government | Volodymyr Zelensky | Ukrainian
Iran | Tehran | the Iranian government | Ayatollah Ali Khamenei | Iranian | the Islamic Republic
China | Beijing | the Chinese government | Xi Jinping | Chinese | PRC, People's Republic of China
Taiwan | Taipei | the Taiwanese government | the Taiwanese president | Taiwanese
the United States | Washington | the White House | the US president | American | US, U.S., America
the United Kingdom | London | Downing Street | the British prime minister | British | UK, Britain
France | Paris | the Elysee | the French president | French
Germany | Berlin | the German government | the German chancellor | German
Israel | Jerusalem | the Israeli government | Benjamin Netanyahu | Israeli
Syria | Damascus | the Syrian government | the Syrian president | Syrian
Turkey | Ankara | the Turkish government | Recep Tayyip Erdogan | Turkish | Turkiye, Türkiye
Belarus | Minsk | the Belarusian government | Alexander Lukashenko | Belarusian
Saudi Arabia | Riyadh | the Saudi government | Crown Prince Mohammed bin Salman | Saudi
India | New Delhi | the Indian government | Narendra Modi | Indian
Pakistan | Islamabad | the Pakistani government | the Pakistani prime minister | Pakistani
Japan | Tokyo | the Japanese government | the Japanese prime minister | Japanese
Venezuela | Caracas | the Venezuelan government | Nicolas Maduro | Venezuelan
Egypt | Cairo | the Egyptian government | Abdel Fattah el-Sisi | Egyptian
Afghanistan | Kabul | the Taliban government | the Taliban | Afghan
Iraq | Baghdad | the Iraqi government | the Iraqi prime minister | Iraqi
Lebanon | Beirut | the Lebanese government | the Lebanese prime minister | Lebanese
Yemen | Sanaa | the Houthis | the Houthi leadership | Yemeni
Sudan | Khartoum | the Sudanese army | the Sudanese military leader | Sudanese
Ethiopia | Addis Ababa | the Ethiopian government | Abiy Ahmed | Ethiopian
Nigeria | Abuja | the Nigerian government | the Nigerian president | Nigerian
Brazil | Brasilia | the Brazilian government | the Brazilian president | Brazilian
Mexico | Mexico City | the Mexican government | the Mexican president | Mexican
Poland | Warsaw | the Polish government | the Polish prime minister | Polish
Hungary | Budapest | the Hungarian government | Viktor Orban | Hungarian
Serbia | Belgrade | the Serbian government | Aleksandar Vucic | Serbian
Cuba | Havana | the Cuban government | the Cuban president | Cuban
Qatar | Doha | the Qatari government | the Emir of Qatar | Qatari
the European Union | Brussels | the European Commission | EU leaders | European | EU, E.U.
"""


def _read(table: str) -> tuple[Country, ...]:
    countries = []
    for line in table.strip().splitlines():
        name, capital, government, leader, adjective, *rest = line.split(" | ")
        others = tuple(n.strip() for n in rest[0].split(",")) if rest else ()
        countries.append(Country(name, capital, government, leader, adjective, others))
    return tuple(countries)


COUNTRIES = _read(_TABLE)
KINDS = ("name", "capital", "government", "leader")
# Names that are also common words or other places: matched only with this exact casing.
_EXACT = {"US", "UK", "EU", "PRC", "DPRK"}


@dataclass(frozen=True)
class _Form:
    country: Country
    kind: str  # one of KINDS, or "adjective"


@cache
def _forms() -> tuple[dict[str, _Form], re.Pattern[str]]:
    """Every way the table writes a country, and one pattern finding any of them."""
    forms: dict[str, _Form] = {}
    for country in COUNTRIES:
        for kind in KINDS:
            forms.setdefault(getattr(country, kind), _Form(country, kind))
        for other in country.other_names:
            forms.setdefault(other, _Form(country, "name"))
        forms.setdefault(f"{country.adjective} government", _Form(country, "government"))
        # "the Kremlin's" and "Kim Jong Un" alone ("Kim") are found through the longest form.
        if country.leader.split()[-1][0].isupper() and not country.leader.startswith("the "):
            forms.setdefault(country.leader.split()[-1], _Form(country, "leader"))
    for written in list(forms):  # "the Kremlin" is also found as "Kremlin"
        if written.startswith("the "):
            forms.setdefault(written.removeprefix("the "), forms[written])
    names = sorted(forms, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w.])(?:[Tt]he\s+)?(?P<name>"
        + "|".join(re.escape(n) for n in names)
        + r")(?![\w])(?!\.\w)"
    )
    return forms, pattern


def mentions(text: str) -> list[Country]:
    """The countries ``text`` names in any of the table's ways, in order, each once."""
    forms, pattern = _forms()
    found = [forms[m.group("name")].country for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


def expand(text: str) -> list[str]:
    """``text`` rewritten with each kind of name for every country it names (the country,
    its capital, its government, its leader); only rewrites that differ from ``text``."""
    forms, pattern = _forms()
    if not pattern.search(text):
        return []
    variants = []
    for kind in KINDS:

        def swap(match: re.Match[str], kind: str = kind) -> str:
            form = forms[match.group("name")]
            name = getattr(form.country, kind)
            # "The Kremlin" at the start of a sentence keeps its capital letter.
            if match.start() == 0 and name[:1].islower():
                name = name[0].upper() + name[1:]
            return str(name)

        variant = pattern.sub(swap, text)
        if variant != text:
            variants.append(variant)
    return list(dict.fromkeys(variants))
