"""Hand-annotated English news NER data (train/dev): well-formed, and disjoint from the test sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ner import annotate_en, corpus

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
SPLITS = ("en_news_train.json", "en_news_dev.json")
GOLD = json.loads((DATA / "en_news_gold.json").read_text(encoding="utf-8"))


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _letters(text: str) -> str:
    """Only letters and digits, lower-cased: the same sentence with other punctuation or spacing."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


@pytest.mark.parametrize("name", SPLITS)
def test_spans_are_well_formed(name: str) -> None:
    doc = _load(name)
    assert isinstance(doc["source"], str) and doc["articles"]
    assert len(doc["sentences"]) >= 100
    for row in doc["sentences"]:
        text, spans = row["text"], row["entities"]
        assert text == text.strip() and text
        previous_end = 0
        for start, end, label in spans:
            assert label in annotate_en.LABELS
            assert previous_end <= start < end <= len(text), (text, spans)
            surface = text[start:end]
            assert surface == surface.strip(), (surface, text)
            assert not surface.startswith(("The ", "the ")), surface
            assert not re.search(r"['’]s$", surface), surface
            assert start == 0 or not text[start - 1].isalnum(), (surface, text)
            assert end == len(text) or not text[end].isalnum(), (surface, text)
            previous_end = end


@pytest.mark.parametrize("name", SPLITS)
def test_mix_of_sentences_with_and_without_entities(name: str) -> None:
    sentences = _load(name)["sentences"]
    empty = sum(not row["entities"] for row in sentences) / len(sentences)
    assert 0.15 <= empty <= 0.40
    labels = {span[2] for row in sentences for span in row["entities"]}
    assert labels == set(annotate_en.LABELS)


def test_no_test_sentence_and_no_duplicates() -> None:
    gold = [_squash(row["text"]) for row in GOLD["sentences"]]
    seen: set[str] = set()
    for name in SPLITS:
        for row in _load(name)["sentences"]:
            text = _squash(row["text"])
            assert _letters(text) not in seen, text
            seen.add(_letters(text))
            assert not any(text in g or g in text for g in gold), text


def test_train_and_dev_share_no_article() -> None:
    train, dev = (_load(name)["articles"] for name in SPLITS)
    assert set(train).isdisjoint(dev)
    assert len(set(train)) == len(train) and len(set(dev)) == len(dev)


# ScrapingHub articles telling the story of a test sentence's article from another outlet (feather duvet,
# bubonic plague, WeWork, South Dakota's meth campaign, the Jang Noksu show): never train material.
SAME_STORY_AS_TEST = ("7bb1ca9035", "9eef8162bb", "a078b3656a", "8b19453030", "ea25dd7edf", "fde930b018",
                      "c13b9c0e04", "5211188428")


def test_train_uses_no_article_sharing_a_story_with_the_test() -> None:
    train = _load("en_news_train.json")["articles"]
    assert not [key for key in train if key.startswith(SAME_STORY_AS_TEST)]


@pytest.mark.skipif(not corpus.SCRAPINGHUB_TRUTH.exists(), reason="needs ../shared (ScrapingHub ground truth)")
def test_sentences_come_from_their_articles_and_not_from_test_articles() -> None:
    truth = corpus.scrapinghub_bodies()
    held = corpus.held_out_keys(truth)
    for name in SPLITS:
        doc = _load(name)
        assert not set(doc["articles"]) & held
        bodies = [truth[key].replace("\t", " ") for key in doc["articles"]]
        for row in doc["sentences"]:
            assert any(row["text"] in body for body in bodies), row["text"]


# The offsets tool: it must fail loudly rather than guess.

def test_locate_whole_words_and_occurrences() -> None:
    text = "The US team met USB makers in the US and in Busan."
    assert annotate_en.locate(text, "Busan", None) == (44, 49)
    with pytest.raises(ValueError, match="occurs 2 times"):
        annotate_en.locate(text, "US", None)
    assert annotate_en.locate(text, "US", 2) == (34, 36)
    with pytest.raises(ValueError, match="no occurrence #3"):
        annotate_en.locate(text, "US", 3)
    with pytest.raises(ValueError, match="not found"):
        annotate_en.locate(text, "Seoul", None)


def test_parse_and_annotate_line() -> None:
    ident, items = annotate_en.parse_line("abc-001 | Lagos=LOC | Ada Obi#2=PER")
    assert ident == "abc-001" and items == [("Lagos", None, "LOC"), ("Ada Obi", 2, "PER")]
    with pytest.raises(ValueError, match="bad entity"):
        annotate_en.parse_line("abc-001 | Lagos=CITY")
    text = "Ada Obi flew from Lagos; Ada Obi landed."
    assert annotate_en.annotate(text, items) == [[18, 23, "LOC"], [25, 32, "PER"]]
    with pytest.raises(ValueError, match="overlapping"):
        annotate_en.annotate("New York City", [("New York", None, "LOC"), ("York City", None, "LOC")])


def test_split_sentences_keeps_abbreviations_and_initials() -> None:
    body = "Gov. Ada Obi met Dr. Bello at 9 a.m. Tuesday. Then she left! \"Why?\" he asked.\nNew paragraph here."
    assert annotate_en.split_sentences(body) == [
        "Gov. Ada Obi met Dr. Bello at 9 a.m. Tuesday.", "Then she left!", "\"Why?\" he asked.", "New paragraph here."]
