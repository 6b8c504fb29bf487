"""Where the entity stage's time goes, and what the alternatives would cost (speed only).

    .venv/bin/python -m benchmarks.ner_speed_choices            # held-out text (needs ../shared)
    .venv/bin/python -m benchmarks.ner_speed_choices --corpus   # the throughput benchmark's corpus

Texts: held-out Indonesian sentences joined into 3 KB articles + 3 KB English news bodies
(../shared), or with ``--corpus`` the synthetic corpus of ``benchmarks.run`` (seed 7, 2,000
articles) taken through the stages before entities, as the pipeline feeds them. CPU ms per article
(``time.process_time``, median of 3 rounds, one core, with the collector settings of the stage's
workers, ``transforms.stage.apply_worker_gc``) for: the whole stage function
(``extract_entities``: tagging, rules, canonical names, summary) once with its caches emptied before
each pass, then warm, and ``find_entities``;
its parts (candidate runs, context words + CRF features, CRF tagging); and, unless
``--no-alternatives``, the same CRF and features run over *every* token instead of candidate runs
and spaCy's default ``tok2vec`` + ``ner`` pipeline (blank English, untrained weights: speed only,
its F1 was not measured). The stage keeps bounded per-worker caches (run texts, words, mentions):
the cold figure is a worker's first pass over unseen text, the warm one a worker that has seen
these texts (an upper bound for a real stream, where names and words recur but texts do not).
"""

from __future__ import annotations

import argparse
import copy
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from transforms import entities as ent
from transforms.stage import apply_worker_gc

_TOKEN = re.compile(r"\w+(?:[-'’.](?!s\b)\w+)*|[^\w\s]")


def per_article(fn: Callable[[], object], n: int, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times) / n * 1e3


def _fresh(run: ent.Run) -> ent.Run:
    """A copy of a run as :func:`ent.candidate_runs` makes it, its context words not yet computed
    (``_tokens`` and ``_context`` are the run's only lazily computed slots)."""
    fresh = copy.copy(run)
    fresh._tokens = fresh._context = None
    return fresh


def every_token_runs(text: str, tables: ent.Tables) -> list[ent.Run]:
    """All tokens of each line as runs (at most 40 tokens), for the every-token comparison."""
    runs = []
    for line in text.split("\n"):
        tokens = [ent.Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(line)]
        for k in range(0, len(tokens), 40):
            part = tokens[k : k + 40]
            runs.append(ent.Run.from_tokens(line, part, k == 0, ent.gazetteer_tags([t.text for t in part], tables), tables))
    return runs


def heldout_texts() -> list[tuple[str, str]]:
    from benchmarks.ner_eval import articles_of, english_news
    from ner.corpus import load

    return ([("id", t) for t in articles_of(load("nerugm", "test") + load("nergrit", "test"))]
            + [("en", t) for t in english_news()[:100]])


def corpus_texts(n: int = 2000, seed: int = 7) -> list[tuple[str, str]]:
    """(language, body) of the benchmark corpus after the stages before entities."""
    from benchmarks.corpus import write_corpus
    from benchmarks.run import enrichment_dofns, stage_from_dofn
    from transforms.file_io import read_file
    from transforms.parse import DEFAULT_MAX_BYTES

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        write_corpus(path, n, seed)
        elements = list(read_file(str(path), DEFAULT_MAX_BYTES))
    for dofn in enrichment_dofns(DEFAULT_MAX_BYTES):
        if dofn.stage == ent.STAGE:
            break
        stage = stage_from_dofn(dofn)
        elements = [e for e in stage.run(elements) if not isinstance(e, BaseException)]
    return [(a.language, a.body) for a in elements]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="the benchmark corpus instead of held-out text")
    parser.add_argument("--no-alternatives", action="store_true", help="skip the every-token CRF and spaCy rows")
    args = parser.parse_args(argv)
    from schemas.records import Article, Origin, RawArticle

    pairs = corpus_texts() if args.corpus else heldout_texts()
    texts = [t for _, t in pairs]
    articles = [Article(id=str(i), origin=Origin(), raw=RawArticle(id=str(i), origin=Origin()), body=t, language=lang)
                for i, (lang, t) in enumerate(pairs)]
    res = ent.load_resources()
    apply_worker_gc()  # the collector settings the stage's workers run with after set-up
    tables = res.tables
    n = len(texts)
    rows = {}
    cold = []
    for _ in range(3):  # the caches filled only by the timed pass itself (each text seen once)
        ent.clear_caches(tables)
        cold.append(per_article(lambda: [ent.extract_entities(a, res) for a in articles], n, 1))
    rows["extract_entities, caches emptied first (one pass)"] = statistics.median(cold)
    rows["extract_entities (the stage function)"] = per_article(lambda: [ent.extract_entities(a, res) for a in articles], n)
    rows["find_entities"] = per_article(lambda: [ent.find_entities(t, res) for t in texts], n)
    rows["  candidate runs"] = per_article(lambda: [ent.candidate_runs(t, tables) for t in texts], n)
    runs = [[r for r in ent.candidate_runs(t, tables) if r.known is None] for t in texts]
    rows["  context words + CRF features (runs needing the model)"] = per_article(
        lambda: [[ent.run_features(_fresh(r), tables) for r in rs] for rs in runs], n)
    feats = [[ent.run_features(r, tables) for r in rs] for rs in runs]
    rows["  CRF tagging"] = per_article(lambda: [[res.tagger.tag(f) for f in fs] for fs in feats], n)
    if not args.no_alternatives:
        rows["alternative: same CRF over every token"] = per_article(
            lambda: [res.tagger.tag(ent.run_features(r, tables)) for t in texts for r in every_token_runs(t, tables)],
            n, 1)
        import spacy

        nlp = spacy.blank("en")
        ner = nlp.add_pipe("ner")
        for label in ent.LABELS:
            ner.add_label(label)
        nlp.initialize()
        rows["alternative: spaCy tok2vec+ner (default config)"] = per_article(
            lambda: list(nlp.pipe(texts, batch_size=64)), n, 1)
    print(f"{n} articles ({'benchmark corpus' if args.corpus else 'held-out text'}, "
          f"mean {sum(map(len, texts)) / n:,.0f} characters)")
    for name, ms in rows.items():
        print(f"{name:58s} {ms:7.3f} ms/article  {1000 / ms:7.0f} articles/CPU-s")


if __name__ == "__main__":
    main()
