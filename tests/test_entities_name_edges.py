"""Entities stage, rules on the edges of a name: a role word ending it, an acronym in the plural,
a closed-class word glued before it, event words, and places shown to be teams by a record.

Own phrasings only (never the benchmark's sentences). Span-level checks call the rule functions
with hand-made spans, so they do not depend on the trained model; the end-to-end checks use it.
"""

from __future__ import annotations

import pytest

from transforms import entities as ent
from transforms.entities.rules import head_words
from transforms.entities.sports import places_with_records


def _labels(spans, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in spans]


def _whole(text: str, mention: str, label: str) -> ent.Span:
    start = text.index(mention)
    return ent.Span(start, start + len(mention), label)


# ----------------------------------------------------------------------------- role words


@pytest.mark.parametrize(
    "text, mention, expected",
    [
        ("She was named Chief Revenue Officer last week.", "Chief Revenue Officer", []),
        ("The Regional Sales Director resigned.", "Regional Sales Director", []),
        ("Canada Health Minister spoke first.", "Canada Health Minister", [("Canada", "LOC")]),
        ("The Kenya Trade Commissioner arrived.", "Kenya Trade Commissioner", [("Kenya", "LOC")]),
    ],
)
def test_a_role_word_ending_an_organisation_names_a_position(
    text: str, mention: str, expected: list, tables: ent.Tables
) -> None:
    assert _labels(head_words(text, [_whole(text, mention, "ORG")], tables), text) == expected


@pytest.mark.parametrize(
    "text, mention, label",
    [
        ("He joined the Office of the Special Envoy in May.", "Office of the Special Envoy", "ORG"),  # not all capitals
        ("Ana Director smiled.", "Ana Director", "PER"),  # a person's surname
        ("They met at Harbor Point.", "Harbor Point", "ORG"),  # no role word
    ],
)
def test_a_role_word_rule_leaves_other_names(text: str, mention: str, label: str, tables: ent.Tables) -> None:
    assert _labels(head_words(text, [_whole(text, mention, label)], tables), text) == [(mention, label)]


# ----------------------------------------------------------------------------- plural acronyms and events


@pytest.mark.parametrize("mention", ["NGOs", "SUVs", "EVs", "PCs"])
def test_an_acronym_in_the_plural_is_a_common_noun(mention: str, tables: ent.Tables) -> None:
    text = f"Several {mention} were on display."
    assert head_words(text, [_whole(text, mention, "ORG")], tables) == []


@pytest.mark.parametrize("mention", ["Southern Cup Final", "Coastal Rowing Finals", "Great Northern War",
                                     "Harbour Three-Day Event"])
def test_event_words_drop_the_span(mention: str, tables: ent.Tables) -> None:
    text = f"Crowds came for the {mention} again."
    assert head_words(text, [_whole(text, mention, "ORG")], tables) == []


# ----------------------------------------------------------------------------- leading function words


@pytest.mark.parametrize(
    "text, mention, expected",
    [
        ("Until Microsoft changed course, nothing moved.", "Until Microsoft", "Microsoft"),
        ("Meanwhile Dana Whitfield waited.", "Meanwhile Dana Whitfield", "Dana Whitfield"),
        ("Menurut Budi Santoso, harga naik.", "Menurut Budi Santoso", "Budi Santoso"),
        ("Now the Ministry says otherwise.", "Now the Ministry", "Ministry"),
        ("As Porter Logistics grew, prices fell.", "As Porter Logistics", "Porter Logistics"),
    ],
)
def test_a_capitalised_function_word_before_a_name_is_cut(
    text: str, mention: str, expected: str, tables: ent.Tables
) -> None:
    got = head_words(text, [_whole(text, mention, "ORG")], tables)
    assert [text[s.start : s.end] for s in got] == [expected]


@pytest.mark.parametrize("mention", ["Will Ferrell", "Our Lady of Mercy", "May", "AS Monaco"])
def test_names_opening_with_such_a_word_but_left_out_of_the_list_stay(mention: str, tables: ent.Tables) -> None:
    text = f"Reporters asked {mention} about it."
    assert _labels(head_words(text, [_whole(text, mention, "ORG")], tables), text) == [(mention, "ORG")]


# ----------------------------------------------------------------------------- records and result lines


