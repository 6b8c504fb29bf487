"""The written English news-style training sentences (ner/data/en_written_*.tsv) load, and bad lines fail loudly."""

from __future__ import annotations

import pytest

from ner import written
from ner.annotate_en import LABELS


def test_every_written_file_loads_with_every_entity_type():
    sentences = written.load_sentences()
    assert len(sentences) >= 100 * len(written.FILES) > 0
    assert {label for s in sentences for *_, label in s.gold} == set(LABELS)  # every type is annotated
    assert sum(len(s.gold) for s in sentences) > len(sentences)  # more than one name a sentence on average


def test_a_line_parses_to_sorted_spans():
    ident, text, spans = written.parse_written_line(
        "W7-004-02\tRiverside Clinic hired Tom Nguyen in Fresno.\tFresno=LOC | Riverside Clinic=ORG | Tom Nguyen=PER")
    assert ident == "W7-004-02"
    assert [text[s:e] for s, e, _ in spans] == ["Riverside Clinic", "Tom Nguyen", "Fresno"]
    assert written.parse_written_line("W7-004-03\tNobody came.\t")[2] == []


@pytest.mark.parametrize("line, message", [
    ("W7-004-02\tAnn met Bob.\tAnne=PER", "not found"),
    ("W7-004-02\tBob met Bob.\tBob=PER", "occurs 2 times"),
    ("W7-004-02\tAnn met Bob.\tAnn=PERSON", "bad entity"),
    ("W7-004-02\tAnn met Bob.\tAnn =PER", "bad entity"),
    ("W7-004-02\tAnn met Bob.\tAnn=PER | =LOC", "bad entity"),
    ("W7-4-2\tAnn met Bob.\tAnn=PER", "bad sentence ID"),
    ("W7-004-02\tAnn met Bob.", "3 tab-separated"),
    ("W7-004-02\tNew York City is big.\tNew York=LOC | York City=LOC", "overlapping"),
])
def test_bad_lines_are_refused(line, message):
    with pytest.raises(ValueError, match=message):
        written.parse_written_line(line)


def test_a_repeated_id_names_the_file_and_line(tmp_path):
    path = tmp_path / "en_written_9.tsv"
    path.write_text("W9-001-01\tAnn met Bob.\tAnn=PER\nW9-001-01\tBob left.\tBob=PER\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en_written_9.tsv:2: W9-001-01 annotated twice"):
        written.load_sentences([path])
