"""Clean stage: remove clutter lines from the body; keep credits and captions as metadata.

``clean_text(text) -> CleanResult`` is the pure function; clutter patterns are
data (``data/clutter_lines.json``). Whole lines are matched with bounded
patterns (no nested quantifiers), so cleaning is linear in the text length.
Repeated lines (a caption printed twice, a subscription block at top and
bottom) are removed after their first occurrence.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import apache_beam as beam

from schemas.records import Article
from transforms.stage import StageDoFn, StageError, apply_stage

STAGE = "clean"
PATTERNS_FILE = Path(__file__).with_name("data") / "clutter_lines.json"
MAX_LINE_CHARS_FOR_PATTERNS = 600


@dataclass(frozen=True)
class ClutterPattern:
    kind: str
    regex: re.Pattern
    move_to: Optional[str] = None


@dataclass
class CleanResult:
    """The cleaned body plus what was taken out of it."""

    body: str
    credits: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    removed_lines: int = 0
    removed_chars: int = 0
    removed_kinds: Counter = field(default_factory=Counter)

    def report(self) -> dict:
        return {"removed": {"lines": self.removed_lines, "chars": self.removed_chars,
                            "kinds": dict(sorted(self.removed_kinds.items()))}}


@lru_cache(maxsize=None)
def load_patterns(path: Path = PATTERNS_FILE) -> tuple[ClutterPattern, ...]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        ClutterPattern(p["kind"], re.compile(p["pattern"], re.IGNORECASE), p.get("move_to"))
        for p in spec["patterns"]
    )


def classify_line(line: str, patterns: tuple[ClutterPattern, ...]) -> Optional[ClutterPattern]:
    """The clutter pattern a whole line matches, or None for article text."""
    if len(line) > MAX_LINE_CHARS_FOR_PATTERNS:
        return None
    stripped = line.strip(" .")
    for pattern in patterns:
        if pattern.regex.fullmatch(stripped):
            return pattern
    return None


def clean_text(text: str, patterns: Optional[tuple[ClutterPattern, ...]] = None) -> CleanResult:
    """Remove clutter lines and repeated lines; paragraphs are separated by blank lines."""
    patterns = load_patterns() if patterns is None else patterns
    result = CleanResult(body="")
    kept: list[str] = []
    seen: set[str] = set()
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line in seen:
            result.removed_kinds["duplicate"] += 1
            result.removed_lines += 1
            result.removed_chars += len(line)
            continue
        seen.add(line)
        pattern = classify_line(line, patterns)
        if pattern is None:
            kept.append(line)
            continue
        result.removed_kinds[pattern.kind] += 1
        result.removed_lines += 1
        result.removed_chars += len(line)
        if pattern.move_to == "credits":
            result.credits.append(line)
        elif pattern.move_to == "captions":
            result.captions.append(line)
    result.body = "\n\n".join(kept)
    return result


def clean_article(article: Article) -> Article:
    """The clean stage for one article; an article with no text left is a dead letter."""
    result = clean_text(article.body)
    if not result.body:
        raise StageError("empty_after_clean", f"no article text left after removing {result.removed_lines} clutter lines")
    return article.replace(
        body=result.body,
        credits=tuple(result.credits),
        captions=tuple(result.captions),
        clean=result.report(),
    )


class CleanArticles(beam.PTransform):
    """Articles -> cleaned Articles (``main``) and dead letters (``dead_letter``)."""

    def expand(self, articles):
        return apply_stage(articles, "Clean", StageDoFn(STAGE, clean_article))
