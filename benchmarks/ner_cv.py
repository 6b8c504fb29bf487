"""Cross-validated English news F1 of the entity stage: a larger signal than the 182 dev sentences.

    .venv/bin/python -m benchmarks.ner_cv [--folds 5] [--weight en-written=2 ...] [--out FILE]

Needs ../shared (training data, ScrapingHub bodies). The 1,130 hand-annotated English news train
sentences (``benchmarks/data/en_news_train.json``, in file order, so an article's sentences stay
together) are cut into ``--folds`` contiguous blocks; for each block the CRF is trained on every
training set without that block (``ner.train.train``, weights from ``ner/config.json`` or
``--weight``) into a temporary copy of the data directory, and the whole stage is scored on the
block: each sentence alone and inside its ScrapingHub article. Counts are pooled over the folds.
Neither the dev nor the test sentences are read. The ScrapingHub bodies still feed the lower-case
word list (unlabelled text, as in training), so a held-out block's words may count there.
It retrains the CRF once per fold (~30 CPU-s each); not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.ner_eval import article_contexts, counts, prf_table
from benchmarks.report import emit
from ner.corpus import load_json
from ner.train import CONFIG, EN_NEWS, train
from transforms import entities as ent

RESULTS = Path(__file__).resolve().parent / "results" / "ner_cv.json"


def folds(n_sentences: int, k: int) -> list[range]:
    """``k`` contiguous blocks covering ``range(n_sentences)``, sizes differing by at most one."""
    bounds = [n_sentences * i // k for i in range(k + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


def cross_validate(config: dict, k: int) -> dict:
    sentences = load_json(EN_NEWS["train"])
    contexts = article_contexts(sentences)
    pooled = {mode: (Counter(), Counter(), Counter()) for mode in ("alone", "in_article")}
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ent.DATA_DIR.parent, Path(tmp) / "data")  # load_tables also reads files beside entities/
        data_dir, model = Path(tmp) / "data" / ent.DATA_DIR.name, Path(tmp) / "model.crfsuite"
        for block in folds(len(sentences), k):
            held = [sentences[i] for i in block]
            print(train(config, model, data_dir, frozenset(s.text for s in held)), flush=True)
            resources = ent.load_resources(model, data_dir)  # the tables train() built for this fold
            for mode, ctx in (("alone", None), ("in_article", [contexts[i] for i in block])):
                for total, part in zip(pooled[mode], counts(held, resources, True, ctx)):
                    total.update(part)
    ent.load_tables.cache_clear()
    return {
        "folds": k,
        "sentences": len(sentences),
        "found_in_article": sum(c is not None for c in contexts),
        "train_weights": config["train"],
        "cpu_seconds": round(time.process_time() - started, 1),
        **{mode: prf_table(*c) for mode, c in pooled.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--weight", action="append", default=[], metavar="DATASET=W",
                        help="override a training set's weight (0 leaves it out)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    config = json.loads(args.config.read_text())
    for item in args.weight:
        dataset, _, weight = item.partition("=")
        config["train"][dataset] = int(weight)
    config["train"] = {d: w for d, w in config["train"].items() if w > 0}
    result = cross_validate(config, args.folds)
    emit(result, args.out, echo=False, indent=1, ensure_ascii=True)
    for mode in ("alone", "in_article"):
        table = result[mode]
        print(f"{mode:10s} F1 {table['all']['f1']:.3f}  "
              + "  ".join(f"{label} {table[label]['f1']:.3f}" for label in ent.LABELS)
              + f"  (gold {table['all']['gold']})")
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
