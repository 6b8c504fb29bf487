"""Adjudicated NER-UGM test, dev and train splits: well-formed, reproducible from the correction lists, same sentences as the original."""

from __future__ import annotations

import json

import pytest

from ner import adjudicate_ugm, corpus

# split -> its adjudicated document (the files of adjudicate_ugm.DEFAULTS)
DOCS = {split: json.loads(output.read_text(encoding="utf-8"))
        for split, (_corrections, output) in adjudicate_ugm.DEFAULTS.items()}
DOC, DEV, TRAIN = DOCS["test"], DOCS["dev"], DOCS["train"]
SIZES = {"test": 469, "dev": 187, "train": 1687}  # sentences of each split
TRAIN_SIZE = SIZES["train"]


@pytest.mark.parametrize("split", list(DOCS))
def test_changes_count_the_sentences_entities_and_log(split: str) -> None:
    doc, size = DOCS[split], SIZES[split]
    changes = doc["changes"]
    assert changes["sentences"] == len(doc["sentences"]) == size
    assert changes["sentences_changed"] == len(changes["log"])
    if split != "train":  # test and dev are reviewed whole, and the review changed some sentences
        assert changes["sentences_changed"] > 0
    assert changes["entities_adjudicated"] == sum(len(r["entities"]) for r in doc["sentences"])
    log_bound = doc["source"]["reviewed"] if split == "train" else size  # train: only the reviewed ones
    logged = [entry["sentence"] for entry in changes["log"]]
    assert logged == sorted(set(logged)) and all(0 <= i < log_bound for i in logged)


@pytest.mark.parametrize("split", list(DOCS))
def test_loads_with_the_corpus_reader(split: str) -> None:
    sentences = corpus.load_json(adjudicate_ugm.DEFAULTS[split][1])
    assert len(sentences) == SIZES[split]
    assert sum(len(s.gold) for s in sentences) == DOCS[split]["changes"]["entities_adjudicated"]


def test_document_metadata() -> None:
    assert "IndoLEM" in DOC["source"] and "fold 01" in DOC["source"] and "CC BY 4.0" in DOC["source"]
    assert "CoNLL" in DOC["guidelines"]


def test_dev_document_metadata() -> None:
    assert "dev split" in DEV["source"] and "IndoLEM" in DEV["source"] and "CC BY 4.0" in DEV["source"]
    assert DEV["guidelines"] == DOC["guidelines"]


def test_train_document_metadata() -> None:
    source = TRAIN["source"]
    assert "IndoLEM" in source["text"] and "fold 01" in source["text"] and "CC BY 4.0" in source["text"]
    assert source["split"] == "train" and source["sentences"] == TRAIN_SIZE
    assert TRAIN["guidelines"] == DOC["guidelines"]
    reviewed = source["reviewed"]
    assert 0 <= reviewed <= TRAIN_SIZE
    assert reviewed == adjudicate_ugm.read_reviewed(adjudicate_ugm.TRAIN_CORRECTIONS)


@pytest.mark.parametrize("split", list(DOCS))
def test_spans_are_valid_token_aligned_and_disjoint(split: str) -> None:
    doc, labels = DOCS[split], set()
    for row in doc["sentences"]:
        text, spans = row["text"], row["entities"]
        assert text == text.strip() and "  " not in text
        assert spans == sorted(spans)
        previous_end = 0
        for start, end, label in spans:
            assert label in corpus.LABELS
            labels.add(label)
            assert previous_end <= start < end <= len(text), (text, spans)
            assert start == 0 or text[start - 1] == " ", (text[start:end], text)
            assert end == len(text) or text[end] == " ", (text[start:end], text)
            previous_end = end
    assert labels == set(corpus.LABELS)


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


