"""Train the spaCy NER candidate for issue #5 (reproducible; not run in CI; needs ../shared/data/ner).

    .venv/bin/python -m ner.spacy_train --lang id     # out/ner_spacy/id/model-best (dev-selected)
    .venv/bin/python -m ner.spacy_train --lang en

Config: ner/spacy_ner.cfg (seed 0), with the per-language overrides below (corpus paths, step cap,
English dev limited to its first 3000 sentences so evaluation does not dominate the CPU budget).
Model selection is on the dev split only (spaCy keeps the best ``ents_f`` checkpoint as
model-best). One thread; CPU time of the run is written to out/ner_spacy/<lang>/train_summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from ner.spacy_data import OUT, build  # noqa: E402

CONFIG = Path(__file__).resolve().parent / "spacy_ner.cfg"

# Step caps keep each run at about 15 CPU-minutes on this machine (measured ~0.1 CPU-s per step).
OVERRIDES = {
    "id": {"training.max_steps": 6000},
    "en": {"training.max_steps": 6000, "corpora.dev.limit": 3000},
}


def train(lang: str, config: Path = CONFIG, extra: dict | None = None) -> dict:
    from spacy.cli.train import train as spacy_train

    corpus = OUT / "corpus"
    for split in ("train", "dev"):
        if not (corpus / f"{lang}_{split}.spacy").exists():
            build(lang, split, corpus)
    overrides = {
        "nlp.lang": lang,
        "paths.train": str(corpus / f"{lang}_train.spacy"),
        "paths.dev": str(corpus / f"{lang}_dev.spacy"),
        **OVERRIDES[lang],
        **(extra or {}),
    }
    out = OUT / lang
    started = time.process_time()
    spacy_train(config, out, use_gpu=-1, overrides=overrides)
    cpu = time.process_time() - started
    meta = json.loads((out / "model-best" / "meta.json").read_text())
    summary = {
        "lang": lang,
        "config": str(config.name),
        "overrides": overrides,
        "train_cpu_seconds": round(cpu, 1),
        "dev_scores": meta.get("performance", {}),
        "model_best_mb": round(sum(p.stat().st_size for p in (out / "model-best").rglob("*") if p.is_file()) / 1e6, 2),
    }
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("id", "en"), required=True)
    parser.add_argument("--max-steps", type=int, help="override the step cap (e.g. a short trial run)")
    args = parser.parse_args()
    extra = {"training.max_steps": args.max_steps} if args.max_steps else None
    print(json.dumps(train(args.lang, extra=extra), indent=1))


if __name__ == "__main__":
    main()
