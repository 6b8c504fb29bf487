"""Entities stage, English news conventions applied as rules after the model: datelines, name
head words, state codes, events, titles of works, result lines.

Own phrasings only (never the benchmark's dev/test sentences). Span-level checks call the rule
functions directly, so they do not depend on the trained model; the end-to-end checks use it.
"""

from __future__ import annotations

import pytest

from tests.entity_helpers import entity_pairs, span_labels, whole_span
from transforms import entities as ent


# ----------------------------------------------------------------------------- datelines


@pytest.mark.parametrize(
    "text, expected",
    [
        ("DENVER, Colo. — Snow closed the passes on Sunday.", [("DENVER", "LOC"), ("Colo.", "LOC")]),
        ("LAGOS (AP) - Fuel prices rose again.", [("LAGOS", "LOC")]),
        ("Leeds – The council approved the budget.", [("Leeds", "LOC")]),
        ("Intro line.\nTORONTO -- Markets were flat.", [("TORONTO", "LOC")]),
        ("COLLEGE PARK, Md. (AP) — Ohio A&M hired a coach.", [("COLLEGE PARK", "LOC"), ("Md.", "LOC")]),
    ],
)
def test_a_dateline_names_places(text: str, expected: list[tuple[str, str]], tables: ent.Tables) -> None:
    got = span_labels(ent.dateline_places(text, [], tables), text)
    assert got == expected


def test_a_dateline_place_replaces_the_models_type(tables: ent.Tables) -> None:
    text = "MADRID, Spain — Rail workers walked out."
    spans = [ent.Span(0, 6, "ORG"), ent.Span(8, 13, "LOC")]
    assert span_labels(ent.dateline_places(text, spans, tables), text) == [("MADRID", "LOC"), ("Spain", "LOC")]


@pytest.mark.parametrize(
    "text",
    [
        "Analysis – what the vote means for farmers.",  # title case, not a known place
        "Prices rose in Leeds – and fell in York.",  # not at a paragraph start
        "The mayor of Leeds – a city of 800,000 – spoke.",
        "R&D – where the grant money went.",  # an abbreviation with "&" in capitals, not a place
        "AT&T — The carrier cut its prices.",
    ],
)
def test_no_dateline_without_the_convention(text: str, tables: ent.Tables) -> None:
    assert ent.dateline_places(text, [], tables) == []


@pytest.mark.parametrize(
    "text",
    [
        "P&G (Reuters) - The consumer goods maker raised its outlook.",  # an agency after a company
        "B&Q, Britain — The retailer shut two stores.",  # a region after it
        "Quarterly figures\nH&M (AFP) – Sales fell in the spring.",
        "AUSTIN, AT&T — a line that names no region.",  # nor is one after the comma
    ],
)
def test_a_name_with_an_ampersand_is_no_dateline_place_even_with_an_agency_or_region(
    text: str, tables: ent.Tables
) -> None:
    assert ent.dateline_places(text, [], tables) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("HELSINKI (Reuters) - The central bank held rates.", [("HELSINKI", "LOC")]),
        ("Tromsø, Norway — The ferry was cancelled.", [("Tromsø", "LOC"), ("Norway", "LOC")]),
    ],
)
def test_a_dateline_without_an_ampersand_still_names_places(
    text: str, expected: list[tuple[str, str]], tables: ent.Tables
) -> None:
    assert span_labels(ent.dateline_places(text, [], tables), text) == expected


def test_dateline_scan_ends_on_hostile_input(tables: ent.Tables) -> None:
    text = ("A" * 30 + " ") * 3 + ", " + "B " * 5000 + "\n" + "X\n" * 20000 + "(" * 5000
    assert ent.dateline_places(text, [], tables) == []


def test_dateline_end_to_end(resources: ent.EntityResources) -> None:
    text = "BOISE, Idaho — A wildfire forced hundreds of families from their homes, officials said."
    found = entity_pairs(text, resources)
    assert ("BOISE", "LOC") in found and ("Idaho", "LOC") in found


# ----------------------------------------------------------------------------- head words


@pytest.mark.parametrize(
    "name", ["Lakeside Amphitheater", "Harbour Bridge", "Granville Street", "Memorial Stadium", "Kessler Pavilion"]
)
def test_a_facility_or_street_word_ending_a_name_makes_a_place(name: str, tables: ent.Tables) -> None:
    text = f"Crowds gathered near {name} on Friday."
    for label in ("ORG", "PER"):
        spans = ent.head_words(text, [whole_span(text, name, label)], tables)
        assert span_labels(spans, text) == [(name, "LOC")]


@pytest.mark.parametrize("name", ["Pew Research Center", "Quinn Foundation", "Ridgeway Hall"])
def test_other_names_keep_their_type(name: str, tables: ent.Tables) -> None:
    text = f"A statement from {name} followed."
    spans = ent.head_words(text, [whole_span(text, name, "ORG")], tables)
    assert span_labels(spans, text) == [(name, "ORG")]


def test_a_head_word_alone_is_a_place_unless_the_model_saw_a_person(tables: ent.Tables) -> None:
    text = "Protesters ringed the Capitol while Bridge spoke."
    capitol, bridge = text.index("Capitol"), text.index("Bridge")
    spans = [ent.Span(capitol, capitol + 7, "ORG"), ent.Span(bridge, bridge + 6, "PER")]
    assert span_labels(ent.head_words(text, spans, tables), text) == [("Capitol", "LOC"), ("Bridge", "PER")]


