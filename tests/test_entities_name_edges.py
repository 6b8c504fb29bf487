"""Entities stage, rules on the edges of a name: a role word ending it, an acronym in the plural,
a closed-class word glued before it, event words, and places shown to be teams by a record.

Own phrasings only (never the benchmark's sentences). Span-level checks call the rule functions
with hand-made spans, so they do not depend on the trained model; the end-to-end checks use it.
"""

from __future__ import annotations

import pytest

from tests.entity_helpers import entity_pairs, span_labels, whole_span
from transforms import entities as ent
from transforms.entities.rules import head_words
from transforms.entities.headlines import confirmed_headline_spans
from transforms.entities.tagging import _looks_like_name, _strip_sentence_opener, combine
from transforms.entities.sports import places_with_records


# ----------------------------------------------------------------------------- role words


@pytest.mark.parametrize(
    "text, mention, expected",
    [
        ("She was named Chief Revenue Officer last week.", "Chief Revenue Officer", []),
        ("The Regional Sales Director resigned.", "Regional Sales Director", []),
        ("Canada Health Minister spoke first.", "Canada Health Minister", [("Canada", "LOC")]),
        ("The Kenya Trade Commissioner arrived.", "Kenya Trade Commissioner", [("Kenya", "LOC")]),
        ("A Kremlin Spokesman declined.", "Kremlin Spokesman", [("Kremlin", "ORG")]),  # a known organisation
        ("The Zentrova CEO declined.", "Zentrova CEO", []),  # an unknown one is lost with the role
    ],
)
def test_a_role_word_ending_an_organisation_names_a_position(
    text: str, mention: str, expected: list, tables: ent.Tables
) -> None:
    assert span_labels(head_words(text, [whole_span(text, mention, "ORG")], tables), text) == expected


@pytest.mark.parametrize(
    "text, mention, label",
    [
        ("He joined the Office of the Special Envoy in May.", "Office of the Special Envoy", "ORG"),  # not all capitals
        ("Ana Director smiled.", "Ana Director", "PER"),  # a person's surname
        ("They met at Harbor Point.", "Harbor Point", "ORG"),  # no role word
    ],
)
def test_a_role_word_rule_leaves_other_names(text: str, mention: str, label: str, tables: ent.Tables) -> None:
    assert span_labels(head_words(text, [whole_span(text, mention, label)], tables), text) == [(mention, label)]


# ----------------------------------------------------------------------------- head words: dropped or kept


def _cases(why: str, template: str, label: str, mentions: list[str]) -> list:
    """(text, mention, label) cases, one per mention put into ``template``, ids ``why:mention``."""
    return [pytest.param(template.format(m), m, label, id=f"{why}:{m}") for m in mentions]


HEAD_WORDS_DROPPED = [
    *_cases("plural-acronym", "Several {} were on display.", "ORG", ["NGOs", "SUVs", "EVs", "PCs"]),
    *_cases("event-word", "Crowds came for the {} again.", "ORG",
            ["Southern Cup Final", "Coastal Rowing Finals", "Great Northern War", "Harbour Three-Day Event"]),
    *_cases("lower-case-modifier", "The {} group said so.", "LOC",
            ["Denver-based", "Emmy-nominated", "EU-funded", "U.K.-born"]),
    *_cases("event-name", "Tickets for the {} sold out.", "ORG",
            ["Harvest Moon Festival", "Golden Reel Awards", "Lakeshore Marathon", "Belgian Grand Prix", "Reunion Tour"]),
    *_cases("doctrine", "The essay on {} drew readers.", "ORG", ["Market Liberalism", "Abstract Expressionism", "Paham Komunisme"]),
]
HEAD_WORDS_KEPT = [
    *_cases("event-word-after-of", "A report by the {} came out.", "ORG",
            ["Ministry of War", "Centre for the Study of War", "Festival of Finals"]),
    *_cases("hyphenated-name", "They flew to {} on Friday.", "LOC", ["Guinea-Bissau", "Winston-Salem", "Hewlett-Packard"]),
    pytest.param("Festival Records signed Tour Lane.", "Festival Records", "ORG", id="event-word-not-last:Festival Records"),
    pytest.param("Festival Records signed Tour Lane.", "Tour Lane", "PER", id="event-word-not-last:Tour Lane"),
    *_cases("doctrine-after-of-or-short-stem", "A statement from {} came late.", "ORG",
            ["Ministry of Tourism", "Prism", "Schism Records"]),
    *_cases("doctrine-ending-of-a-person", "A statement from {} came late.", "PER", ["Mahatma Gandhi"]),
]


