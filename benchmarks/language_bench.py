"""Language tagging: accuracy per language and speed, langdetect alone vs the project's combination.

Accuracy: the news-style sentences in ``tests/fixtures/language/`` (one file per
language, written for the project; ``short/`` holds shorter headline-like ones).
Speed: ~3 KB articles assembled from those sentences (one language per article,
lines of 2-4 sentences) plus the five seeds in ``samples/``; CPU seconds from
``time.process_time`` after warm-up, detectors built beforehand.

    .venv/bin/python -m benchmarks.language_bench            # prints a table
    .venv/bin/python -m benchmarks.language_bench --write    # also benchmarks/results/language_bench.json
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import emit  # noqa: E402
from transforms.language import detect_language, load_detectors  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "language"
RESULTS = ROOT / "benchmarks" / "results" / "language_bench.json"
ARTICLE_CHARS = 3000


def load_sentences(folder: Path) -> dict[str, list[str]]:
    return {
        path.stem: [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in sorted(folder.glob("*.txt"))
        if path.stem != "und"
    }


def build_articles(sentences: dict[str, list[str]], per_language: int = 10, seed: int = 7) -> list[tuple[str, str]]:
    """(language, ~3 KB text) pairs: shuffled sentences of one language in short paragraphs."""
    rng = random.Random(seed)
    articles = []
    for code, pool in sentences.items():
        for _ in range(per_language):
            lines, size = [], 0
            while size < ARTICLE_CHARS:
                paragraph = " ".join(rng.sample(pool, rng.randint(2, 4)))
                lines.append(paragraph)
                size += len(paragraph) + 1
            articles.append((code, "\n".join(lines)[:ARTICLE_CHARS]))
    return articles


def langdetect_alone() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def detect(text: str) -> str:
        try:
            return detect_langs(text)[0].lang.split("-")[0]
        except LangDetectException:
            return "und"

    return detect


def combined() -> Callable[[str], str]:
    detectors = load_detectors().preload()  # the lazily built parts too, so they count as build time
    return lambda text: detect_language(text, detectors).language


def accuracy(detect: Callable[[str], str], sentences: dict[str, list[str]]) -> dict[str, float]:
    return {code: sum(detect(s) == code for s in pool) / len(pool) for code, pool in sentences.items()}


def throughput(detect: Callable[[str], str], texts: list[str], min_cpu: float = 2.0) -> float:
    """Texts per CPU-second (repeats the list until ``min_cpu`` seconds were spent)."""
    for text in texts[:5]:
        detect(text)
    done, started = 0, time.process_time()
    while True:
        for text in texts:
            detect(text)
        done += len(texts)
        spent = time.process_time() - started
        if spent >= min_cpu:
            return done / spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    sets = {"sentences": load_sentences(FIXTURES), "short": load_sentences(FIXTURES / "short")}
    articles = build_articles(sets["sentences"])
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.txt"))]
    article_texts = [text for _, text in articles] + seeds
    started = time.process_time()
    detectors = {"langdetect": langdetect_alone(), "combined": combined()}
    build_cpu = time.process_time() - started
    report: dict = {"articles": len(article_texts), "mean_article_chars": round(
        sum(map(len, article_texts)) / len(article_texts)), "detector_build_cpu_s": round(build_cpu, 2)}
    for name, detect in detectors.items():
        entry: dict = {}
        for set_name, sentences in sets.items():
            per_language = accuracy(detect, sentences)
            others = [v for k, v in per_language.items() if k not in ("id", "en", "ms")]
            entry[set_name] = {
                "per_language": {k: round(v, 4) for k, v in per_language.items()},
                "others_mean": round(sum(others) / len(others), 4),
                "n": sum(map(len, sentences.values())),
            }
        entry["article_accuracy"] = round(sum(detect(text) == code for code, text in articles) / len(articles), 4)
        entry["sentences_per_cpu_s"] = round(throughput(detect, [s for p in sets["sentences"].values() for s in p]))
        entry["articles_per_cpu_s"] = round(throughput(detect, article_texts))
        entry["ms_per_article"] = round(1000 / entry["articles_per_cpu_s"], 3)
        report[name] = entry
    report["speedup_articles"] = round(report["combined"]["articles_per_cpu_s"] / report["langdetect"]["articles_per_cpu_s"], 1)
    report["speedup_sentences"] = round(report["combined"]["sentences_per_cpu_s"] / report["langdetect"]["sentences_per_cpu_s"], 1)
    print(format_report(report))
    if args.write:
        emit(report, RESULTS, echo=False)
    return 0


def format_report(report: dict) -> str:
    codes = list(report["combined"]["sentences"]["per_language"])
    lines = [f"{'':26}" + "".join(f"{c:>6}" for c in codes) + "  others"]
    for name in ("langdetect", "combined"):
        for set_name in ("sentences", "short"):
            entry = report[name][set_name]
            lines.append(f"{name + ' ' + set_name + ' (' + str(entry['n']) + ')':26}"
                         + "".join(f"{entry['per_language'][c]:6.2f}" for c in codes) + f"  {entry['others_mean']:.3f}")
    for name in ("langdetect", "combined"):
        e = report[name]
        lines.append(f"{name}: {e['articles_per_cpu_s']} articles/CPU-s ({e['ms_per_article']} ms per "
                     f"{report['mean_article_chars']}-char article), {e['sentences_per_cpu_s']} sentences/CPU-s, "
                     f"article accuracy {e['article_accuracy']:.3f}")
    lines.append(f"speed-up: {report['speedup_articles']}x on articles, {report['speedup_sentences']}x on sentences; "
                 f"detectors built in {report['detector_build_cpu_s']} CPU-s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
