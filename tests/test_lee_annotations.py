"""The Lee-corpus English news annotations (ner/data/lee_train_*.ann) are well formed and resolve to spans."""

from __future__ import annotations

import re

import pytest

from ner import lee
from ner.annotate_en import LABELS, parse_line
from tests.entity_helpers import data_lines

_ID = re.compile(r"L\d{3}-\d{3}")


def _lines():
    for path in lee.ANNOTATIONS:
        for line in data_lines(path):
            yield path, line


def test_annotation_lines_parse_with_unique_ids():
    seen = set()
    for path, line in _lines():
        ident, items = parse_line(line)
        assert _ID.fullmatch(ident), (path, line)
        assert ident not in seen, (path, ident)
        seen.add(ident)


def test_annotations_resolve_to_spans_in_the_corpus_text():
    pytest.importorskip("gensim")
    sentences = lee.load_annotations()
    texts = lee.candidates()
    assert len(sentences) == len({texts[parse_line(line)[0]] for _, line in _lines()})  # repeats loaded once
    assert {label for s in sentences for *_, label in s.gold} == set(LABELS)  # every type is annotated


def test_a_surface_missing_from_its_sentence_is_an_error(tmp_path):
    pytest.importorskip("gensim")
    ident = next(iter(lee.candidates()))
    bad = tmp_path / "lee_train_x.ann"
    bad.write_text(f"{ident} | Zzyzxqw Nonexistent=PER\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lee_train_x\.ann:1: 'Zzyzxqw Nonexistent' not found in "):
        lee.load_annotations([bad])


def test_an_unknown_sentence_id_is_an_error(tmp_path):
    pytest.importorskip("gensim")
    bad = tmp_path / "lee_train_y.ann"
    bad.write_text("L999-999\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown sentence ID"):
        lee.load_annotations([bad])


def test_a_repeated_sentence_is_loaded_once(tmp_path):
    pytest.importorskip("gensim")
    by_text: dict[str, list[str]] = {}
    for ident, text in lee.candidates().items():
        by_text.setdefault(text, []).append(ident)
    first, twin = next(ids for ids in by_text.values() if len(ids) > 1)[:2]  # the corpus repeats stories
    ann = tmp_path / "lee_train_z.ann"
    ann.write_text(f"{first}\n{twin}\n", encoding="utf-8")
    assert len(lee.load_annotations([ann])) == 1
