"""Train the entity CRF (reproducible, not run in CI; needs ../shared/data/ner).

    .venv/bin/python -m ner.train            # writes transforms/models/entities.crfsuite

Steps: (1) ``lowercase_words.txt``, the words seen in lower case in the training splits
(a feature for sentence-initial capitals such as "Kantor", "Menurut"), also from the English
news bodies of the ScrapingHub benchmark (unlabelled; WikiANN has few ordinary sentences); (2) candidate runs of
every training sentence, with the same features the stage uses at run time, labelled BIO
from the gold character spans; (3) L-BFGS training of a linear-chain CRF with L1+L2
regularisation (L1 keeps the model small). Settings live in ``ner/config.json``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import time
from collections import Counter
from pathlib import Path

import pycrfsuite

import re

from ner.corpus import (
    BENCH_DATA, EN_NEWS_GOLD, SCRAPINGHUB_TRUTH, Sentence, acronyms, held_out_keys, load, load_json, load_recased,
    scrapinghub_bodies,
)
from transforms import entities as ent

CONFIG = Path(__file__).resolve().parent / "config.json"
_WORD = re.compile(r"[^\W\d_]+")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


# English news sentences hand-annotated for this project (ScrapingHub articles other than the test ones)
EN_NEWS = {"train": BENCH_DATA / "en_news_train.json", "dev": BENCH_DATA / "en_news_dev.json", "test": EN_NEWS_GOLD}
# Training sets kept as hand-annotated JSON rather than the shared TSV files (name in ner/config.json -> file).
JSON_TRAIN = {
    "en-news": EN_NEWS["train"],
    "nerugm-adjudicated": Path(__file__).resolve().parent / "data" / "nerugm_train_adjudicated.json",
}


@functools.cache
def load_train(dataset: str) -> list[Sentence]:
    """The train split of ``dataset``: a hand-annotated JSON set or a shared TSV corpus (loaded once)."""
    if dataset == "en-lee":  # annotations in ner/data, text from the installed gensim package
        from ner import lee

        return lee.load_annotations()
    if dataset == "en-written":  # English news-style sentences written for the project (ner/written.py)
        from ner import written

        return written.load_sentences()
    return load_json(JSON_TRAIN[dataset]) if dataset in JSON_TRAIN else load(dataset, "train")


def news_texts() -> list[str]:
    """English news article bodies (ScrapingHub extraction benchmark ground truth), unlabelled,
    minus the articles the hand-annotated English news test and dev sentences come from."""
    bodies = scrapinghub_bodies()
    left_out = held_out_keys(bodies) | set(json.loads(EN_NEWS["dev"].read_text(encoding="utf-8"))["articles"])
    texts = []
    for key, body in bodies.items():
        if key in left_out:
            continue
        texts.append(body)
        page = SCRAPINGHUB_TRUTH.parent / "html" / f"{key}.html.gz"
        if page.exists():  # the whole page's visible text: menus, teasers, comments
            html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
            texts.append(_TAG.sub(" ", _SCRIPT.sub(" ", html)))
    return texts


_OPENS_SENTENCE = frozenset(".!?:;\"“”'‘’()[]|•–—-…\n")


def common_lowercase_words(texts: list[str], min_count: int, capital_ratio: float | None = None) -> list[str]:
    """Words seen in lower case at least ``min_count`` times (casefolded, alphabetic), sorted.

    With ``capital_ratio``, a word written capitalised on its own away from a sentence start (no
    capitalised word right before or after it) more than ``capital_ratio`` times as often as in
    lower case is left out: it is mostly a name ("Google", "Nissan" also turn up in lower case in
    addresses and handles), while "League" or "Party" are capitalised inside names only."""
    lower: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for text in texts:
        words = list(_WORD.finditer(text))
        for i, m in enumerate(words):
            w = m.group()
            if len(w) < 2:
                continue
            if w.islower():
                lower[w] += 1
            elif capital_ratio is not None and w[0].isupper() and w[1:].islower():
                before = text[max(0, m.start() - 4) : m.start()].rstrip(" \t")
                if not before or before[-1] in _OPENS_SENTENCE:
                    continue
                if i and words[i - 1].group()[0].isupper() and not text[words[i - 1].end() : m.start()].strip():
                    continue
                if i + 1 < len(words) and words[i + 1].group()[0].isupper() and not text[m.end() : words[i + 1].start()].strip():
                    continue
                alone[w.casefold()] += 1
    return sorted(
        w for w, c in lower.items()
        if c >= min_count and (capital_ratio is None or alone[w] <= capital_ratio * c)
    )


def build_lowercase_words(texts: list[str], min_count: int, path: Path, capital_ratio: float | None = None) -> int:
    """Write the common lower-case words (:func:`common_lowercase_words`) to ``path``."""
    words = common_lowercase_words(texts, min_count, capital_ratio)
    path.write_text(
        "# words seen in lower case in the NER training splits (generated by ner/train.py)\n"
        + "\n".join(words) + "\n",
        encoding="utf-8",
    )
    return len(words)


def _outside_entities(sentence: Sentence) -> str:
    text, pos, parts = sentence.text, 0, []
    for start, end, _ in sentence.gold:
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return " ".join(parts)


def run_labels(run: ent.Run, gold: tuple[tuple[int, int, str], ...]) -> list[str]:
    """BIO labels of a run's tokens from gold character spans."""
    labels: list[str] = []
    prev_span = None
    for tok in run.tokens:
        span = next((g for g in gold if g[0] <= tok.start and tok.end <= g[1]), None)
        if span is None:
            labels.append("O")
        else:
            labels.append(("I-" if span == prev_span else "B-") + span[2])
        prev_span = span
    return labels


