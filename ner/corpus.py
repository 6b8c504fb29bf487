"""Read the shared NER corpora (token<TAB>tag, blank line between sentences) as text + gold spans.

Tokens are joined with single spaces, so gold entities become character spans that can be
compared with any tokenisation. Each dataset's tags are mapped onto PER/ORG/LOC; other types
(NERP's EVT/FNB, NER-UGM's QUANTITY/TIME) become O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ner"
# The ScrapingHub article-extraction benchmark: English news pages and their bodies ({key: {"articleBody", "url"}})
SCRAPINGHUB_TRUTH = SHARED.parent / "html-extraction" / "scrapinghub" / "ground-truth.json"
BENCH_DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
EN_NEWS_GOLD = BENCH_DATA / "en_news_gold.json"  # the English news test sentences: never trained on

LABELS = ("PER", "ORG", "LOC")  # every data set's tags are mapped onto these (LABEL_MAP), hand annotations use them
LABEL_MAP = {
    "PERSON": "PER", "PER": "PER", "PPL": "PER",
    "ORGANISATION": "ORG", "ORGANIZATION": "ORG", "ORG": "ORG", "IND": "ORG",
    "PLACE": "LOC", "LOCATION": "LOC", "LOC": "LOC", "PLC": "LOC",
}

# dataset -> (language, {split: file name}); NERP is lower-cased news (see README).
DATASETS = {
    "nergrit": ("id", {"train": "train.tsv", "dev": "valid.tsv", "test": "test.tsv"}),
    "nerugm": ("id", {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"}),
    "nerp": ("id", {"train": "train.tsv", "dev": "valid.tsv", "test": "test.tsv"}),
    "wikiann-en": ("en", {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"}),
}


@dataclass(frozen=True)
class Sentence:
    text: str
    gold: tuple[tuple[int, int, str], ...]  # (start, end, label) character spans


def parse_tsv(lines: list[str]) -> list[Sentence]:
    return [_sentence(words, tags) for words, tags in tagged_sentences(lines)]


def tagged_sentences(lines: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """(words, tags) of each sentence of ``token<TAB>tag`` lines (blank line between sentences)."""
    words: list[str] = []
    tags: list[str] = []
    for line in lines + [""]:
        line = line.rstrip("\n")
        if not line.strip():
            if words:
                yield words, tags
                words, tags = [], []
            continue
        word, _, tag = line.partition("\t")
        words.append(word)
        tags.append(tag.strip() or "O")


def _sentence(words: list[str], tags: list[str]) -> Sentence:
    spans: list[tuple[int, int, str]] = []
    pos, cur = 0, None
    for word, tag in zip(words, tags):
        kind = LABEL_MAP.get(tag[2:]) if tag[:2] in ("B-", "I-") else None
        if cur is not None and (kind is None or tag.startswith("B-") or kind != cur[2]):
            spans.append(tuple(cur))
            cur = None
        if kind is not None:
            if cur is None:
                cur = [pos, pos + len(word), kind]
            else:
                cur[1] = pos + len(word)
        pos += len(word) + 1
    if cur is not None:
        spans.append(tuple(cur))
    return Sentence(" ".join(words), tuple(spans))


def split_occurrence(surface: str) -> tuple[str, int | None]:
    """``surface#n`` -> (surface, n); a surface without ``#n`` -> (surface, None)."""
    m = re.fullmatch(r"(.+)#(\d+)", surface)
    return (m.group(1), int(m.group(2))) if m else (surface, None)


def split_label(item: str) -> tuple[str, str]:
    """``surface=LABEL`` -> (surface, LABEL); ValueError when there is no ``=``, LABEL is not in LABELS,
    or the surface is empty or has surrounding spaces (so no caller strips it)."""
    surface, sep, label = item.rpartition("=")
    if not sep or label not in LABELS or not surface or surface != surface.strip():
        raise ValueError(f"bad labelled surface {item!r}")
    return surface, label


def first_overlap(spans: list) -> tuple | None:
    """The first two neighbours of start-sorted (start, end, ...) ``spans`` that overlap, None when none do."""
    for a, b in zip(spans, spans[1:]):
        if b[0] < a[1]:
            return a, b
    return None


