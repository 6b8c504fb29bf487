"""Adjudicated copies of the NER-UGM test, dev and train splits (issue 5): original gold + a hand-written correction list.

Not run in CI (needs ../shared). Usage:

    .venv/bin/python -m ner.adjudicate_ugm [--split test|dev|train] [corrections] [output]

defaults: test: ner/data/nerugm_test_corrections.txt -> benchmarks/data/nerugm_test_adjudicated.json;
dev: ner/data/nerugm_dev_corrections.txt -> benchmarks/data/nerugm_dev_adjudicated.json;
train: ner/data/nerugm_train_corrections.txt -> ner/data/nerugm_train_adjudicated.json (training data
lives with the trainer).

The original gold is read with ``ner.corpus`` (tokens joined by single spaces, tags mapped to
PER/ORG/LOC, QUANTITY/TIME dropped), so offsets line up with the benchmark's sentences. Every
sentence was re-read by a human against GUIDELINES (without any system output); the ones that
needed a change have one line in the correction file::

    ID | op | op ...

where ID is the sentence's 0-based index in the split's TSV file and an op is one of

    +surface=LABEL            add a span (surface#n: the n-th whole-token occurrence in the text)
    -surface                  remove a gold span (surface#n: the n-th gold span with that text)
    surface=LABEL             retype a gold span
    old && old > new=LABEL && new=LABEL
                              re-bound: replace gold span(s) by new span(s) (split, merge, trim,
                              extend); a new surface is the occurrence overlapping (or touching) the old spans

A surface that is not found, is ambiguous without #n, or leaves overlapping spans is an error:
the build fails loudly rather than guess.

The train split is reviewed in order; its correction file carries a ``# reviewed: N`` line (the
first N sentences were re-read, the rest keep the original gold), recorded in the JSON's "source".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ner import corpus
from ner.corpus import first_overlap, split_label, split_occurrence

ROOT = Path(__file__).resolve().parent.parent
CORRECTIONS = ROOT / "ner" / "data" / "nerugm_test_corrections.txt"
OUTPUT = ROOT / "benchmarks" / "data" / "nerugm_test_adjudicated.json"
TRAIN_CORRECTIONS = ROOT / "ner" / "data" / "nerugm_train_corrections.txt"
TRAIN_OUTPUT = ROOT / "ner" / "data" / "nerugm_train_adjudicated.json"
DEFAULTS = {"test": (CORRECTIONS, OUTPUT), "train": (TRAIN_CORRECTIONS, TRAIN_OUTPUT),
            "dev": (ROOT / "ner" / "data" / "nerugm_dev_corrections.txt",
                    ROOT / "benchmarks" / "data" / "nerugm_dev_adjudicated.json")}

SOURCE = (
    "NER-UGM test split, fold 01 as distributed by IndoLEM (indolem/indolem, ner/data/nerugm; Fachri 2014, "
    "Universitas Gadjah Mada; Koto et al., COLING 2020), Indonesian news. ../shared/README.md gives no licence "
    "for it and the IndoLEM repository states none; the SEACrowd/NusaCatalogue card for indolem_ner_ugm lists "
    "CC BY 4.0. Sentence texts are the original tokens joined by single spaces (as ner/corpus.py builds them); "
    "entities re-annotated for this project from the original gold and the text only (no system output was "
    "looked at), changes listed in 'changes'."
)

TRAIN_SOURCE = (
    "NER-UGM train split, fold 01 as distributed by IndoLEM (indolem/indolem, ner/data/nerugm; Fachri 2014, "
    "Universitas Gadjah Mada; Koto et al., COLING 2020), Indonesian news. ../shared/README.md gives no licence "
    "for it and the IndoLEM repository states none; the SEACrowd/NusaCatalogue card for indolem_ner_ugm lists "
    "CC BY 4.0. Sentence texts are the original tokens joined by single spaces (as ner/corpus.py builds them); "
    "entities re-annotated to the same guideline as the adjudicated test split, from the original gold and the "
    "text only (no system output was looked at); the first 'reviewed' sentences were re-read, later ones keep "
    "the original gold (PER/ORG/LOC); changes listed in 'changes'."
)

GUIDELINES = (
    "CoNLL-style, PER/ORG/LOC only (QUANTITY/TIME dropped). PER: people's names, nicknames (Jokowi, Ical, SBY); "
    "titles, honorifics and degrees (Presiden, Pak, Bu, Menteri, Ketua, Sheikh, Dr., Ir., SH) are not part of the "
    "name and a bare title is not an entity; a fixed nickname such as 'Gus Dur' is kept whole. ORG: "
    "organisations, companies, parties, ministries, agencies, courts, councils, coalitions, universities and "
    "faculties, teams, media and news agencies; acronyms (DPR, DPRD, KPK, TNI, Polri, KPU, MK, PPP, KMP, KIH, "
    "DPP/DPD/DPC of a party) are ORG; 'DPP/DPD/DPC/Dewan X' directly followed by the party name is one span "
    "(DPP Partai Golkar) and a region after it is a separate LOC (DPD Hanura + Sulsel); a commission or "
    "faction and its parliament are separate spans (Komisi III + DPR RI, Fraksi PPP + DPR). LOC: countries, "
    "provinces, cities, districts, regions, streets, islands, mountains, celestial bodies, and named "
    "facilities (buildings, airports, hotels, restaurants, offices: Gedung DPR, Hotel Santika); administrative "
    "words (Provinsi, Kota, Kabupaten) are outside the span; a country name used as a noun modifier "
    "(pemerintah Suriah, pria Australia) is LOC, since Indonesian has no separate adjective; a language "
    "(berbahasa Indonesia) and ethnic/demonym words (Abkhaz, Sunni) are not entities. Boundaries: a lower-case "
    "common noun before a name is outside the span (gedung DPR, jalan KS Tubun, pulau Maui, se- Sulawesi "
    "Selatan, gerakan Islam Hamas), a capitalised designator is inside (Gedung DPR, Jalan Medan Merdeka "
    "Selatan, Pulau Nusakambangan, Partai Golkar, Bank Indonesia); a parenthesised acronym after a name is its "
    "own entity (Komisi Pemilihan Umum + KPU); 'X - Y' pairs of people are two PER spans; 'Place , City' lists "
    "are separate spans. Events, laws, awards, products, works, headlines are not entities, but the names of "
    "people, organisations and places inside them are (Munas Partai Golkar, Konvensi Jenewa, Penghargaan "
    "Roosseno, Banking Efficiency Award Bisnis Indonesia)."
)


@dataclass
class Changes:
    added: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    retyped: Counter = field(default_factory=Counter)
    rebounded: Counter = field(default_factory=Counter)
    splits: int = 0
    merges: int = 0
    log: list[dict] = field(default_factory=list)


def token_starts(text: str, surface: str) -> list[int]:
    """Starts of ``surface`` as a run of whole tokens (tokens are separated by single spaces)."""
    if not surface or surface != surface.strip():
        raise ValueError(f"surface {surface!r} is empty or has surrounding spaces")
    return [m.start() for m in re.finditer(re.escape(surface), text)
            if (m.start() == 0 or text[m.start() - 1] == " ")
            and (m.end() == len(text) or text[m.end()] == " ")]


def new_span(text: str, item: str, near: tuple[int, int] | None = None) -> list:
    """[start, end, label] of a labelled surface; with ``near``, the occurrence overlapping or touching it."""
    surface, label = split_label(item)
    surface, occurrence = split_occurrence(surface)
    starts = token_starts(text, surface)
    if occurrence is None and near is not None:
        # overlapping, or the adjacent token (a gold span on the wrong word)
        starts = [s for s in starts if s <= near[1] + 1 and s + len(surface) >= near[0] - 1]
    start = corpus.nth_occurrence(starts, occurrence, repr(surface), " over the old span" if near else "")
    return [start, start + len(surface), label]


def gold_index(text: str, spans: list[list], ref: str) -> int:
    """Index in ``spans`` of the gold span written ``surface`` or ``surface#n``."""
    surface, occurrence = split_occurrence(ref.strip())
    hits = [i for i, (s, e, _l) in enumerate(spans) if text[s:e] == surface]
    return corpus.nth_occurrence(hits, occurrence, f"gold span {surface!r}",
                                 f" (gold: {[text[s:e] for s, e, _ in spans]})")