def training_items(sentences: list[Sentence], tables: ent.Tables):
    for s in sentences:
        for run in ent.candidate_runs(s.text, tables):
            yield ent.run_features(run, tables), run_labels(run, s.gold)


def load_nerp_recased(split: str, cased: list[Sentence]) -> list[Sentence]:
    """NERP with casing restored by rule (see ner.corpus.load_recased)."""
    tables = ent.load_tables()
    return load_recased(split, acronyms(cased), tables.capitalised_common, frozenset(t for t in tables.titles if " " not in t))


def train(config: dict, out: Path, data_dir: Path = ent.DATA_DIR,
          held_out: frozenset[str] = frozenset()) -> str:
    """Write ``data_dir/lowercase_words.txt`` and train the CRF into ``out``; returns a summary line.

    ``held_out``: sentence texts left out of every training set and of the lower-case word counts
    (cross-validation, ``benchmarks.ner_cv``)."""
    train_sentences: list[Sentence] = []
    weighted: list[tuple[list[Sentence], int]] = []
    for dataset, weight in config["train"].items():
        if dataset == "nerp-recased":
            continue
        sentences = [s for s in load_train(dataset) if s.text not in held_out]
        train_sentences.extend(sentences)
        weighted.append((sentences, weight))
    if config["train"].get("nerp-recased"):
        weighted.append((load_nerp_recased("train", train_sentences), config["train"]["nerp-recased"]))
    lower_sets = config.get("lowercase_datasets", list(config["train"]))
    texts = [s.text for d in lower_sets if d != "nerp-recased" for s in load_train(d) if s.text not in held_out]
    texts += news_texts() if config.get("lowercase_from_news") else []
    if "nerp-recased" in lower_sets:  # NERP is lower-cased: only its non-entity words count
        texts += [_outside_entities(s) for s in load("nerp", "train")]
    n_words = build_lowercase_words(
        texts, config["lowercase_min_count"], data_dir / "lowercase_words.txt", config.get("lowercase_capital_ratio")
    )
    ent.load_tables.cache_clear()
    tables = ent.load_tables(data_dir)
    trainer = pycrfsuite.Trainer(verbose=False)
    n_items = 0
    for sentences, weight in weighted:
        items = list(training_items(sentences, tables))
        for _ in range(weight):
            for xseq, yseq in items:
                trainer.append(xseq, yseq)
                n_items += 1
    trainer.set_params(config["crf"])
    started = time.process_time()
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))
    return (f"lowercase words: {n_words}; runs: {n_items}; trained in {time.process_time() - started:.1f} CPU-s; "
            f"model {out} ({out.stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--out", type=Path, default=ent.MODEL_PATH)
    args = parser.parse_args()
    print(train(json.loads(args.config.read_text()), args.out))


if __name__ == "__main__":
    main()
