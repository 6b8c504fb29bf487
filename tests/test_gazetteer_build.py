"""The generated gazetteer's states and provinces (ner/build_gazetteer.py, ner/data/subdivisions.tsv)."""

from __future__ import annotations

from ner import build_gazetteer
from transforms import entities as ent


def test_subdivisions_are_plain_spelled_places_from_the_listed_countries():
    rows = {alias: (canonical, label, source) for alias, canonical, label, _, source in build_gazetteer.subdivision_rows()}
    assert rows["Saskatchewan"] == ("Saskatchewan", "LOC", "subdivision")
    assert rows["Tasmania"][1] == "LOC" and "Wales" in rows and "Wales [Cymru GB-CYM]" not in rows
    assert rows["Bihār"][0] == "Bihar" and rows["Bihar"][0] == "Bihar"  # news drops the macron
    assert "Virgin Islands" in rows  # "Virgin Islands, U.S." cut at the comma
    assert "Bavaria" not in rows and "Bayern" not in rows  # Germany is not listed


def test_states_are_untrusted_features_and_never_shadow_a_city(tables: ent.Tables):
    ohio = tables.aliases["ohio"]
    assert ohio.label == "LOC" and not ohio.trusted  # "Virginia", "Washington" are also names
    assert tables.aliases["new york"].canonical == "New York City"  # the city row comes first
    assert tables.aliases["jawa barat"].trusted  # Indonesian provinces stay trusted