def apply_ops(text: str, gold: list[list], ops: list[str], changes: Changes) -> list[list]:
    """The sentence's spans after the ops (checked: sorted, no overlaps); counts into ``changes``.

    Gold references (``surface#n``) always name spans of the ORIGINAL gold, whatever ops came
    before; a gold span may be touched by one op only.
    """
    kept = [list(s) for s in gold]
    used: set[int] = set()
    extra: list[list] = []

    def take(ref: str) -> int:
        i = gold_index(text, gold, ref)
        if i in used:
            raise ValueError(f"gold span {ref!r} changed twice")
        used.add(i)
        return i

    for op in ops:
        if " > " in op:
            old_part, new_part = op.split(" > ", 1)
            olds = [kept[take(ref)] for ref in old_part.split(" && ")]
            near = (min(s[0] for s in olds), max(s[1] for s in olds))
            news = [new_span(text, item.strip(), near) for item in new_part.split(" && ")]
            changes.rebounded[olds[0][2]] += 1
            for old in olds:
                old[2] = None
            extra.extend(news)
            changes.splits += len(news) > 1
            changes.merges += len(olds) > 1
        elif op.startswith("+"):
            span = new_span(text, op[1:])
            extra.append(span)
            changes.added[span[2]] += 1
        elif op.startswith("-"):
            span = kept[take(op[1:])]
            changes.removed[span[2]] += 1
            span[2] = None
        else:
            surface, label = split_label(op)
            span = kept[take(surface)]
            if span[2] == label:
                raise ValueError(f"retype of {surface!r} to its own label {label}")
            changes.retyped[f"{span[2]}->{label}"] += 1
            span[2] = label
    spans = sorted([s for s in kept if s[2] is not None] + extra)
    if overlap := first_overlap(spans):
        a, b = overlap
        raise ValueError(f"overlapping spans {text[a[0]:a[1]]!r} and {text[b[0]:b[1]]!r}")
    return spans


