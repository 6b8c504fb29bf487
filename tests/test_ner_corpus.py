"""Training/benchmark corpus readers (ner/corpus.py) on small files of our own."""

from __future__ import annotations

import json
from pathlib import Path

from ner.corpus import load_json, parse_tsv


def test_parse_tsv_maps_tags_to_character_spans() -> None:
    lines = ["Gubernur\tO", "Rina\tB-PERSON", "Hartono\tI-PERSON", "mengunjungi\tO", "Kupang\tB-PLACE", ".\tO"]
    [sentence] = parse_tsv(lines)
    assert sentence.text == "Gubernur Rina Hartono mengunjungi Kupang ."
    assert [(sentence.text[a:b], label) for a, b, label in sentence.gold] == [("Rina Hartono", "PER"), ("Kupang", "LOC")]


def test_load_json_reads_hand_annotated_sentences(tmp_path: Path) -> None:
    text = "Officials at Nordhaven Bank met Lena Ortiz in Tallinn."
    path = tmp_path / "sents.json"
    path.write_text(json.dumps({"sentences": [{"text": text, "entities": [[46, 53, "LOC"], [13, 27, "ORG"]]}]}))
    [sentence] = load_json(path)
    assert sentence.text == text
    assert [(text[a:b], label) for a, b, label in sentence.gold] == [("Nordhaven Bank", "ORG"), ("Tallinn", "LOC")]