def test_place_head_end_to_end(resources: ent.EntityResources) -> None:
    text = "The band will close its tour at the Greenfield Amphitheater next summer, promoters said."
    found = entity_pairs(text, resources)
    assert ("Greenfield Amphitheater", "LOC") in found


class _ConfidentTagger:
    """Stands in for the CRF's marginals: certain the span is not an organisation."""

    def marginal(self, _label: str, _position: int) -> float:
        return 0.0


@pytest.mark.parametrize("label", ["LOC", "PER"])
@pytest.mark.parametrize("name", ["Sierra Madre Corporation", "Varda Robotics", "Harlan Orbital Systems", "Brisk Labs"])
def test_a_company_suffix_retypes_a_confident_place_or_person(name: str, label: str, tables: ent.Tables) -> None:
    text = f"Shares of {name} rose."
    (run,) = ent.candidate_runs(text, tables)  # "Shares of <name>": one run
    spans = ent.organisation_cues(text, run, [whole_span(text, name, label)], tables, _ConfidentTagger())
    assert span_labels(spans, text) == [(name, "ORG")]


def test_a_confident_place_with_a_weaker_cue_stays_a_place(tables: ent.Tables) -> None:
    text = "They met in Bellmore Club yesterday."
    run = next(r for r in ent.candidate_runs(text, tables) if "Bellmore" in r.words)
    spans = ent.organisation_cues(text, run, [whole_span(text, "Bellmore Club", "LOC")], tables, _ConfidentTagger())
    assert span_labels(spans, text) == [("Bellmore Club", "LOC")]


def test_company_suffix_end_to_end(resources: ent.EntityResources) -> None:
    text = "Orbis Robotics lost the bid to Sierra Madre Corporation, the agency said."
    found = entity_pairs(text, resources)
    assert {("Sierra Madre Corporation", "ORG"), ("Orbis Robotics", "ORG")} <= found


# ----------------------------------------------------------------------------- state codes


@pytest.mark.parametrize(
    "text, code",
    [
        ("The plant in Bend, OR will close.", "OR"),
        ("Send it to Dayton, OH 45402 by Friday.", "OH"),
        ("She grew up near Flagstaff, AZ.", "AZ"),
        ("Offices in Arlington, VA, and Austin, TX, reopened.", "VA"),
    ],
)
def test_a_postal_code_after_a_city_is_a_place(text: str, code: str, tables: ent.Tables) -> None:
    spans = ent.state_codes_after_cities(text, [whole_span(text, code, "ORG")], tables)
    assert (code, "LOC") in span_labels(spans, text)


@pytest.mark.parametrize(
    "text",
    [
        "Prices rose, OK?",  # no capitalised place before the comma
        "Reports from Lima, UK officials said, were wrong.",  # not a US code
        "He met Ortiz, ORs and all.",  # a longer word
        "We asked them, IN writing, to stop.",
    ],
)
def test_no_state_code_without_the_pattern(text: str, tables: ent.Tables) -> None:
    assert ent.state_codes_after_cities(text, [], tables) == []


def test_state_code_scan_ends_on_hostile_input(tables: ent.Tables) -> None:
    text = "Xa, OR " * 40_000 + "a" * 100_000 + ", CA"
    assert len(ent.state_codes_after_cities(text, [], tables)) == 40_000


# ----------------------------------------------------------------------------- events (head-word cases: test_entities_name_edges)


def test_event_end_to_end(resources: ent.EntityResources) -> None:
    text = "Maria Okafor won twice at the Silver Lantern Awards in Chicago on Sunday."
    found = entity_pairs(text, resources)
    assert ("Maria Okafor", "PER") in found and ("Chicago", "LOC") in found
    assert not any("Awards" in name for name, _ in found)


def test_an_ellipsis_ends_a_sentence(tables: ent.Tables) -> None:
    text = "He paused … Then the talks resumed."
    runs = ent.candidate_runs(text, tables, document=True)
    assert not any(not r.sentence_start and text[r.start : r.end] == "Then" for r in runs)


# ----------------------------------------------------------------------------- titles of works


@pytest.mark.parametrize(
    "text, inner",
    [
        ("She closed with “Dancing In The Rain” and left.", "Rain"),
        ('The crowd sang "Meet Me By The River" twice.', "River"),
        ("Fans requested “Driftin’ Back To Memphis,” a ballad.", "Memphis"),
    ],
)
def test_names_inside_a_quoted_title_are_dropped(text: str, inner: str, tables: ent.Tables) -> None:
    assert ent.outside_quoted_titles(text, [whole_span(text, inner, "LOC")], tables) == []


@pytest.mark.parametrize(
    "text, inner",
    [
        ("He called it “Blue Harbor Capital” in the filing.", "Blue Harbor Capital"),  # no function word
        ("“We will rebuild Memphis,” she said.", "Memphis"),  # a sentence, not title case
        ("They chanted “SAVE THE DOCKS IN ODESSA” outside.", "ODESSA"),  # shouting
        ("A visit to “Memphis” was planned.", "Memphis"),  # one word
    ],
)
def test_other_quotes_keep_their_names(text: str, inner: str, tables: ent.Tables) -> None:
    spans = [whole_span(text, inner, "LOC")]
    assert ent.outside_quoted_titles(text, spans, tables) == spans


def test_quote_scan_ends_on_hostile_input(tables: ent.Tables) -> None:
    text = '"' + "A " * 50_000 + "“" * 10_000 + '" X'
    spans = [ent.Span(len(text) - 1, len(text), "ORG")]
    assert ent.outside_quoted_titles(text, spans, tables) == spans
