"""Entities stage, English news rules: sentence-initial names and document-level evidence.

Own phrasings only (never the benchmark's dev/test sentences); candidate-level checks do not
depend on the trained model.
"""

from __future__ import annotations

import pytest

from tests.entity_helpers import data_lines, entity_texts, run_first_words
from transforms import entities as ent
from transforms.entities.tagging import _not_entity_word


def test_sentence_initial_common_words_are_dropped_without_document_rules(tables: ent.Tables) -> None:
    text = "Shell raised its dividend. Analysts at Shell expected that. Target stores closed early."
    words = run_first_words(text, tables, document=False)
    assert words.count("Shell") == 1  # only the mid-sentence one
    assert "Target" not in words


def test_a_word_the_text_capitalises_mid_sentence_is_a_candidate_at_a_sentence_start(tables: ent.Tables) -> None:
    text = "Shell raised its dividend. Analysts at Shell expected that. Target stores closed early."
    runs = ent.candidate_runs(text, tables, document=True)
    shells = [r for r in runs if r.words == ("Shell",)]
    assert [r.start for r in shells] == [0, text.index("at Shell") + 3]
    assert shells[0].sentence_start and not shells[1].sentence_start
    assert "Target" not in [r.words[0] for r in runs]  # never capitalised mid-sentence here
    assert [r.start for r in runs] == sorted(r.start for r in runs)


def test_function_words_capitalised_on_title_lines_are_no_evidence(tables: ent.Tables) -> None:
    text = "Markets Slide As The Dollar Climbs\nThe dollar rose again on Friday, traders said."
    assert "The" not in run_first_words(text, tables, document=True)


def test_acronyms_at_a_sentence_start_stay_candidates(tables: ent.Tables) -> None:
    text = "CARE warned of famine in the region. BOSTON — WHO officials met on Monday."
    words = run_first_words(text, tables, document=True)
    assert "CARE" in words and "WHO" in words
    assert "CARE" not in run_first_words(text, tables, document=False)


def test_the_crf_alone_sees_the_candidates_it_was_trained_on(resources: ent.EntityResources) -> None:
    text = "Target cut prices. A spokesman for Target confirmed it."
    assert not any(e.start == 0 for e in ent.find_entities(text, resources, use_rules=False))


def test_a_word_of_a_longer_name_is_no_evidence_for_the_word_alone(tables: ent.Tables) -> None:
    text = "Fire crews worked through the night, the Country Fire Authority said."
    assert "Fire" not in run_first_words(text, tables, document=True)


@pytest.mark.parametrize("word", ["Hungarian", "Kenyans", "Nazis", "Peruvian-born", "Thai"])
def test_nationality_and_people_words_are_not_names_alone(word: str, tables: ent.Tables) -> None:
    assert _not_entity_word(word, tables)


def test_nationality_words_alone_are_dropped_but_names_after_them_stay(
    resources: ent.EntityResources, tables: ent.Tables
) -> None:
    text = ("Hungarian negotiators and Kenyan diplomats met in Geneva on Friday. "
            "The talks were chaired by a Danish envoy, Lukas Brenner.")
    found = entity_texts(text, resources)
    assert not {"Hungarian", "Kenyan", "Danish"} & found
    assert "Geneva" in found
    assert "peru" not in tables.demonyms  # places are not in the list


def test_demonym_list_is_lower_case_single_words() -> None:
    words = data_lines(ent.DATA_DIR / "demonyms.txt")
    assert words and all(w == w.lower() and " " not in w for w in words)
    assert len(words) == len(set(words))