def read_corrections(path: Path) -> dict[int, tuple[int, list[str]]]:
    """{sentence index: (line number, ops)} of a correction file."""
    out: dict[int, tuple[int, list[str]]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        ident, *ops = [p.strip() for p in line.split(" | ")]
        if not ident.isdigit() or not ops:
            sys.exit(f"{path}:{lineno}: expected 'ID | op ...', got {line!r}")
        if int(ident) in out:
            sys.exit(f"{path}:{lineno}: sentence {ident} corrected twice")
        out[int(ident)] = (lineno, ops)
    return out


def read_reviewed(path: Path) -> int | None:
    """N of a ``# reviewed: N`` line (the first N sentences were re-read), None if there is none."""
    found = [int(m.group(1)) for line in path.read_text(encoding="utf-8").splitlines()
             if (m := re.fullmatch(r"#\s*reviewed:\s*(\d+)\s*", line))]
    if len(found) > 1:
        sys.exit(f"{path}: more than one '# reviewed: N' line")
    return found[0] if found else None


def build(sentences: list[corpus.Sentence], corrections: dict[int, tuple[int, list[str]]],
          where: str = "corrections", split: str = "test", reviewed: int | None = None) -> dict:
    """The adjudicated JSON document of ``split`` (train: the first ``reviewed`` sentences re-read)."""
    limit = len(sentences) if reviewed is None else reviewed
    if not 0 <= limit <= len(sentences):
        sys.exit(f"{where}: reviewed {reviewed} out of range (0..{len(sentences)})")
    unknown = sorted(set(corrections) - set(range(limit)))
    if unknown:
        sys.exit(f"{where}: sentence ids out of range (or past 'reviewed: {limit}'): {unknown}")
    changes = Changes()
    rows = []
    for i, sentence in enumerate(sentences):
        spans = [list(s) for s in sentence.gold]
        if i in corrections:
            lineno, ops = corrections[i]
            try:
                spans = apply_ops(sentence.text, spans, ops, changes)
            except ValueError as exc:
                sys.exit(f"{where}:{lineno}: sentence {i}: {exc}\n  {sentence.text}")
            changes.log.append({"sentence": i, "ops": ops})
        rows.append({"text": sentence.text, "entities": spans})
    counts = {
        "sentences": len(rows),
        "sentences_changed": len(changes.log),
        "entities_original": sum(len(s.gold) for s in sentences),
        "entities_adjudicated": sum(len(r["entities"]) for r in rows),
        "added": dict(sorted(changes.added.items())),
        "removed": dict(sorted(changes.removed.items())),
        "retyped": dict(sorted(changes.retyped.items())),
        "rebounded": dict(sorted(changes.rebounded.items())),
        "rebounded_splits": changes.splits,
        "rebounded_merges": changes.merges,
        "log": changes.log,
    }
    if split != "train":  # held-out splits: every sentence re-read
        return {"source": SOURCE.replace("test split", f"{split} split"), "guidelines": GUIDELINES,
                "sentences": rows, "changes": counts}
    source = {"text": TRAIN_SOURCE, "split": split, "sentences": len(rows), "reviewed": limit}
    return {"source": source, "guidelines": GUIDELINES, "sentences": rows, "changes": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=sorted(DEFAULTS), default="test")
    parser.add_argument("corrections", type=Path, nargs="?")
    parser.add_argument("output", type=Path, nargs="?")
    args = parser.parse_args()
    corrections = args.corrections or DEFAULTS[args.split][0]
    output = args.output or DEFAULTS[args.split][1]
    reviewed = read_reviewed(corrections)
    if args.split == "train" and reviewed is None:
        sys.exit(f"{corrections}: the train corrections need a '# reviewed: N' line")
    doc = build(corpus.load("nerugm", args.split), read_corrections(corrections), str(corrections),
                args.split, reviewed)
    output.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    summary = {k: v for k, v in doc["changes"].items() if k != "log"}
    print(f"{output}: {json.dumps(summary)}")


if __name__ == "__main__":
    main()
