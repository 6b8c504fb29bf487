"""Cleaner quality (line-level precision/recall) and speed on annotated articles.

Fixtures are in ``tests/fixtures/clean/`` (markup described in its README): the five
seeds annotated (``seeds/``) and the project's own unseen articles (top level).
For every article the raw text goes through parse + clean and each annotated unit
(a whole line, or a span of clutter glued into a line) is scored:

* clutter precision: of the units the cleaner removed, the share that were clutter;
* clutter recall: of the clutter units, the share removed;
* article recall: of the article lines, the share kept verbatim in the body
  (every sentence of the article must survive: this is the figure to keep at 1.0).

Speed: ``clean_text`` on every fixture padded to about 3 KB, in a plain loop,
CPU seconds (``time.process_time``) per article; and ``clean_article`` (the whole
clean stage) on parsed articles of the benchmark corpus (``benchmarks/corpus.py``),
best of three rounds.

Golden outputs: ``--golden-write FILE`` stores the parsed seeds (samples/), fixtures and
first 300 corpus articles with their ``clean_article`` results; ``--golden-check FILE``
cleans the stored inputs again and compares (exit 1 on any difference), so a change
of the parse stage does not show up as a difference. Used to show an optimisation
changes no output.

    .venv/bin/python -m benchmarks.clean_eval [--output FILE]
    .venv/bin/python -m benchmarks.clean_eval --speed-only --corpus-n 2000
    .venv/bin/python -m benchmarks.clean_eval --golden-write /tmp/clean_golden.json
    .venv/bin/python -m benchmarks.clean_eval --golden-check /tmp/clean_golden.json
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from benchmarks.corpus import make_article
from benchmarks.report import emit
from schemas.records import Article, Origin, RawArticle, RawRecord
from transforms.stage import StageError
from transforms.clean import clean_article, clean_text
from transforms.parse import parse_record

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "clean"
SAMPLES = ROOT / "samples"
CORPUS_SEED = 7
_SPAN = re.compile(r"\{([-=])(.*?)\1\}")


@dataclass
class Annotated:
    """An annotated article: the raw input text and its scored units."""

    name: str
    text: str
    article_lines: list[str] = field(default_factory=list)
    clutter_lines: list[str] = field(default_factory=list)
    clutter_spans: list[str] = field(default_factory=list)


def load_annotated(path: Path) -> Annotated:
    """Strip the markup of one fixture, keeping what each unit is."""
    raw_lines, doc = [], Annotated(path.stem, "")
    for line in path.read_text(encoding="utf-8").split("\n"):
        kind = line[:2] if line[:2] in ("-|", "=|") else ""
        line = line[len(kind):]
        plain = _SPAN.sub(lambda m: m.group(2), line)
        raw_lines.append(plain)
        if not plain.strip() or kind == "=|":
            continue
        if kind == "-|":
            doc.clutter_lines.append(plain.strip())
            continue
        doc.clutter_spans += [m.group(2).strip() for m in _SPAN.finditer(line) if m.group(1) == "-"]
        article = _SPAN.sub("", line).strip()
        if article:
            doc.article_lines.append(article)
    doc.text = "\n".join(raw_lines)
    return doc


def fixtures(root: Path = FIXTURES) -> list[Path]:
    return sorted(root.glob("seeds/*.txt")) + sorted(root.glob("*.txt"))


def run(doc: Annotated):
    record = RawRecord(origin=Origin(path=doc.name), fmt="text", data=doc.text.encode("utf-8"))
    return clean_article(parse_record(record))


def score(doc: Annotated) -> dict:
    article = run(doc)
    body_lines = article.body.split("\n\n")
    body = "\n".join(body_lines)
    kept = [line for line in doc.article_lines if any(line in b for b in body_lines)]
    removed_clutter = [c for c in doc.clutter_lines if c not in body_lines and (len(c) < 25 or c not in body)]
    removed_spans = [s for s in doc.clutter_spans if s not in body]
    lost = [line for line in doc.article_lines if line not in kept]
    return {
        "article": len(doc.article_lines), "kept": len(kept), "lost": lost,
        "clutter": len(doc.clutter_lines) + len(doc.clutter_spans),
        "removed": len(removed_clutter) + len(removed_spans),
        "missed": [c for c in doc.clutter_lines + doc.clutter_spans if c not in removed_clutter + removed_spans],
    }


def summarise(rows: dict[str, dict]) -> dict:
    article = sum(r["article"] for r in rows.values())
    kept = sum(r["kept"] for r in rows.values())
    clutter = sum(r["clutter"] for r in rows.values())
    removed = sum(r["removed"] for r in rows.values())
    wrongly_removed = article - kept
    return {
        "articles": len(rows),
        "clutter_precision": round(removed / (removed + wrongly_removed), 4) if removed + wrongly_removed else 1.0,
        "clutter_recall": round(removed / clutter, 4) if clutter else 1.0,
        "article_recall": round(kept / article, 4) if article else 1.0,
        "units": {"article": article, "kept": kept, "clutter": clutter, "removed": removed},
    }


def speed(docs: list[Annotated], target_chars: int = 3000, rounds: int = 200) -> dict:
    """CPU per clean_text call on ~3 KB texts (each fixture repeated up to the size)."""
    texts = []
    for doc in docs:
        text = doc.text
        while len(text) < target_chars:
            text += "\n" + doc.text
        texts.append(text[: target_chars + 500])
    for text in texts:
        clean_text(text)  # warm caches (compiled rules)
    started = time.process_time()
    for _ in range(rounds):
        for text in texts:
            clean_text(text)
    cpu = time.process_time() - started
    calls = rounds * len(texts)
    return {"cpu_ms_per_article": round(1000 * cpu / calls, 4), "articles": calls,
            "mean_chars": round(sum(map(len, texts)) / len(texts))}


def corpus_articles(n: int, seed: int = CORPUS_SEED) -> list[Article]:
    """The first ``n`` benchmark-corpus articles after the parse stage (parse failures skipped)."""
    out = []
    for index in range(n):
        record = RawRecord(origin=Origin(path="corpus", line=index), fmt="json", data=orjson.dumps(make_article(seed, index)))
        try:
            out.append(parse_record(record))
        except StageError:
            continue
    return out


def stage_speed(articles: list[Article], rounds: int = 3) -> dict:
    """CPU per ``clean_article`` call over ``articles``: best of ``rounds``."""
    for article in articles[:64]:
        _clean_or_error(article)  # warm caches
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for article in articles:
            _clean_or_error(article)
        best = min(best, time.process_time() - started)
    mean_bytes = sum(len(a.body.encode("utf-8")) for a in articles) / max(1, len(articles))
    return {"cpu_ms_per_article": round(1000 * best / max(1, len(articles)), 4), "articles": len(articles),
            "articles_per_cpu_s": round(len(articles) / best) if best else None, "mean_body_bytes": round(mean_bytes),
            "rounds": rounds, "figure": "best of rounds"}


def _clean_or_error(article: Article):
    try:
        return clean_article(article)
    except StageError as error:
        return error


def golden_inputs(corpus_n: int = 300) -> dict[str, Article]:
    """Named parsed articles: seeds, fixtures and corpus articles."""
    inputs = {}
    for path in sorted(SAMPLES.glob("*.txt")):
        inputs["samples/" + path.stem] = parse_record(RawRecord(origin=Origin(path=str(path.name)), fmt="text",
                                                                data=path.read_bytes()))
    for path in fixtures():
        inputs["fixtures/" + path.stem] = parse_record(RawRecord(origin=Origin(path=path.name), fmt="text",
                                                                 data=load_annotated(path).text.encode("utf-8")))
    for article in corpus_articles(corpus_n):
        inputs[f"corpus/{article.origin.line}"] = article
    return inputs


_INPUT_FIELDS = ("id", "url", "title", "body", "published_at", "fetched_at", "dateline", "byline", "credits", "captions")


def article_to_input(article: Article) -> dict:
    """The parsed fields the clean stage reads, JSON-ready (the golden file stores its inputs)."""
    out = {name: getattr(article, name) for name in _INPUT_FIELDS}
    out.update(origin=article.origin.to_dict(), raw=article.raw.to_dict())
    return out


def article_from_input(data: dict) -> Article:
    raw = dict(data["raw"])
    raw_origin = Origin(**raw.pop("origin", {}))
    fields = {name: data[name] for name in _INPUT_FIELDS}
    fields.update(credits=tuple(data["credits"]), captions=tuple(data["captions"]))
    return Article(origin=Origin(**data["origin"]), raw=RawArticle(origin=raw_origin, **raw), **fields)


def golden_outputs(inputs: dict[str, Article]) -> dict[str, dict]:
    """``clean_article`` on every golden input, serialised (dead letters as their reason and message)."""
    out = {}
    for name, article in inputs.items():
        result = _clean_or_error(article)
        if isinstance(result, StageError):
            out[name] = {"error": result.reason, "message": result.message}
        else:
            out[name] = result.to_dict(processed_at="-")
    return out


def golden_diff(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Readable differences between two golden snapshots."""
    diffs = []
    for name in sorted(set(expected) | set(actual)):
        a, b = expected.get(name), actual.get(name)
        if a == b:
            continue
        if a is None or b is None:
            diffs.append(f"{name}: only in {'actual' if a is None else 'expected'}")
            continue
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                diffs.append(f"{name}.{key}: {a.get(key)!r:.300} -> {b.get(key)!r:.300}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--corpus-n", type=int, default=2000, help="corpus articles for the stage speed figure")
    parser.add_argument("--speed-only", action="store_true", help="only the clean-stage speed on the corpus")
    parser.add_argument("--golden-write", type=Path, help="write golden outputs to FILE and exit")
    parser.add_argument("--golden-check", type=Path, help="compare outputs with FILE; exit 1 on a difference")
    args = parser.parse_args(argv)
    if args.golden_write:
        inputs = golden_inputs()
        golden = {"inputs": {k: article_to_input(a) for k, a in inputs.items()}, "outputs": golden_outputs(inputs)}
        args.golden_write.write_bytes(orjson.dumps(golden, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        print(f"{len(inputs)} golden inputs and outputs written to {args.golden_write}")
        return 0
    if args.golden_check:
        golden = orjson.loads(args.golden_check.read_bytes())
        inputs = {k: article_from_input(v) for k, v in golden["inputs"].items()}
        diffs = golden_diff(golden["outputs"], golden_outputs(inputs))
        print("\n".join(diffs) if diffs else "golden outputs unchanged")
        return 1 if diffs else 0
    if args.speed_only:
        emit({"clean_stage": stage_speed(corpus_articles(args.corpus_n))})
        return 0
    docs = {p: load_annotated(p) for p in fixtures()}
    rows = {("seeds/" if p.parent.name == "seeds" else "") + p.stem: score(d) for p, d in docs.items()}
    results = {
        "seeds": summarise({k: v for k, v in rows.items() if k.startswith("seeds/")}),
        "own_fixtures": summarise({k: v for k, v in rows.items() if not k.startswith("seeds/")}),
        "all": summarise(rows),
        "speed": speed(list(docs.values())),
        "clean_stage_speed": stage_speed(corpus_articles(args.corpus_n)),
        "errors": {k: {"lost": v["lost"], "missed": v["missed"]} for k, v in rows.items() if v["lost"] or v["missed"]},
    }
    emit(results, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
