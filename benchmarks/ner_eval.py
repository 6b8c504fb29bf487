"""Entity benchmark: F1 per dataset and label on held-out splits, and stage speed.

    .venv/bin/python -m benchmarks.ner_eval [--split test] [--out benchmarks/results/ner_eval.json]

Needs ../shared/data/ner (held-out splits; never used in training). Scores are entity-level,
exact character span and type (PER/ORG/LOC), computed with the stage's own pure function
``find_entities`` (candidate runs + CRF + gazetteer rules), and again with the CRF alone
(``use_rules=False``). English news sentences are scored twice: each sentence alone, and inside
its ScrapingHub article (the stage tags whole bodies and uses the article as context: surname ->
full name, one type per name), keeping the entities that lie inside the sentence. The test split
adds a second English news test set (``ner/newspaper4k_text.py``: newspaper4k's English test
articles, hand-annotated; its text is fetched once from PyPI) and both English sets pooled. Speed: articles of ~3 KB built from held-out sentences (and the seed
samples), CPU-seconds by ``time.process_time``, one process, after loading and with the collector
settings of the stage's workers (``transforms.stage.apply_worker_gc``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional

from benchmarks.report import emit
from ner import newspaper4k_text
from ner.adjudicate_ugm import DEFAULTS as ADJUDICATED
from ner.corpus import DATASETS, Sentence, body_variants, load, load_json, scrapinghub_bodies, sentences_of
from ner.train import EN_NEWS, load_nerp_recased
from schemas.records import Article, Origin, RawArticle
from transforms import entities as ent
from transforms.stage import apply_worker_gc

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "ner_eval.json"
# NER-UGM re-annotated to one guideline, blind to system output (ner/adjudicate_ugm.py writes them)
NERUGM_ADJUDICATED = {split: ADJUDICATED[split][1] for split in ("dev", "test")}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "gold": tp + fn}


def prf_table(tp: Counter[str], fp: Counter[str], fn: Counter[str]) -> dict:
    """P/R/F1 per label and over all labels from per-label counts."""
    out = {label: prf(tp[label], fp[label], fn[label]) for label in ent.LABELS}
    out["all"] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return out


def counts(sentences: list[Sentence], resources: ent.EntityResources, use_rules: bool,
           contexts: Optional[list[Optional[tuple[str, int]]]] = None) -> tuple[Counter[str], ...]:
    """Entity-level true positives, false positives and false negatives per label (P/R/F1: ``prf_table``).
    With ``contexts`` (per sentence: its article text and the sentence's offset in it, or None), the
    stage runs on the whole article, as in the pipeline, and the entities lying inside the sentence are
    scored (shifted to the sentence). The counts of a set are the sums of its sentences' counts."""
    pairs: list[tuple[set, set]] = []
    tagged: dict[str, list] = {}  # article text -> its entities (several sentences per article)
    for i, s in enumerate(sentences):
        gold = set(s.gold)
        context = contexts[i] if contexts is not None else None
        if context is None:
            pred = {(e.start, e.end, e.label) for e in ent.find_entities(s.text, resources, use_rules)}
        else:
            body, offset = context
            if body not in tagged:
                tagged[body] = ent.find_entities(body, resources, use_rules)
            end = offset + len(s.text)
            pred = {(e.start - offset, e.end - offset, e.label) for e in tagged[body] if offset <= e.start and e.end <= end}
        pairs.append((gold, pred))
    return tally(pairs)


# scoring modes of ner_eval's rows: the whole stage and the CRF alone (use_rules)
MODES = (("stage", True), ("crf_only", False))
Counts = tuple[Counter[str], Counter[str], Counter[str]]


def set_counts(sentences: list[Sentence], resources: ent.EntityResources,
               contexts: Optional[list[Optional[tuple[str, int]]]] = None) -> dict[tuple[str, ...], Counts]:
    """``counts`` of each mode: key ``(mode,)`` for the sentences alone and, with ``contexts``,
    ``("in_article", mode)`` for the sentences inside their articles."""
    out = {(mode,): counts(sentences, resources, rules) for mode, rules in MODES}
    if contexts is not None:
        out |= {("in_article", mode): counts(sentences, resources, rules, contexts) for mode, rules in MODES}
    return out


def summed(parts: Iterable[Counts]) -> Counts:
    """Per-label count triples added up (the counts of the parts' sentences together)."""
    total: Counts = (Counter(), Counter(), Counter())
    for part in parts:
        for whole, counter in zip(total, part):
            whole.update(counter)
    return total


def tally(pairs: Iterable[tuple[set, set]]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """True positives, false positives and false negatives per label over (gold, predicted) span sets."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold, pred in pairs:
        for *_, label in pred & gold:
            tp[label] += 1
        for *_, label in pred - gold:
            fp[label] += 1
        for *_, label in gold - pred:
            fn[label] += 1
    return tp, fp, fn


def article_contexts(sentences: list[Sentence], bodies: Optional[Iterable[str]] = None,
                     ) -> list[Optional[tuple[str, int]]]:
    """Each sentence's article body and its offset there (the body as extracted, else with line
    breaks as spaces; the first article containing it; None if none does). ``bodies`` are the
    articles to search, by default every ScrapingHub English news body."""
    bodies = scrapinghub_bodies().values() if bodies is None else bodies
    variants = [v for body in bodies for v in body_variants(body)]
    out: list[Optional[tuple[str, int]]] = []
    for s in sentences:
        found = None
        for body in variants:
            offset = body.find(s.text)
            if offset >= 0:
                found = (body, offset)
                break
        out.append(found)
    return out


def articles_of(sentences: list[Sentence], size: int = 3000) -> list[str]:
    out, cur = [], []
    length = 0
    for s in sentences:
        cur.append(s.text)
        length += len(s.text) + 1
        if length >= size:
            out.append(" ".join(cur)[:size])
            cur, length = [], 0
    return out


def speed(texts: list[str], resources: ent.EntityResources, repeat: int, rounds: int = 5) -> dict[str, float]:
    """The stage's pure function (``extract_entities`` on Article records: tagging, rules,
    canonical names, summary); median CPU time of ``rounds`` rounds of ``repeat`` passes."""
    articles = [Article(id=str(i), origin=Origin(), raw=RawArticle(id=str(i), origin=Origin()), body=t)
                for i, t in enumerate(texts)]
    times = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            for a in articles:
                ent.extract_entities(a, resources)
        times.append(time.process_time() - started)
    cpu = statistics.median(times)
    n = len(texts) * repeat
    return {
        "articles": n,
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "median_cpu_seconds": round(cpu, 3),
        "articles_per_cpu_second": round(n / cpu, 1),
    }


def english_news(size: int = 3000) -> list[str]:
    """English news bodies of the ScrapingHub extraction benchmark (unlabelled), cut to ``size``."""
    return [b[:size] for b in scrapinghub_bodies().values() if len(b) >= size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--model", type=Path, default=ent.MODEL_PATH)
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    resources = ent.load_resources(args.model)
    results: dict = {"split": args.split, "model": str(args.model.relative_to(ROOT)) if args.model.is_relative_to(ROOT) else str(args.model), "f1": {}, "speed": {}}
    cased = load("nergrit", "train") + load("nerugm", "train") + load("wikiann-en", "train")
    extra = [("nerp-recased", "id"), ("en-news-hand", "en")]
    if NERUGM_ADJUDICATED[args.split].exists():
        extra.append(("nerugm-adjudicated", "id"))
    if args.split == "test":  # a test set only (ner/newspaper4k_text.py), then both English sets pooled
        extra += [("en-news-n4k", "en"), ("en-news-pooled", "en")]
    # English news sets scored in their articles: dataset -> (sentences, sentences found, set_counts)
    english: dict[str, tuple[int, int, dict[tuple[str, ...], Counts]]] = {}
    for dataset, lang in [(d, l) for d, (l, _) in DATASETS.items()] + extra:
        if dataset == "en-news-pooled":  # the English sets together: their counts summed, no second pass
            n_sentences = sum(n for n, _found, _c in english.values())
            found = sum(f for _n, f, _c in english.values())
            tallies = {key: summed(c[key] for *_, c in english.values()) for key in next(iter(english.values()))[2]}
        else:
            contexts = None
            if dataset == "nerp-recased":  # NERP with casing restored by rule (ner.corpus.load_recased)
                sentences = load_nerp_recased(args.split, cased)
            elif dataset == "en-news-hand":  # English news sentences annotated for this project (dev/test files)
                en_news = json.loads(EN_NEWS[args.split].read_text(encoding="utf-8"))
                sentences = sentences_of(en_news)
                truth = scrapinghub_bodies()
                contexts = article_contexts(sentences, [truth[k] for k in en_news.get("articles") or truth])
            elif dataset == "en-news-n4k":
                sentences = newspaper4k_text.load_annotations()
                contexts = article_contexts(sentences, newspaper4k_text.articles().values())
            elif dataset == "nerugm-adjudicated":
                sentences = load_json(NERUGM_ADJUDICATED[args.split])
            else:
                sentences = load(dataset, args.split)
            n_sentences = len(sentences)
            found = sum(c is not None for c in contexts) if contexts is not None else 0
            tallies = set_counts(sentences, resources, contexts)
        results["f1"][dataset] = {
            "language": lang,
            "sentences": n_sentences,
            **{mode: prf_table(*tallies[(mode,)]) for mode, _rules in MODES},
        }
        row = results["f1"][dataset]
        print(f"{dataset:11s} {lang}  stage F1 {row['stage']['all']['f1']:.3f}  crf-only {row['crf_only']['all']['f1']:.3f}  "
              + "  ".join(f"{l} {row['stage'][l]['f1']:.3f}" for l in ent.LABELS))
        if ("in_article", "stage") in tallies:  # English news: also each sentence inside its article (document context)
            english[dataset] = (n_sentences, found, tallies)
            row["in_article"] = {
                "sentences_found": found,
                **{mode: prf_table(*tallies[("in_article", mode)]) for mode, _rules in MODES},
            }
            print(f"{dataset:11s} {lang}  in article: stage F1 {row['in_article']['stage']['all']['f1']:.3f}  "
                  f"crf-only {row['in_article']['crf_only']['all']['f1']:.3f}  "
                  f"({row['in_article']['sentences_found']} of {n_sentences} sentences found in their article)")
    id_articles = articles_of(load("nerugm", "test") + load("nergrit", "test"))
    wikiann = articles_of(load("wikiann-en", "test"))[:100]
    seeds = [p.read_text(encoding="utf-8")[:3000] for p in sorted((ROOT / "samples").glob("*.txt"))]
    sets = (
        ("id_heldout_3kb", id_articles, 3),  # NER-UGM + NERGrit test sentences joined into 3 KB articles
        ("en_news_3kb", english_news()[:150], 2),  # ScrapingHub English news bodies, first 3 KB
        ("seeds_3kb", seeds, 60),
        ("wikiann_en_3kb_worst_case", wikiann, 2),  # title fragments: nearly every word capitalised
    )
    apply_worker_gc()  # time the stage with the collector settings its workers run with
    for name, texts, repeat in sets if not args.no_speed else ():
        results["speed"][name] = speed(texts, resources, repeat)
        print(f"speed {name}: {results['speed'][name]}")
    emit(results, args.out, echo=False, indent=1, ensure_ascii=True)
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
