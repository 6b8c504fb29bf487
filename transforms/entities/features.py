"""CRF features of a candidate run's tokens (word, shape, context, title, gazetteer, word-cluster and
English Brown-cluster features) and the per-worker feature caches."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from transforms.entities.candidates import Run, _context_word
from transforms.entities.tables import WORD_CACHE_SIZE, Tables, cache_store


_NO_CLUSTER = ("-", "-")


def clear_caches(tables: Tables) -> None:
    """Empty the per-worker caches (results are the same with or without them)."""
    for cache in (tables.word_features, tables.run_pieces, tables.mentions, tables.span_facts):
        cache.clear()
    _shape.cache_clear()
    _context_word.cache_clear()
    _run_level_features.cache_clear()


@lru_cache(maxsize=1 << 15)
def _shape(word: str) -> str:
    out = []
    for ch in word[:6]:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


@lru_cache(maxsize=10_000)
def _run_level_features(gaz: tuple[str, ...], runlc: str) -> tuple[tuple[str, ...], ...]:
    """Per token: the features that depend only on the run's gazetteer tags and its count of
    common words (runlc=, n=, pos=, g=, g-1=, g+1=); few distinct ones occur, so kept (bounded)."""
    n = len(gaz)
    padded = ("^", *gaz, "$")
    shared = ("runlc=" + runlc, "n=" + str(min(n, 4)))
    positions = ("pos=S",) if n == 1 else ("pos=F",) + ("pos=M",) * (n - 2) + ("pos=L",)
    return tuple(
        (*shared, positions[i], "g=" + padded[i + 1], "g-1=" + padded[i], "g+1=" + padded[i + 2]) for i in range(n)
    )


def run_features(run: Run, tables: Tables) -> list[list[str]]:
    """CRF features for each token of a run (strings; crfsuite weights them 1.0)."""
    cache = tables.word_features
    infos = [cache.get(w) or _word_info(w, tables) for w in run.words]
    n = len(infos)
    left, right = run._words()
    context = ["^", "^", *left, *[info[0] for info in infos], *right, "$", "$"]
    offset = len(left) + 2
    common = 0
    for info in infos:
        common += info[1]
    runlc = "0" if not common else "all" if common == n else "some"
    gaz = tuple(run.gaz)
    static = _run_level_features(gaz, runlc)
    feats: list[list[str]] = []
    c = offset
    for info, fixed in zip(infos, static):
        lw, prev, nxt = context[c], context[c - 1], context[c + 1]
        feats.append([
            *info[2],
            *fixed,
            "-1=" + prev,
            "+1=" + nxt,
            "-2=" + context[c - 2],
            "+2=" + context[c + 2],
            "-1w=" + prev + "|" + lw,
            "w+1=" + lw + "|" + nxt,
        ])
        c += 1
    if not feats:
        return feats
    first = feats[0]
    if run.sentence_start:
        first.append("sent")
        if infos[0][1]:
            first.append("lc_sent")
    if _title_before(context, offset, tables):  # titles inside runs were cut out
        first.append("title")
    return feats


def _word_info(word: str, tables: Tables) -> tuple[str, bool, tuple[str, ...]]:
    """(casefolded word, a common lower-case word?, features of the word itself); cached per
    worker, bounded."""
    lw = word.casefold()
    common = lw in tables.lowercase_words
    feats = ("w=" + lw, "s3=" + lw[-3:], "s4=" + lw[-4:], "p3=" + lw[:3], "sh=" + _shape(word[:6]))
    if common:
        feats += ("lc",)
    if lw in tables.not_entities:
        feats += ("ne",)
    coarse, fine = tables.clusters.get(lw, _NO_CLUSTER)
    feats += ("c=" + coarse, "cc=" + fine, *_brown_features(word, tables))
    info = (lw, common, feats)
    cache_store(tables.word_features, word, info, WORD_CACHE_SIZE, 40)
    return info


def _brown_features(word: str, tables: Tables) -> tuple[str, ...]:
    """Brown-cluster path prefixes and the capitalisation odds of an English word form (an
    all-capital word missing from the table is looked up in title case: "ROTTERDAM")."""
    feats = tables.brown.get(word)
    if feats is None and word.isupper():
        feats = tables.brown.get(word[:1] + word[1:].lower())
    return feats or ()


def _title_before(context: Sequence[str], c: int, tables: Tables) -> bool:
    if context[c - 1] not in tables.title_last_words:
        return False
    for k in range(1, min(tables.title_max_words, c) + 1):
        if " ".join(context[c - k : c]) in tables.titles:
            return True
    return False