def nth_occurrence(hits: list, occurrence: int | None, what: str, where: str = ""):
    """The ``occurrence``-th (1-based) of ``hits``, the only one when ``occurrence`` is None;
    ValueError when there is none, more than one without a number, or no such number."""
    if not hits:
        raise ValueError(f"{what} not found{where}")
    if occurrence is None:
        if len(hits) > 1:
            raise ValueError(f"{what} occurs {len(hits)} times{where}: give #n")
        return hits[0]
    if not 1 <= occurrence <= len(hits):
        raise ValueError(f"{what} has no occurrence #{occurrence}{where}")
    return hits[occurrence - 1]


def scrapinghub_bodies() -> dict[str, str]:
    """Article key -> body of the ScrapingHub English news pages (needs ../shared)."""
    return {key: row["articleBody"] for key, row in json.loads(SCRAPINGHUB_TRUTH.read_text(encoding="utf-8")).items()}


def body_variants(body: str) -> tuple[str, str]:
    """An article body as extracted and with line breaks as spaces: a hand-annotated sentence is
    a substring of one of them (sentences were cut from paragraphs, some joined across lines)."""
    return body, body.replace("\n", " ")


def held_out_keys(bodies: dict[str, str]) -> set[str]:
    """The articles of ``bodies`` any English news test sentence comes from (kept out of training
    and of annotation)."""
    gold = [row["text"] for row in json.loads(EN_NEWS_GOLD.read_text(encoding="utf-8"))["sentences"]]
    return {key for key, body in bodies.items() if any(s in v for v in body_variants(body) for s in gold)}


def load_json(path: Path) -> list[Sentence]:
    """Sentences of a hand-annotated JSON file ({"sentences": [{"text", "entities": [[start, end, label]]}]})."""
    return sentences_of(json.loads(path.read_text(encoding="utf-8")))


def sentences_of(doc: dict) -> list[Sentence]:
    """Sentences of a hand-annotated JSON document (see ``load_json``)."""
    return [Sentence(r["text"], tuple(sorted(tuple(e) for e in r["entities"]))) for r in doc["sentences"]]


def load(dataset: str, split: str, root: Path = SHARED) -> list[Sentence]:
    _lang, files = DATASETS[dataset]
    path = root / dataset / files[split]
    return parse_tsv(path.read_text(encoding="utf-8").splitlines())


# --- NERP recased -------------------------------------------------------------------------
# NERP is Indonesian news but entirely lower-cased, while the stage classifies capitalised
# candidate runs. ``recase`` restores the casing news text would have, by rule from the gold
# tags: entity and event tokens title-cased (known acronyms upper-cased), sentence starts,
# weekday/month names and title words right before a person capitalised. It is an
# approximation (real text capitalises more, e.g. other proper nouns NERP leaves untagged).

_CAPITALISED_TAGS = ("PPL", "PLC", "IND", "EVT")


def acronyms(sentences: list[Sentence]) -> frozenset[str]:
    """Lower-cased forms of words written in capitals (2-5 letters) in cased corpora."""
    out = set()
    for s in sentences:
        for w in s.text.split():
            if 2 <= len(w) <= 5 and w.isalpha() and w.isupper():
                out.add(w.lower())
    return frozenset(out)


def load_recased(split: str, acronym_set: frozenset[str], capital_words: frozenset[str],
                 titles: frozenset[str], root: Path = SHARED) -> list[Sentence]:
    lines = (root / "nerp" / DATASETS["nerp"][1][split]).read_text(encoding="utf-8").splitlines()
    return [_sentence(_recase(words, tags, acronym_set, capital_words, titles), tags)
            for words, tags in tagged_sentences(lines)]


def _cap(word: str, acronym_set: frozenset[str]) -> str:
    if word in acronym_set:
        return word.upper()
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


def _recase(words: list[str], tags: list[str], acronym_set: frozenset[str],
            capital_words: frozenset[str], titles: frozenset[str]) -> list[str]:
    out = list(words)
    for i, (w, t) in enumerate(zip(words, tags)):
        if t[2:] in _CAPITALISED_TAGS or w in capital_words:
            out[i] = _cap(w, acronym_set)
        elif t == "O" and w in titles and i + 1 < len(tags) and tags[i + 1] == "B-PPL":
            out[i] = _cap(w, acronym_set)
    starts = [0] + [i + 1 for i, w in enumerate(words) if w in (".", "!", "?")]
    for i in starts:
        if i < len(out) and out[i][:1].isalpha():
            out[i] = out[i][:1].upper() + out[i][1:]
    return out
