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
CPU seconds (``time.process_time``) per article.

    .venv/bin/python -m benchmarks.clean_eval [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from schemas.records import Origin, RawRecord
from transforms.clean import clean_article, clean_text
from transforms.parse import parse_record

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "clean"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    docs = {p: load_annotated(p) for p in fixtures()}
    rows = {("seeds/" if p.parent.name == "seeds" else "") + p.stem: score(d) for p, d in docs.items()}
    results = {
        "seeds": summarise({k: v for k, v in rows.items() if k.startswith("seeds/")}),
        "own_fixtures": summarise({k: v for k, v in rows.items() if not k.startswith("seeds/")}),
        "all": summarise(rows),
        "speed": speed(list(docs.values())),
        "errors": {k: {"lost": v["lost"], "missed": v["missed"]} for k, v in rows.items() if v["lost"] or v["missed"]},
    }
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