@pytest.mark.parametrize(
    "text, mention",
    [
        ("Fairview (6-2): Lena Cho 14 points.", "Fairview"),
        ("The win lifts Oak Ridge (7-1-1, 3-0) to the top.", "Oak Ridge"),
        ("Cedar Falls d. Fairview 3-1", "Fairview"),
        ("Cedar Falls def. Fairview", "Cedar Falls"),
    ],
)
def test_a_place_with_a_record_or_on_a_result_line_is_a_team(text: str, mention: str) -> None:
    assert _labels(places_with_records(text, [_whole(text, mention, "LOC")]), text) == [(mention, "ORG")]


@pytest.mark.parametrize(
    "text, mention, label",
    [
        ("Rosa Ortiz (12-3) fights next in Tulsa.", "Rosa Ortiz", "PER"),  # a fighter's record: a person
        ("Prices in Fairview (up 6-2 on the year) rose.", "Fairview", "LOC"),  # no record right after
        ("Cedar Falls, the county seat, d. 1901", "Cedar Falls", "LOC"),  # not a result line
    ],
)
def test_records_leave_people_and_other_places(text: str, mention: str, label: str) -> None:
    assert _labels(places_with_records(text, [_whole(text, mention, label)]), text) == [(mention, label)]


def test_a_scoreboard_end_to_end(resources: ent.EntityResources) -> None:
    text = "Girls soccer\nLakewood d. Brookfield 2-0\nLakewood (5-1): Maya Lind 2 goals."
    got = {(e.text, e.label) for e in ent.find_entities(text, resources)}
    assert ("Lakewood", "ORG") in got and ("Lakewood", "LOC") not in got
    assert ("Maya Lind", "PER") in got


# ----------------------------------------------------------------------------- modifiers and adverbs


@pytest.mark.parametrize("mention", ["Denver-based", "Emmy-nominated", "EU-funded", "U.K.-born"])
def test_a_name_compounded_with_a_lower_case_modifier_is_no_name(mention: str, tables: ent.Tables) -> None:
    text = f"The {mention} group said so."
    assert head_words(text, [_whole(text, mention, "LOC")], tables) == []


@pytest.mark.parametrize("mention", ["Guinea-Bissau", "Winston-Salem", "Hewlett-Packard"])
def test_hyphenated_names_stay(mention: str, tables: ent.Tables) -> None:
    text = f"They flew to {mention} on Friday."
    assert _labels(head_words(text, [_whole(text, mention, "LOC")], tables), text) == [(mention, "LOC")]


@pytest.mark.parametrize("text", ["Sadly, nobody came.", "The vote failed. Predictably, the bill died.",
                                  "Happily, the rain stopped."])
def test_an_adverb_opening_a_sentence_is_no_name(text: str, tables: ent.Tables) -> None:
    mention = text.split(",")[0].split()[-1]
    assert head_words(text, [_whole(text, mention, "PER")], tables) == []


@pytest.mark.parametrize(
    "text, mention",
    [
        ("Italy, the hosts, won.", "Italy"),  # a place, its stem no word
        ("Kelly, 34, was there.", "Kelly"),
        ("We met Curiously, the clown.", "Curiously"),  # not at a sentence start
        ("Strangely Brown wrote it.", "Strangely"),  # no comma after it
    ],
)
def test_words_ending_in_ly_that_are_not_sentence_adverbs_stay(text: str, mention: str, tables: ent.Tables) -> None:
    assert _labels(head_words(text, [_whole(text, mention, "PER")], tables), text) == [(mention, "PER")]


# ----------------------------------------------------------------------------- ampersands


@pytest.mark.parametrize(
    "text, run",
    [
        ("Auditors from Baker & Lowe signed off.", ("Baker", "&", "Lowe")),
        ("Many customers of PQ&R lost power.", ("PQ&R",)),
        ("The Marsh & McLennan Agency said so.", ("Marsh", "&", "McLennan", "Agency")),
    ],
)
def test_an_ampersand_joins_a_name(text: str, run: tuple[str, ...], tables: ent.Tables) -> None:
    assert run in [r.words for r in ent.candidate_runs(text, tables)]


def test_an_ampersand_at_the_edge_of_a_run_is_dropped(tables: ent.Tables) -> None:
    runs = [r.words for r in ent.candidate_runs("Bread & butter, said Lena Moss & her aunt.", tables)]
    assert ("Lena", "Moss") in runs and not any("&" in r for r in runs)
