"""Entities stage, sports teams in English news (CoNLL convention: a team is an organisation,
and so is a city or state named for its team). Own phrasings only."""

from __future__ import annotations

import pytest

from tests.entity_helpers import label_at, labels_by_position
from transforms import entities as ent


def test_the_team_table_reads_names_full_names_and_homes(tables: ent.Tables) -> None:
    teams = tables.sports
    assert ("red", "sox") in teams.names and ("boston", "red", "sox") in teams.full
    assert ("new", "york") in teams.homes
    assert ("united",) not in teams.names  # too common alone: only "Atlanta United" counts
    assert ("atlanta", "united") in teams.full
    assert "in" in teams.locative and "native" in teams.place_nouns and "qb" in teams.positions


def test_a_full_team_name_is_an_organisation_anywhere(resources: ent.EntityResources) -> None:
    text = "Fans of the Sacramento Kings waited outside the arena on Friday."
    assert label_at(text, "Sacramento Kings", resources) == "ORG"


def test_team_names_alone_are_organisations_in_a_sports_article(resources: ent.EntityResources) -> None:
    text = (
        "The Calgary Flames lost again on Saturday.\n\n"
        "Late goals sank the Flames, and the Canucks moved two points clear. "
        "The Flames host the Oilers next."
    )
    labels = labels_by_position(text, resources)
    names = {"Flames", "Canucks", "Oilers"}
    assert names <= {t for t, _ in labels}, labels
    assert all(label == "ORG" for (t, _), label in labels.items() if t in names), labels


def _rule_labels(text: str, tables: ent.Tables) -> dict[tuple[str, int], str]:
    """The rule alone, over model spans that call every candidate run a place."""
    runs = ent.candidate_runs(text, tables, True)
    spans = [ent.Span(r.start, r.end, "LOC") for r in runs]
    return {(text[s.start : s.end], s.start): s.label for s in ent.sports_teams(text, runs, spans, tables)}


def _teams(text: str, tables: ent.Tables) -> list[ent.Span]:
    """The rule alone, without model spans: the teams it finds in ``text``."""
    return ent.sports_teams(text, ent.candidate_runs(text, tables, True), [], tables)


def test_a_common_word_team_name_needs_a_sports_article(tables: ent.Tables) -> None:
    text = "Residents fled the Heat and the Thunder as crews worked through the night in Miami."
    labels = _rule_labels(text, tables)
    assert labels[("Heat", text.index("Heat"))] == "LOC"  # unchanged: no team named in full, no result
    assert labels[("Thunder", text.index("Thunder"))] == "LOC"
    sports = "The Miami Heat beat the Magic. " + text
    assert _rule_labels(sports, tables)[("Heat", sports.index("Heat", 20))] == "ORG"
    two = "The Pelicans and the Grizzlies meet tonight. " + text
    assert _rule_labels(two, tables)[("Heat", two.index("Heat"))] == "ORG"  # two teams of one league


def test_result_lines_make_both_sides_organisations(resources: ent.EntityResources) -> None:
    text = "Around the league\n\nRangers 3, Ducks 2 (OT): Kaito Mendes scored in overtime and New York beat Anaheim.\n"
    labels = labels_by_position(text, resources)
    for mention in ("Rangers", "Ducks", "New York", "Anaheim"):
        assert labels.get((mention, text.index(mention))) == "ORG", mention


def test_result_line_sides_may_hold_an_ampersand(tables: ent.Tables) -> None:
    text = "Campus roundup\nHartford A&M 3, Sabres 2 (SO): a shootout win.\nSabres 5, Ohio A&M 1 – a rout.\n"
    got = _teams(text, tables)
    assert {(text[s.start : s.end], s.start, s.label) for s in got} == {
        (name, text.index(name, after), "ORG")
        for name, after in [("Hartford A&M", 0), ("Sabres", 0), ("Sabres", 50), ("Ohio A&M", 0)]
    }


def test_a_result_line_needs_a_known_team(tables: ent.Tables) -> None:
    text = "Chapter 4, Verse 2: the reading for today.\n"
    assert _teams(text, tables) == []


