"""Adjudicated NER-UGM test, dev and train splits: well-formed, reproducible from the correction lists, same sentences as the original."""

from __future__ import annotations

import json

import pytest

from ner import adjudicate_ugm, corpus

DOC = json.loads(adjudicate_ugm.OUTPUT.read_text(encoding="utf-8"))
TRAIN = json.loads(adjudicate_ugm.TRAIN_OUTPUT.read_text(encoding="utf-8"))
DEV_CORRECTIONS, DEV_OUTPUT = adjudicate_ugm.DEFAULTS["dev"]
DEV = json.loads(DEV_OUTPUT.read_text(encoding="utf-8"))
DEV_SIZE = 187
TRAIN_SIZE = 1687


def test_document_metadata() -> None:
    assert "IndoLEM" in DOC["source"] and "fold 01" in DOC["source"] and "CC BY 4.0" in DOC["source"]
    assert "CoNLL" in DOC["guidelines"]
    changes = DOC["changes"]
    assert changes["sentences"] == len(DOC["sentences"]) == 469
    assert changes["sentences_changed"] == len(changes["log"]) > 0
    assert changes["entities_adjudicated"] == sum(len(r["entities"]) for r in DOC["sentences"])
    logged = [entry["sentence"] for entry in changes["log"]]
    assert logged == sorted(set(logged)) and all(0 <= i < 469 for i in logged)


@pytest.mark.parametrize("doc", [DOC, TRAIN, DEV], ids=["test", "train", "dev"])
def test_spans_are_valid_token_aligned_and_disjoint(doc: dict) -> None:
    labels = set()
    for row in doc["sentences"]:
        text, spans = row["text"], row["entities"]
        assert text == text.strip() and "  " not in text
        assert spans == sorted(spans)
        previous_end = 0
        for start, end, label in spans:
            assert label in adjudicate_ugm.LABELS
            labels.add(label)
            assert previous_end <= start < end <= len(text), (text, spans)
            assert start == 0 or text[start - 1] == " ", (text[start:end], text)
            assert end == len(text) or text[end] == " ", (text[start:end], text)
            previous_end = end
    assert labels == set(adjudicate_ugm.LABELS)


def test_dev_document_metadata() -> None:
    assert "dev split" in DEV["source"] and "IndoLEM" in DEV["source"] and "CC BY 4.0" in DEV["source"]
    assert DEV["guidelines"] == DOC["guidelines"]
    changes = DEV["changes"]
    assert changes["sentences"] == len(DEV["sentences"]) == DEV_SIZE
    assert changes["sentences_changed"] == len(changes["log"]) > 0
    assert changes["entities_adjudicated"] == sum(len(r["entities"]) for r in DEV["sentences"])
    logged = [entry["sentence"] for entry in changes["log"]]
    assert logged == sorted(set(logged)) and all(0 <= i < DEV_SIZE for i in logged)
    assert len(corpus.load_json(DEV_OUTPUT)) == DEV_SIZE


def test_train_document_metadata() -> None:
    source = TRAIN["source"]
    assert "IndoLEM" in source["text"] and "fold 01" in source["text"] and "CC BY 4.0" in source["text"]
    assert source["split"] == "train" and source["sentences"] == TRAIN_SIZE
    assert TRAIN["guidelines"] == DOC["guidelines"]
    reviewed = source["reviewed"]
    assert 0 <= reviewed <= TRAIN_SIZE
    assert reviewed == adjudicate_ugm.read_reviewed(adjudicate_ugm.TRAIN_CORRECTIONS)
    changes = TRAIN["changes"]
    assert changes["sentences"] == len(TRAIN["sentences"]) == TRAIN_SIZE
    assert changes["sentences_changed"] == len(changes["log"])
    assert changes["entities_adjudicated"] == sum(len(r["entities"]) for r in TRAIN["sentences"])
    logged = [entry["sentence"] for entry in changes["log"]]
    assert logged == sorted(set(logged)) and all(0 <= i < reviewed for i in logged)


def test_train_loads_with_the_corpus_reader() -> None:
    sentences = corpus.load_json(adjudicate_ugm.TRAIN_OUTPUT)
    assert len(sentences) == TRAIN_SIZE
    assert sum(len(s.gold) for s in sentences) == TRAIN["changes"]["entities_adjudicated"]


def test_loads_with_the_benchmark_reader() -> None:
    sentences = corpus.load_json(adjudicate_ugm.OUTPUT)
    assert len(sentences) == 469
    assert sum(len(s.gold) for s in sentences) == DOC["changes"]["entities_adjudicated"]


DOCS = {"test": DOC, "dev": DEV, "train": TRAIN}


def _shared_split(split: str) -> pytest.param:
    have = (corpus.SHARED / "nerugm" / f"{split}.tsv").exists()
    return pytest.param(split, id=split, marks=pytest.mark.skipif(not have, reason="needs ../shared/data/ner/nerugm"))


SHARED_SPLITS = [_shared_split(split) for split in DOCS]


@pytest.mark.parametrize("split", SHARED_SPLITS)
def test_same_sentences_as_the_original_split(split: str) -> None:
    doc, original = DOCS[split], corpus.load("nerugm", split)
    assert [s.text for s in original] == [r["text"] for r in doc["sentences"]]
    assert doc["changes"]["entities_original"] == sum(len(s.gold) for s in original)
    unchanged = set(range(len(original))) - {e["sentence"] for e in doc["changes"]["log"]}
    for i in unchanged:
        assert [list(g) for g in original[i].gold] == doc["sentences"][i]["entities"]


@pytest.mark.parametrize("split", SHARED_SPLITS)
def test_json_is_rebuilt_exactly_from_the_correction_list(split: str) -> None:
    path = adjudicate_ugm.DEFAULTS[split][0]
    rebuilt = adjudicate_ugm.build(corpus.load("nerugm", split), adjudicate_ugm.read_corrections(path),
                                   str(path), split, adjudicate_ugm.read_reviewed(path))
    assert json.loads(json.dumps(rebuilt, ensure_ascii=False)) == DOCS[split]
