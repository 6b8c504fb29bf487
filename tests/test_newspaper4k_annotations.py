"""The second English news test set (benchmarks/data/en_news_n4k_test.ann) is well formed and
resolves to spans in newspaper4k's test articles (the sdist is fetched once from PyPI)."""

from __future__ import annotations

import re
import urllib.error

import pytest

from ner import newspaper4k_text
from ner.annotate_en import LABELS, parse_line
from tests.entity_helpers import data_lines

_ID = re.compile(r"N\d{2}-\d{3}")


def _lines() -> list[str]:
    return data_lines(newspaper4k_text.ANNOTATIONS)


def _articles_or_skip() -> dict[str, str]:
    try:
        return newspaper4k_text.articles()
    except urllib.error.URLError as error:  # no route to PyPI: the only reason to skip
        pytest.skip(f"newspaper4k sdist not cached and PyPI unreachable: {error}")


def test_annotation_lines_parse_with_unique_ids_in_order():
    idents = [parse_line(line)[0] for line in _lines()]
    assert all(_ID.fullmatch(i) for i in idents)
    assert idents == sorted(set(idents))  # no ID twice, written in ID order


def test_annotations_resolve_to_spans_in_the_article_text():
    _articles_or_skip()
    sentences = newspaper4k_text.load_annotations()
    texts = newspaper4k_text.candidates()
    assert len(sentences) == len({texts[parse_line(line)[0]] for line in _lines()})  # repeats loaded once
    assert {label for s in sentences for *_, label in s.gold} == set(LABELS)
    assert sum(len(s.gold) for s in sentences) > 1000  # the reason this set exists: ~8x the first test set


def test_no_sentence_is_english_training_text():
    import json

    from ner.train import EN_NEWS

    _articles_or_skip()
    train = {row["text"] for row in json.loads(EN_NEWS["train"].read_text(encoding="utf-8"))["sentences"]}
    assert not train & {s.text for s in newspaper4k_text.load_annotations()}


def test_a_sdist_with_another_digest_is_refused():
    with pytest.raises(ValueError, match="SHA-256"):
        newspaper4k_text._check_digest(b"not the newspaper4k sdist")
