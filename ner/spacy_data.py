"""spaCy training data (DocBin files) from the shared NER corpora, same readers and splits as the CRF.

    .venv/bin/python -m ner.spacy_data            # writes out/ner_spacy/corpus/{id,en}_{train,dev}.spacy

Indonesian: NER-UGM + NERGrit + NERP (casing restored by rule, ``ner.train.load_nerp_recased``);
English: WikiANN-en (the only labelled English set; the 74 hand-annotated news sentences are test
only and never read here). Sentences keep the corpora's tokens (``Sentence.text`` is the tokens
joined by single spaces), so gold character spans map onto tokens exactly. Test splits are not
written: they are scored once, by ``benchmarks.ner_model_choice``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin

from ner.corpus import Sentence, load

OUT = Path(__file__).resolve().parent.parent / "out" / "ner_spacy"

# language -> datasets (names as in benchmarks.ner_eval; "nerp-recased" is NERP with casing restored)
LANGUAGE_SETS = {"id": ("nerugm", "nergrit", "nerp-recased"), "en": ("wikiann-en",)}


def cased_training_sentences() -> list[Sentence]:
    """The cased training splits NERP's acronym list is learned from (as in benchmarks.ner_eval)."""
    return load("nergrit", "train") + load("nerugm", "train") + load("wikiann-en", "train")


def sentences(dataset: str, split: str, cased: list[Sentence] | None = None) -> list[Sentence]:
    if dataset == "nerp-recased":
        from ner.train import load_nerp_recased  # imports the stage's tables (titles, capitalised words)

        return load_nerp_recased(split, cased if cased is not None else cased_training_sentences())
    return load(dataset, split)


def to_doc(vocab, sentence: Sentence) -> Doc | None:
    """The sentence as a Doc over its own tokens with gold entities; None if a span misses token edges."""
    words = sentence.text.split(" ")
    if not all(words):
        return None
    doc = Doc(vocab, words=words)
    ents = []
    for start, end, label in sentence.gold:
        span = doc.char_span(start, end, label=label, alignment_mode="strict")
        if span is None:
            return None
        ents.append(span)
    doc.ents = ents
    return doc


def build(lang: str, split: str, out_dir: Path = OUT / "corpus") -> tuple[Path, int, int]:
    nlp = spacy.blank(lang)
    cased = cased_training_sentences() if "nerp-recased" in LANGUAGE_SETS[lang] else None
    bin_ = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
    kept = skipped = 0
    for dataset in LANGUAGE_SETS[lang]:
        for s in sentences(dataset, split, cased):
            doc = to_doc(nlp.vocab, s)
            if doc is None:
                skipped += 1
                continue
            bin_.add(doc)
            kept += 1
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{lang}_{split}.spacy"
    bin_.to_disk(path)
    return path, kept, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(LANGUAGE_SETS), nargs="*", default=sorted(LANGUAGE_SETS))
    args = parser.parse_args()
    for lang in args.lang:
        for split in ("train", "dev"):
            path, kept, skipped = build(lang, split)
            print(f"{path}: {kept} sentences ({skipped} skipped: span not on token edges or empty token)")


if __name__ == "__main__":
    main()
