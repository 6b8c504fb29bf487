"""Entities stage, organisation rules for English news: dotted abbreviations of known names,
organisations named by their context in the same article, news outlets. Own phrasings only."""

from __future__ import annotations

import pytest

from transforms import entities as ent


@pytest.fixture(scope="module")
def resources() -> ent.EntityResources:
    return ent.load_resources()


def found(text: str, resources: ent.EntityResources) -> dict[str, tuple[str, str]]:
    return {e.text: (e.label, e.canonical) for e in ent.find_entities(text, resources)}


# ----------------------------------------------------------------------------- dotted abbreviations


def test_dotted_abbreviations_share_the_undotted_entry(resources):
    got = found("Ministers from the U.K. met envoys of the E.U. and the U.N. in Geneva on Friday.", resources)
    assert got["U.K."] == ("LOC", "United Kingdom")
    assert got["E.U."] == ("ORG", "European Union")
    assert got["U.N."] == ("ORG", "United Nations")


def test_dotted_abbreviations_match_only_in_capitals():
    tables = ent.load_tables()
    assert ent.lookup_alias("U.K.", tables) is not None
    assert ent.lookup_alias("u.k.", tables) is None
    assert ent.lookup_alias("U.k.", tables) is None


def test_dotted_forms_only_for_trusted_letter_abbreviations():
    trusted = ent.AliasEntry("Freedonia", "LOC", None, True)
    guessed = ent.AliasEntry("Zed Corp", "ORG", None, False)
    aliases = {"fd": trusted, "zc": guessed, "g7": trusted, "f.d.": trusted, "qx": trusted}
    added = ent._add_dotted_abbreviations(aliases, {"fd", "zc", "g7", "qx"})
    assert added == {"q.x."}  # "f.d." already there; "zc" not curated; "g7" not letters only
    assert aliases["q.x."] is trusted and "z.c." not in aliases and "g.7." not in aliases
