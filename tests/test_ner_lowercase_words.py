"""ner.train's list of common lower-case words (a CRF feature, and what drops a capitalised common
word opening a sentence): a word mostly written capitalised on its own is a name, not common."""

from __future__ import annotations

from ner.train import common_lowercase_words

TEXTS = [
    "Shares of Zentrix rose. Analysts said Zentrix would grow. The fund sold Zentrix stock.",
    "Visit zentrix.example for details. The harbour was calm and the harbour master slept.",
    "The Northern Harbour Authority met. Boats left the harbour at dawn.",
    "Zentrix opened a shop. Harbour fees rose.",  # sentence starts: no evidence either way
]


def test_without_a_ratio_every_word_seen_twice_in_lower_case_counts() -> None:
    words = common_lowercase_words(TEXTS * 2, min_count=2)
    assert "zentrix" in words and "harbour" in words and "the" in words


def test_a_word_mostly_capitalised_on_its_own_is_left_out() -> None:
    words = common_lowercase_words(TEXTS * 2, min_count=2, capital_ratio=1.0)
    assert "zentrix" not in words  # 3 capitalised alone mid-sentence per copy, 1 in lower case
    assert "harbour" in words  # capitalised only inside a longer name and at a sentence start
    assert "the" in words


def test_min_count_still_applies() -> None:
    assert "calm" not in common_lowercase_words(TEXTS, min_count=2, capital_ratio=1.0)
    assert "calm" in common_lowercase_words(TEXTS, min_count=1, capital_ratio=1.0)