def test_a_team_home_stays_a_place_after_a_preposition_or_before_a_place_noun(tables: ent.Tables) -> None:
    text = (
        "The Detroit Pistons beat the Chicago Bulls 101-95 on Sunday.\n\n"
        "Detroit led by nine at the half in Chicago, and a Chicago native scored 30 for the Pistons."
    )
    labels = _rule_labels(text, tables)
    assert labels[("Detroit", text.index("Detroit led"))] == "ORG"
    assert labels[("Chicago", text.index("in Chicago") + 3)] == "LOC"
    assert labels[("Chicago", text.index("Chicago native"))] == "LOC"


def test_a_home_is_a_place_when_no_team_of_it_is_named(tables: ent.Tables) -> None:
    text = "The Denver Broncos won on Sunday. Later, Boston reported heavy snow overnight."
    labels = _rule_labels(text, tables)
    assert labels[("Denver Broncos", 4)] == "ORG"
    assert labels[("Boston", text.index("Boston"))] == "LOC"


def test_a_team_then_a_position_then_a_player(resources: ent.EntityResources) -> None:
    text = "The Baltimore Ravens won. Ravens QB Tomas Whitfield threw three touchdowns against Houston."
    labels = labels_by_position(text, resources)
    assert labels.get(("Ravens", text.index("Ravens QB"))) == "ORG"
    assert labels.get(("Tomas Whitfield", text.index("Tomas"))) == "PER"


def test_a_position_word_after_a_team_or_its_home(resources: ent.EntityResources) -> None:
    text = "The Ottawa Senators won on Saturday.\nLate on, Ottawa LW Kalle Brunnhofer scored twice."
    labels = labels_by_position(text, resources)
    assert labels.get(("Ottawa", text.index("Ottawa LW"))) == "ORG"
    assert labels.get(("Kalle Brunnhofer", text.index("Kalle"))) == "PER"
    # a position that is also a title (cut before a name) still counts ending a run
    text = "The Cleveland Browns lost again on Sunday.\nIn the end, Cleveland QB went down hurt."
    assert label_at(text, "Cleveland", resources, nth=1) == "ORG"


def test_one_team_name_said_twice_is_no_sports_article(tables: ent.Tables) -> None:
    text = "The Jazz played on. Crowds loved the Jazz, and the Rockets lit the sky over Utah."
    labels = _rule_labels(text, tables)
    assert labels[("Jazz", text.index("Jazz", 10))] == "LOC"
    assert labels[("Rockets", text.index("Rockets"))] == "LOC"  # "rockets" is a common word


def test_a_full_team_name_on_a_result_line_is_found_once(resources: ent.EntityResources, tables: ent.Tables) -> None:
    text = "Thursday's games\nColorado Avalanche 6, Seattle Kraken 3: the hosts pulled away late.\n"
    got = [(text[s.start : s.end], s.start) for s in _teams(text, tables)]
    assert sorted(got) == [("Colorado Avalanche", text.index("Colorado")), ("Seattle Kraken", text.index("Seattle"))]
    summary = ent.summarize(ent.find_entities(text, resources))
    counts = {(row["canonical"], row["label"]): row["count"] for row in summary}
    assert counts.get(("Colorado Avalanche", "ORG")) == 1 and counts.get(("Seattle Kraken", "ORG")) == 1, summary


def test_a_team_name_alone_on_a_result_line_is_found_once(tables: ent.Tables) -> None:
    text = "Late scores\nOrioles 4, Mariners 2: a ninth-inning comeback.\nThe Orioles now lead the division.\n"
    got = [(text[s.start : s.end], s.start) for s in _teams(text, tables)]
    assert len(got) == len(set(got)) == 3, got


@pytest.mark.parametrize("close", [":", " –", " —", "—"])
def test_a_result_line_may_close_with_a_colon_or_a_dash(close: str, tables: ent.Tables) -> None:
    # one known team only: the result line alone makes both sides teams
    text = f"Exhibition baseball\nMariners 7, Riverside Tech 5{close} a long night for the bullpen\n"
    got = _teams(text, tables)
    assert sorted((text[s.start : s.end], s.label) for s in got) == [("Mariners", "ORG"), ("Riverside Tech", "ORG")]
