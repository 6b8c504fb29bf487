"""Issue #5 model choice: the shipped CRF stage vs a spaCy NER trained from scratch (F1 and CPU speed).

    .venv/bin/python -m ner.spacy_data && .venv/bin/python -m ner.spacy_train --lang id \\
        && .venv/bin/python -m ner.spacy_train --lang en          # models in out/ner_spacy (gitignored)
    .venv/bin/python -m benchmarks.ner_model_choice [--split test] [--out benchmarks/results/ner_model_choice.json]

Needs ../shared (held-out splits, read exactly as ``benchmarks.ner_eval`` reads them) and the trained
models. Scores are entity-level, exact character span and type (PER/ORG/LOC), for:

- ``crf_stage``: the stage's pure function ``find_entities`` (candidate runs + CRF + gazetteer rules);
- ``spacy``: the spaCy pipeline of the sentence's language (``out/ner_spacy/<lang>/model-best``) on the
  raw sentence text (spaCy's own tokenizer);
- ``spacy_candidates``: spaCy run only on sentences with a capitalised non-initial word (the cheap
  mode measured for speed; other sentences get no entities);
- ``agree``: spans both systems return (same span and type); ``union``: the CRF stage's spans plus
  spaCy spans that overlap none of them.

Speed: articles of ~3 KB (held-out Indonesian sentences joined; ScrapingHub English news bodies; the
seed samples), CPU-seconds by ``time.process_time``, one thread, after loading, median of 3 rounds.
spaCy is timed as ``nlp.pipe`` over the whole text and over candidate sentences only (sentence
splitting and the filter included); the CRF as ``find_entities`` (tagging + rules, no summary).
A narrower untrained spaCy (width 64, depth 2) is timed too: speed depends on the architecture only.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Iterable  # noqa: E402

import spacy  # noqa: E402

from benchmarks.ner_eval import articles_of, english_news, prf_table, tally  # noqa: E402
from benchmarks.report import emit  # noqa: E402
from ner.corpus import Sentence, load, load_json  # noqa: E402
from ner.train import EN_NEWS  # noqa: E402
from ner.spacy_data import OUT, cased_training_sentences, sentences as load_sentences  # noqa: E402
from ner.spacy_train import CONFIG  # noqa: E402
from transforms import entities as ent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "ner_model_choice.json"
LABELS = ent.LABELS
# dataset -> language; NERP is scored recased only (raw NERP is all lower case: 0 for every system)
DATASETS = {"nerugm": "id", "nergrit": "id", "nerp-recased": "id", "wikiann-en": "en", "en-news-hand": "en"}

Span = tuple[int, int, str]
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+|\n+")


def score(gold: list[set[Span]], pred: list[set[Span]]) -> dict:
    return prf_table(*tally(zip(gold, pred)))


def is_candidate(sentence: str) -> bool:
    """True if a word after the first starts with a capital (a name can only hide there or first)."""
    words = sentence.split()
    return any(w[:1].isupper() for w in words[1:])


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of ``text``: cut after . ! ? + space, and at newlines."""
    out, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            out.append((pos, text[pos : m.start()]))
        pos = m.end()
    if pos < len(text):
        out.append((pos, text[pos:]))
    return out


def spacy_spans(nlp, texts: list[str]) -> list[set[Span]]:
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS}
            for doc in nlp.pipe(texts, batch_size=256)]