def test_reviewed_line_is_read_and_bounds_the_corrections(tmp_path) -> None:
    path = tmp_path / "corrections.txt"
    path.write_text("# a comment\n#  reviewed: 1\n0 | +Bandar=LOC\n", encoding="utf-8")
    assert adjudicate_ugm.read_reviewed(path) == 1
    sentences = [corpus.Sentence(TEXT, ()), corpus.Sentence("PM bertemu PM lain", ())]
    doc = adjudicate_ugm.build(sentences, adjudicate_ugm.read_corrections(path), "x", "train", 1)
    start, end, _label = _span("Bandar", "LOC")
    assert doc["source"]["reviewed"] == 1 and doc["sentences"][0]["entities"] == [[start, end, "LOC"]]
    with pytest.raises(SystemExit, match="past 'reviewed: 0'"):
        adjudicate_ugm.build(sentences, adjudicate_ugm.read_corrections(path), "x", "train", 0)
    path.write_text("# reviewed: 1\n# reviewed: 2\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="more than one"):
        adjudicate_ugm.read_reviewed(path)


# --- the correction operations, on sentences of our own -------------------------------------

TEXT = "Kata Ketua Umum Partai Maju ( PM ) Budi Santoso - Ani Lestari di gedung DPRD Kota Bandar , Jumat ."


def _span(surface: str, label: str, n: int = 1) -> tuple[int, int, str]:
    start = adjudicate_ugm.token_starts(TEXT, surface)[n - 1]
    return (start, start + len(surface), label)


GOLD = [_span("Partai Maju ( PM )", "ORG"), _span("Budi Santoso - Ani Lestari", "PER"),
        _span("gedung DPRD Kota Bandar", "LOC")]


def _apply(ops: list[str]) -> tuple[list[tuple[str, str]], adjudicate_ugm.Changes]:
    changes = adjudicate_ugm.Changes()
    spans = adjudicate_ugm.apply_ops(TEXT, GOLD, ops, changes)
    return [(TEXT[s:e], label) for s, e, label in spans], changes


def test_split_trim_add_and_counts() -> None:
    spans, changes = _apply([
        "Partai Maju ( PM ) > Partai Maju=ORG && PM=ORG",
        "Budi Santoso - Ani Lestari > Budi Santoso=PER && Ani Lestari=PER",
        "gedung DPRD Kota Bandar > DPRD=ORG && Bandar=LOC",
        "+Jumat=PER",
    ])
    assert spans == [("Partai Maju", "ORG"), ("PM", "ORG"), ("Budi Santoso", "PER"), ("Ani Lestari", "PER"),
                     ("DPRD", "ORG"), ("Bandar", "LOC"), ("Jumat", "PER")]
    assert changes.rebounded == {"ORG": 1, "PER": 1, "LOC": 1} and changes.splits == 3
    assert changes.added == {"PER": 1} and not changes.removed and not changes.retyped


def test_remove_retype_and_merge() -> None:
    spans, changes = _apply(["-Partai Maju ( PM )", "Budi Santoso - Ani Lestari=ORG"])
    assert spans == [("Budi Santoso - Ani Lestari", "ORG"), ("gedung DPRD Kota Bandar", "LOC")]
    assert changes.removed == {"ORG": 1} and changes.retyped == {"PER->ORG": 1}
    spans, changes = _apply(["Budi Santoso - Ani Lestari && gedung DPRD Kota Bandar > "
                             "Budi Santoso - Ani Lestari di gedung DPRD Kota Bandar=LOC"])
    assert changes.merges == 1 and spans[-1] == ("Budi Santoso - Ani Lestari di gedung DPRD Kota Bandar", "LOC")


def test_a_gold_span_on_the_wrong_word_can_be_moved_to_its_neighbour() -> None:
    gold = [_span("Kata", "PER")]
    changes = adjudicate_ugm.Changes()
    assert adjudicate_ugm.apply_ops(TEXT, gold, ["Kata > Ketua=PER"], changes) == [[5, 10, "PER"]]


@pytest.mark.parametrize("ops, message", [
    (["+Bandung=LOC"], "not found"),
    (["+Ketua Umum=TIME"], "bad labelled surface"),
    (["+Ketua Umum =PER"], "bad labelled surface"),  # a space before '=' is refused, not stripped
    (["+ Ketua Umum=PER"], "bad labelled surface"),
    (["Budi Santoso - Ani Lestari =ORG"], "bad labelled surface"),
    (["Partai Maju ( PM ) > Partai Maju =ORG"], "bad labelled surface"),
    (["-Ani Lestari"], "gold span .Ani Lestari. not found"),
    (["+Maju=ORG"], "overlapping"),
    (["Partai Maju ( PM )=ORG"], "its own label"),
    (["-Partai Maju ( PM )", "Partai Maju ( PM )=LOC"], "changed twice"),
    (["Partai Maju ( PM ) > Jumat=ORG"], "over the old span"),
])
def test_bad_operations_fail_loudly(ops: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        adjudicate_ugm.apply_ops(TEXT, GOLD, ops, adjudicate_ugm.Changes())


def test_repeated_surface_needs_an_occurrence_number() -> None:
    text = "PM bertemu PM lain"
    with pytest.raises(ValueError, match="give #n"):
        adjudicate_ugm.apply_ops(text, [], ["+PM=ORG"], adjudicate_ugm.Changes())
    spans = adjudicate_ugm.apply_ops(text, [], ["+PM#2=ORG"], adjudicate_ugm.Changes())
    assert spans == [[11, 13, "ORG"]]
