"""Entities stage, organisation rules for English news: dotted abbreviations of known names,
organisations named by their context in the same article, news outlets. Own phrasings only."""

from __future__ import annotations

import pytest

from tests.entity_helpers import data_lines, entities_by_text, entity_at, entity_pairs
from transforms import entities as ent
from transforms.entities.news_en import _org_context_at
from transforms.entities.tables import _add_dotted_abbreviations


# ----------------------------------------------------------------------------- dotted abbreviations


def test_dotted_abbreviations_share_the_undotted_entry(resources):
    got = entities_by_text("Ministers from the U.K. met envoys of the E.U. and the U.N. in Geneva on Friday.", resources)
    assert got["U.K."] == ("LOC", "United Kingdom")
    assert got["E.U."] == ("ORG", "European Union")
    assert got["U.N."] == ("ORG", "United Nations")


def test_dotted_abbreviations_match_only_in_capitals(tables: ent.Tables):
    assert ent.lookup_alias("U.K.", tables) is not None
    assert ent.lookup_alias("u.k.", tables) is None
    assert ent.lookup_alias("U.k.", tables) is None


def test_dotted_forms_only_for_trusted_letter_abbreviations():
    trusted = ent.AliasEntry("Freedonia", "LOC", None, True)
    guessed = ent.AliasEntry("Zed Corp", "ORG", None, False)
    aliases = {"fd": trusted, "zc": guessed, "g7": trusted, "f.d.": trusted, "qx": trusted}
    added = _add_dotted_abbreviations(aliases, {"fd", "zc", "g7", "qx"})
    assert added == {"q.x."}  # "f.d." already there; "zc" not curated; "g7" not letters only
    assert aliases["q.x."] is trusted and "z.c." not in aliases and "g.7." not in aliases


# ----------------------------------------------------------------------------- organisations by context


def org_context_hits(text: str, name: str, tables: ent.Tables, label: str = "PER") -> bool:
    return _org_context_at(text, entity_at(text, name, label), tables)


@pytest.mark.parametrize(
    "text, name",
    [
        ("Shares rose after Quillory founder Dana Pike spoke.", "Quillory"),
        ("Talks stalled when Quillory executives left the room.", "Quillory"),
        ("Quillory's chief executive resigned on Friday.", "Quillory"),
        ("Analysts cut Quillory’s share price target.", "Quillory"),
        ("She later sold her own company, Quillory, to investors.", "Quillory"),
        ("Regulators fined the startup Quillory last year.", "Quillory"),
        ("Posts on the social network Quillory were removed.", "Quillory"),
    ],
)
def test_context_cues_that_name_an_organisation(text, name, tables):
    assert org_context_hits(text, name, tables)


@pytest.mark.parametrize(
    "text, name",
    [
        ("Mayor spokesperson Dana Pike said no.", "Mayor"),  # a person's spokesperson
        ("Investors bought most of Pike's shares in March.", "Pike"),  # a person's shares
        ("He was interviewed by broadcaster Dana Pike.", "Dana Pike"),  # a person who broadcasts
        ("Quillory Founder of the city, a statue reads.", "Quillory"),  # title case: not a cue
        ("The Holdings Company Quillory deal closed.", "Quillory"),  # "Company" ends a name
        ("Dana Pike said the company was sold.", "Dana Pike"),
    ],
)
def test_context_cues_that_must_not_fire(text, name, tables):
    assert not org_context_hits(text, name, tables)


def test_a_cued_name_is_an_organisation_in_every_mention(resources):
    text = (
        "Zentrova's board approved the merger on Tuesday.\n"
        "Analysts said Zentrova would gain customers in Europe, and Zentrova declined to comment."
    )
    mentions = [e for e in ent.find_entities(text, resources) if e.canonical == "Zentrova"]
    assert len(mentions) == 3 and {e.label for e in mentions} == {"ORG"}


def test_places_and_resolved_surnames_keep_their_type(tables):
    text = "Jordan Pike, a regent, spoke first. Later, Pike's board seat and Ohio's board were discussed."
    entities = [entity_at(text, "Jordan Pike", "PER"), entity_at(text, "Pike", "PER", "Jordan Pike", nth=1),
                entity_at(text, "Ohio", "LOC")]
    assert ent.organisations_by_context(text, entities, tables) == entities


def test_no_context_cue_leaves_the_model_labels(tables):
    text = "Dana Pike visited Harlow on Monday and met Sam Okafor of Brisk Ventures."
    entities = [entity_at(text, "Dana Pike", "PER"), entity_at(text, "Harlow", "LOC"),
                entity_at(text, "Sam Okafor", "PER"), entity_at(text, "Brisk Ventures", "ORG")]
    assert ent.organisations_by_context(text, entities, tables) == entities


# ----------------------------------------------------------------------------- news outlets


def test_news_outlets_are_organisations_found_without_the_model(resources):
    text = "The mayor told the Denver Post and Sky News on Sunday that posts on Reddit were fake."
    got = entity_pairs(text, resources, use_model=False)
    assert {("Denver Post", "ORG"), ("Sky News", "ORG"), ("Reddit", "ORG")} <= got


def test_outlet_variants_share_one_canonical_name(resources):
    got = entities_by_text("Quotes came from the Huffington Post, and HuffPost later corrected them.", resources)
    assert got["Huffington Post"] == ("ORG", "HuffPost") and got["HuffPost"] == ("ORG", "HuffPost")


def test_ambiguous_outlet_names_are_not_in_the_table(tables):
    for word in ("time", "fortune", "mirror", "dawn", "telegram", "oregonian"):
        entry = tables.aliases.get(word)
        assert entry is None or entry.label != "ORG", word


def test_outlet_table_is_large_and_all_organisations():  # columns and spaces: tests/test_entities.py
    lines = data_lines(ent.DATA_DIR / "news_outlets.tsv")
    assert len(lines) > 100
    for line in lines:
        assert line.count("\t") == 2 and line.endswith("\tORG"), line  # three columns, the last ORG