def spacy_candidate_entities(nlp, texts: list[str]) -> list[set[Span]]:
    """spaCy over candidate sentences only, spans mapped back to offsets in each text."""
    pieces = [(i, off, s) for i, t in enumerate(texts) for off, s in split_sentences(t) if is_candidate(s)]
    out: list[set[Span]] = [set() for _ in texts]
    for (i, off, _), doc in zip(pieces, nlp.pipe((s for *_, s in pieces), batch_size=256)):
        out[i].update((off + e.start_char, off + e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS)
    return out


def crf_spans(texts: Iterable[str], resources: ent.EntityResources) -> list[set[Span]]:
    return [{(e.start, e.end, e.label) for e in ent.find_entities(t, resources, True)} for t in texts]


def union(crf: set[Span], sp: set[Span]) -> set[Span]:
    return crf | {s for s in sp if not any(s[0] < c[1] and c[0] < s[1] for c in crf)}


def load_models() -> dict[str, object]:
    return {lang: spacy.load(OUT / lang / "model-best") for lang in ("id", "en")}


def narrow_untrained(lang: str):
    """Same pipeline with width 64, depth 2, untrained weights (speed only)."""
    config = spacy.util.load_config(CONFIG, overrides={
        "nlp.lang": lang, "components.tok2vec.model.encode.width": 64, "components.tok2vec.model.encode.depth": 2})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    ner = nlp.get_pipe("ner")
    for label in LABELS:
        ner.add_label(label)
    nlp.initialize()
    return nlp


def cpu_median(fn: Callable[[], object], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times)


def speed_row(n: int, cpu: float) -> dict[str, float]:
    return {"median_cpu_seconds": round(cpu, 3), "articles_per_cpu_second": round(n / cpu, 1)}


def evaluate(split: str, models: dict, resources: ent.EntityResources) -> dict:
    cased = cased_training_sentences()
    results = {}
    for dataset, lang in DATASETS.items():
        if dataset == "en-news-hand":
            if split != "test":  # kept as measured when the spaCy comparison was made
                continue
            sents: list[Sentence] = load_json(EN_NEWS["test"])
        else:
            sents = load_sentences(dataset, split, cased)
        texts = [s.text for s in sents]
        gold = [set(s.gold) for s in sents]
        crf = crf_spans(texts, resources)
        sp = spacy_spans(models[lang], texts)
        sp_cand = [p if is_candidate(t) else set() for t, p in zip(texts, sp)]
        results[dataset] = {
            "language": lang,
            "sentences": len(sents),
            "crf_stage": score(gold, crf),
            "spacy": score(gold, sp),
            "spacy_candidates": score(gold, sp_cand),
            "agree": score(gold, [c & s for c, s in zip(crf, sp)]),
            "union": score(gold, [union(c, s) for c, s in zip(crf, sp)]),
        }
        r = results[dataset]
        print(f"{dataset:13s} {lang} n={len(sents):5d}  " + "  ".join(
            f"{k} {r[k]['all']['f1']:.3f}" for k in ("crf_stage", "spacy", "spacy_candidates", "agree", "union")), flush=True)
    return results


def speed(models: dict, resources: ent.EntityResources) -> dict:
    sets = {
        "id_heldout_3kb": ("id", articles_of(load("nerugm", "test") + load("nergrit", "test"))),
        "en_news_3kb": ("en", english_news()[:150]),
        "seeds_3kb": ("id", [p.read_text(encoding="utf-8")[:3000] for p in sorted((ROOT / "samples").glob("*.txt"))]),
    }
    narrow = {lang: narrow_untrained(lang) for lang in ("id", "en")}
    out = {}
    for name, (lang, texts) in sets.items():
        reps = max(1, 100 // len(texts))
        batch = texts * reps
        n = len(batch)
        nlp = models[lang]
        row = {"articles": n, "mean_chars": round(sum(map(len, batch)) / n)}
        row["crf_stage_find_entities"] = speed_row(n, cpu_median(lambda: crf_spans(batch, resources)))
        row["spacy_full"] = speed_row(n, cpu_median(lambda: spacy_spans(nlp, batch)))
        row["spacy_candidate_sentences"] = speed_row(n, cpu_median(lambda: spacy_candidate_entities(nlp, batch)))
        row["spacy_w64d2_untrained_full"] = speed_row(n, cpu_median(lambda: spacy_spans(narrow[lang], batch)))
        row["spacy_w64d2_untrained_candidates"] = speed_row(
            n, cpu_median(lambda: spacy_candidate_entities(narrow[lang], batch)))
        pieces = [s for t in batch for _, s in split_sentences(t)]
        row["candidate_sentence_share"] = round(sum(map(is_candidate, pieces)) / max(1, len(pieces)), 3)
        out[name] = row
        print(f"speed {name}: " + "  ".join(
            f"{k} {v['articles_per_cpu_second']}/s" for k, v in row.items() if isinstance(v, dict))
            + f"  candidate share {row['candidate_sentence_share']}", flush=True)
    return out


def sizes() -> dict:
    out = {"crf_model_mb": round(ent.MODEL_PATH.stat().st_size / 1e6, 2)}
    for lang in ("id", "en"):
        d = OUT / lang / "model-best"
        out[f"spacy_{lang}_model_mb"] = round(sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) / 1e6, 2)
        summary = OUT / lang / "train_summary.json"
        if summary.exists():
            s = json.loads(summary.read_text())
            out[f"spacy_{lang}_train_cpu_seconds"] = s["train_cpu_seconds"]
            out[f"spacy_{lang}_dev_ents_f"] = s["dev_scores"].get("ents_f")
    return out


def table(results: dict) -> str:
    lines = ["| dataset | label | CRF stage | spaCy | spaCy cand. | agree | union |", "|---|---|---|---|---|---|---|"]
    for dataset, r in results["f1"].items():
        for label in (*LABELS, "all"):
            lines.append(f"| {dataset} | {label} | " + " | ".join(
                f"{r[k][label]['f1']:.3f}" for k in ("crf_stage", "spacy", "spacy_candidates", "agree", "union")) + " |")
    lines += ["", "| articles (3 KB) | CRF stage fn | spaCy full | spaCy cand. | w64d2 full | w64d2 cand. | cand. share |",
              "|---|---|---|---|---|---|---|"]
    for name, row in results["speed"].items():
        lines.append(f"| {name} | " + " | ".join(str(row[k]["articles_per_cpu_second"]) for k in (
            "crf_stage_find_entities", "spacy_full", "spacy_candidate_sentences", "spacy_w64d2_untrained_full",
            "spacy_w64d2_untrained_candidates")) + f" | {row['candidate_sentence_share']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    resources = ent.load_resources()
    models = load_models()
    results = {"split": args.split, "sizes": sizes(), "f1": evaluate(args.split, models, resources), "speed": {}}
    if not args.no_speed:
        results["speed"] = speed(models, resources)
    emit(results, args.out, echo=False, indent=1, ensure_ascii=True)
    print(table(results))
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