@pytest.mark.parametrize("text, mention, label", HEAD_WORDS_DROPPED)
def test_head_words_drop_common_nouns_events_and_modified_names(
    text: str, mention: str, label: str, tables: ent.Tables
) -> None:
    """A plural acronym is a common noun, an event or doctrine word drops the span, a name compounded with a
    lower-case modifier is no name."""
    assert head_words(text, [whole_span(text, mention, label)], tables) == []


@pytest.mark.parametrize("text, mention, label", HEAD_WORDS_KEPT)
def test_head_words_keep_bodies_named_after_events_and_hyphenated_names(
    text: str, mention: str, label: str, tables: ent.Tables
) -> None:
    """An event or doctrine word after "of" or not last, a word merely ending like a doctrine, a hyphenated
    name: the span stays as it was."""
    assert span_labels(head_words(text, [whole_span(text, mention, label)], tables), text) == [(mention, label)]


# ----------------------------------------------------------------------------- leading function words


def _opened(text: str, mention: str, tables: ent.Tables, label: str = "ORG") -> list[str]:
    """The span of ``mention`` after the sentence-start rules (it must open a sentence)."""
    span = _strip_sentence_opener(text, whole_span(text, mention, label), tables)
    return [] if span is None else [text[span.start : span.end]]


@pytest.mark.parametrize(
    "text, mention, expected",
    [
        ("Until Microsoft changed course, nothing moved.", "Until Microsoft", "Microsoft"),
        ("Meanwhile Dana Whitfield waited.", "Meanwhile Dana Whitfield", "Dana Whitfield"),
        ("Menurut Budi Santoso, harga naik.", "Menurut Budi Santoso", "Budi Santoso"),
        ("Now the Ministry says otherwise.", "Now the Ministry", "Ministry"),
        ("Later the Falcons scored twice.", "Later the Falcons", "Falcons"),
        ("Earlier Harlow Mining had denied it.", "Earlier Harlow Mining", "Harlow Mining"),
        ("Costs rose. As Porter Logistics grew, prices fell.", "As Porter Logistics", "Porter Logistics"),
    ],
)
def test_a_capitalised_function_word_before_a_name_is_cut(
    text: str, mention: str, expected: str, tables: ent.Tables
) -> None:
    assert _opened(text, mention, tables) == [expected]


@pytest.mark.parametrize(
    "mention",
    ["Will Ferrell", "Our Lady of Mercy", "AS Monaco", "Yang Jiechi", "Per Mertesacker", "He Jiankui",
     "All Nippon Airways", "Di Maio", "Just Eat"],
)
def test_names_opening_with_such_a_word_but_left_out_of_the_list_stay(mention: str, tables: ent.Tables) -> None:
    assert _opened(f"{mention} said nothing.", mention, tables) == [mention]


def test_a_function_word_is_cut_only_at_a_sentence_start(tables: ent.Tables) -> None:
    text = "Shares fell until Microsoft and Meanwhile Dana spoke."  # a title-case slip, mid-sentence
    spans = [whole_span(text, "Meanwhile Dana", "PER")]
    assert span_labels(combine(text, spans, [], tables), text) == [("Meanwhile Dana", "PER")]
    assert span_labels(combine(text, spans, [], tables, sentence_start=spans[0].start), text) == [("Dana", "PER")]


# ----------------------------------------------------------------------------- records and result lines


@pytest.mark.parametrize(
    "text, mention",
    [
        ("Fairview (6-2): Lena Cho 14 points.", "Fairview"),
        ("The win lifts Oak Ridge (7-1-1, 3-0) to the top.", "Oak Ridge"),
        ("Cedar Falls d. Fairview 3-1", "Fairview"),
        ("Cedar Falls def. Fairview", "Cedar Falls"),
        ("Ohio A&M d. Fairview 3-1", "Fairview"),  # "&" inside a side's name
        ("Fairview def. Prairie A&M 21-14", "Prairie A&M"),
        ("Hillcrest\td.\tMaple Grove 4-2", "Maple Grove"),  # tabs on both sides
        ("Hillcrest\tdef. Maple Grove", "Hillcrest"),  # a tab before the word
        ("Hillcrest d.\tMaple Grove 4-2", "Maple Grove"),  # a tab after it
        ("Hillcrest def. Maple Grove 4-2", "Hillcrest"),  # spaces
    ],
)
def test_a_place_with_a_record_or_on_a_result_line_is_a_team(text: str, mention: str) -> None:
    assert span_labels(places_with_records(text, [whole_span(text, mention, "LOC")]), text) == [(mention, "ORG")]


