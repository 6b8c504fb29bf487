"""Entities stage, span boundaries in English news: where a capitalised run is cut into names.

Own phrasings only (never the benchmark's dev/test sentences). Run-level checks call
:func:`candidate_runs` (no model); end-to-end checks use the trained model.
"""

from __future__ import annotations

import pytest

from tests.entity_helpers import entity_pairs, run_texts, span_labels, spans_in_order
from transforms import entities as ent


# ----------------------------------------------------------------------------- titles inside a run


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Last week Falcons QB Derrick Hale threw three interceptions.", ["Falcons", "Derrick Hale"]),
        ("The league fined Raiders LB Omar Tillery.", ["Raiders", "Omar Tillery"]),
        ("Critics cited Regional Ombudsman Maria Esteves on Friday.", ["Regional", "Maria Esteves", "Friday"]),
        ("We spoke with Detroit Columnist Ann Whitlow about it.", ["Detroit", "Ann Whitlow"]),
    ],
)
def test_a_title_or_position_word_cuts_a_run(text: str, expected: list[str], tables: ent.Tables) -> None:
    assert run_texts(text, tables, document=True) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Visitors crowded Te Papa Tongarewa in Wellington.", ["Te Papa Tongarewa", "Wellington"]),
        ("He read Business Insider every morning.", ["Business Insider"]),
        ("The team moved him to the DL on Monday.", ["DL", "Monday"]),  # a position word ending a run
    ],
)
def test_no_cut_where_no_title_is_followed_by_a_name(text: str, expected: list[str], tables: ent.Tables) -> None:
    assert run_texts(text, tables, document=True) == expected


def test_a_team_then_a_player_are_two_entities(resources: ent.EntityResources) -> None:
    found = entity_pairs("Chiefs WR Marcus Delaney caught two touchdowns in Denver.", resources)
    assert ("Marcus Delaney", "PER") in found
    assert not any("Marcus" in name and name != "Marcus Delaney" for name, _ in found)


def test_a_title_alone_before_a_name_makes_a_person(resources: ent.EntityResources) -> None:
    found = entity_pairs("State Ombudsman Teresa Quiroga criticised the ruling.", resources)
    assert ("Teresa Quiroga", "PER") in found
    assert not any("Ombudsman" in name for name, _ in found)


# ----------------------------------------------------------------------------- sentence-initial words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Imagine North Carolina without its beaches.", ["North Carolina"]),
        ("Three Sri Lanka fishermen were rescued.", ["Sri Lanka"]),
        ("Visit Portugal and you will see why.", ["Portugal"]),
        ("Warga Surabaya memadati alun-alun.", ["Surabaya"]),  # an Indonesian noun that a place modifies
        ("Pengungsi Suriah ditampung di Turki.", ["Suriah", "Turki"]),
    ],
)
def test_an_opening_verb_or_number_is_cut_off_a_known_name(
    text: str, expected: list[str], tables: ent.Tables
) -> None:
    assert run_texts(text, tables, document=True) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Great Britain voted on Thursday.", ["Great Britain", "Thursday"]),  # a name's own first word
        ("Visit Portugal Tours sells trips.", ["Visit Portugal Tours"]),  # the rest is no known name
        ("Officials said Three Rivers flooded.", ["Three Rivers"]),  # not at a sentence start
        ("They met in Two Harbors, Minnesota.", ["Two Harbors", "Minnesota"]),
        ("Statistics Canada revised its estimate.", ["Statistics Canada"]),  # an English agency's name
    ],
)
def test_no_cut_where_the_first_word_belongs_to_the_name(
    text: str, expected: list[str], tables: ent.Tables
) -> None:
    assert run_texts(text, tables, document=True) == expected


def test_the_cut_name_gets_its_own_type(resources: ent.EntityResources) -> None:
    found = entity_pairs("Remember Nebraska's bid to host the games?", resources)
    assert ("Nebraska", "LOC") in found
    assert not any(name.startswith("Remember") for name, _ in found)


# ----------------------------------------------------------------------------- particles in place names


@pytest.mark.parametrize(
    "text, pairs, expected",
    [
        # the model found both parts places
        ("The mill at Wasserburg am Inn closed.", [("Wasserburg", "LOC"), ("Inn", "LOC")],
         [("Wasserburg am Inn", "LOC")]),
        ("Trains to Halle an der Saale resumed.", [("Halle", "LOC"), ("Saale", "LOC")],
         [("Halle an der Saale", "LOC")]),
        # the whole is a gazetteer place, whatever the model made of the rest
        ("Offices in Frankfurt am Main's centre.", [("Frankfurt", "LOC")], [("Frankfurt am Main", "LOC")]),
        ("A ferry left Kingston upon Hull today.", [("Kingston", "LOC"), ("Hull", "ORG")],
         [("Kingston upon Hull", "LOC")]),
    ],
)
def test_a_particle_joins_a_place_name(text, pairs, expected, tables: ent.Tables) -> None:
    got = span_labels(ent.places_with_particles(text, spans_in_order(text, pairs), tables), text)
    assert got == expected


@pytest.mark.parametrize(
    "text, pairs",
    [
        ("Talks between Russia on Ukraine stalled.", [("Russia", "LOC"), ("Ukraine", "LOC")]),  # "on" is no particle
        ("Fans in Leipzig am Samstag sang.", [("Leipzig", "LOC"), ("Samstag", "ORG")]),  # the rest is no place
        ("He said Berlin upon Brexit would act.", [("Berlin", "LOC"), ("Brexit", "ORG")]),
        ("Reporters asked Ana Silva am I right.", [("Ana Silva", "PER")]),  # no place first
    ],
)
def test_no_join_without_a_place_on_both_sides(text, pairs, tables: ent.Tables) -> None:
    spans = spans_in_order(text, pairs)
    assert ent.places_with_particles(text, spans, tables) == spans
