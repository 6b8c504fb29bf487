"""Where the entity stage's time goes, and what the alternatives would cost (speed only).

    .venv/bin/python -m benchmarks.ner_speed_choices

Needs ../shared (held-out Indonesian sentences joined into 3 KB articles + 3 KB English news
bodies). CPU ms per article (``time.process_time``, median of 3 rounds, one core) for: the whole
``find_entities``; its parts (candidate runs, CRF features, CRF tagging); the same CRF and features
run over *every* token instead of candidate runs; and spaCy's default ``tok2vec`` + ``ner`` pipeline
(blank English, untrained weights: speed only, its F1 was not measured).
"""

from __future__ import annotations

import re
import time
from typing import Callable

from benchmarks.ner_eval import articles_of, english_news
from ner.corpus import load
from transforms import entities as ent

_TOKEN = re.compile(r"\w+(?:[-'’.](?!s\b)\w+)*|[^\w\s]")


def per_article(fn: Callable[[], object], n: int, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return sorted(times)[len(times) // 2] / n * 1e3


def every_token_runs(text: str, tables: ent.Tables) -> list[ent.Run]:
    """All tokens of each line as runs (at most 40 tokens), for the every-token comparison."""
    runs = []
    for line in text.split("\n"):
        tokens = [ent.Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(line)]
        for k in range(0, len(tokens), 40):
            part = tokens[k : k + 40]
            runs.append(ent.Run(line, part, k == 0, ent.gazetteer_tags([t.text for t in part], tables)))
    return runs


def main() -> None:
    res = ent.load_resources()
    tables = res.tables
    texts = articles_of(load("nerugm", "test") + load("nergrit", "test")) + english_news()[:100]
    n = len(texts)
    rows = {"find_entities (whole stage function)": per_article(lambda: [ent.find_entities(t, res) for t in texts], n)}
    rows["  candidate runs"] = per_article(lambda: [ent.candidate_runs(t, tables) for t in texts], n)
    runs = [[r for r in ent.candidate_runs(t, tables) if r.known is None] for t in texts]
    rows["  CRF features (runs needing the model)"] = per_article(
        lambda: [[ent.run_features(r, tables) for r in rs] for rs in runs], n)
    feats = [[ent.run_features(r, tables) for r in rs] for rs in runs]
    rows["  CRF tagging"] = per_article(lambda: [[res.tagger.tag(f) for f in fs] for fs in feats], n)
    rows["alternative: same CRF over every token"] = per_article(
        lambda: [res.tagger.tag(ent.run_features(r, tables)) for t in texts for r in every_token_runs(t, tables)], n, 1)
    import spacy

    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    for label in ent.LABELS:
        ner.add_label(label)
    nlp.initialize()
    rows["alternative: spaCy tok2vec+ner (default config)"] = per_article(lambda: list(nlp.pipe(texts, batch_size=64)), n, 1)
    print(f"{n} articles of ~3 KB")
    for name, ms in rows.items():
        print(f"{name:50s} {ms:7.2f} ms/article  {1000 / ms:7.0f} articles/CPU-s")


if __name__ == "__main__":
    main()