@pytest.mark.parametrize(
    "text, mention, label",
    [
        ("Rosa Ortiz (12-3) fights next in Tulsa.", "Rosa Ortiz", "PER"),  # a fighter's record: a person
        ("Prices in Fairview (up 6-2 on the year) rose.", "Fairview", "LOC"),  # no record right after
        ("Cedar Falls, the county seat, d. 1901", "Cedar Falls", "LOC"),  # not a result line
        ("Cedar A& d. Fairview 3-1", "Fairview", "LOC"),  # "&" only inside a word
        ("Hillcrest, founded\td. 1890, is a small town", "Hillcrest", "LOC"),  # a tab before a lone "d.", no result line
    ],
)
def test_records_leave_people_and_other_places(text: str, mention: str, label: str) -> None:
    assert span_labels(places_with_records(text, [whole_span(text, mention, label)]), text) == [(mention, label)]


def test_a_scoreboard_end_to_end(resources: ent.EntityResources) -> None:
    text = "Girls soccer\nLakewood d. Brookfield 2-0\nLakewood (5-1): Maya Lind 2 goals."
    got = entity_pairs(text, resources)
    assert ("Lakewood", "ORG") in got and ("Lakewood", "LOC") not in got
    assert ("Maya Lind", "PER") in got


# ----------------------------------------------------------------------------- adverbs


@pytest.mark.parametrize("text", ["Clearly, nobody came.", "Predictably, the bill died.", "Happily, the rain stopped."])
def test_an_adverb_opening_a_sentence_is_no_name(text: str, tables: ent.Tables) -> None:
    assert _opened(text, text.split(",")[0], tables, "PER") == []


@pytest.mark.parametrize(
    "text",
    [
        "Italy, the hosts, won.",  # a place, its stem no word
        "Kelly, 34, was there.",
        "Daly, a striker, scored.",  # stems shorter than four letters ("da", "mol", "man")
        "Molly, the mayor's aide, left.",
        "Manly, a Sydney suburb, flooded.",
        "Strangely Brown wrote it.",  # no comma after it
    ],
)
def test_words_ending_in_ly_that_are_not_sentence_adverbs_stay(text: str, tables: ent.Tables) -> None:
    mention = text.split(",")[0].split()[0]
    assert _opened(text, mention, tables, "PER") == [mention]


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


# ----------------------------------------------------------------------------- capitals-only codes inside names


@pytest.mark.parametrize("name", ["Ade Kurniawan", "Karim Bey", "Cai Xiaoling", "Aly Mansour"])
def test_a_name_part_spelled_like_a_capitals_only_code_still_looks_like_a_name(name: str, tables: ent.Tables) -> None:
    code = next(w for w in name.split() if ent.lookup_alias(w.upper(), tables) is not None)
    assert ent.lookup_alias(code.upper(), tables).label != "PER"  # the code in capitals is a place
    assert _looks_like_name(name, tables)
    assert not _looks_like_name(f"{code.upper()} {name.split()[-1]}", tables)  # in capitals it is the code


@pytest.mark.parametrize("text, name", [
    ("Gubernur Ade Kurniawan meninjau banjir di pesisir utara.", "Ade Kurniawan"),
    ("Senator Karim Bey opposed the measure on Monday.", "Karim Bey"),
])
def test_a_title_before_such_a_name_announces_a_person(text: str, name: str, tables: ent.Tables) -> None:
    # the stage's route: the candidate run starts at the name (the title cut out of it) and the
    # model's span there comes with the title feature
    assert tuple(name.split()) in [r.words for r in ent.candidate_runs(text, tables)]
    span = whole_span(text, name, "ORG")
    got = combine(text, [ent.Span(span.start, span.end, "ORG", True)], [], tables)
    assert span_labels(got, text) == [(name, "PER")]


@pytest.mark.parametrize("text, mention, expected", [
    ("Kemarin wakil menteri Luar Negeri Hendra Wijaya tiba.", "Luar Negeri Hendra Wijaya", ("Hendra Wijaya", "PER")),
    ("Esok menteri Dalam Negeri Malaysia berkunjung.", "Dalam Negeri Malaysia", ("Malaysia", "LOC")),  # an alias: its type
])
def test_the_tail_of_a_title_heading_a_span_is_cut_off(text: str, mention: str, expected: tuple, tables: ent.Tables) -> None:
    assert tuple(mention.split()) in [r.words for r in ent.candidate_runs(text, tables)]  # a run the stage makes
    got = combine(text, [whole_span(text, mention, "ORG")], [], tables)
    assert span_labels(got, text) == [expected]


def test_such_a_name_on_a_headline_is_kept_as_a_person(tables: ent.Tables) -> None:
    text = "Interview With Karim Bey\nThe architect talked about his plans for the harbour front."
    run = next(r for r in ent.candidate_runs(text, tables, True) if "Karim" in r.words)
    start = text.index("Karim Bey")
    person = ent.Span(start, start + len("Karim Bey"), "PER")
    got = confirmed_headline_spans(text, [(run, [person])], [], tables)
    assert span_labels(got, text) == [("Karim Bey", "PER")]
