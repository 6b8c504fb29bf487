"""Helpers shared by the entity tests (tests/test_entities*.py): build spans and entities from mentions, read
spans, runs and found entities back as text, read data files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from transforms import entities as ent


def span_labels(spans: Iterable[ent.Span], text: str) -> list[tuple[str, str]]:
    """(surface, label) of each span, in order."""
    return [(text[s.start : s.end], s.label) for s in spans]


def nth_start(text: str, mention: str, nth: int = 0) -> int:
    """Start of the ``nth`` (0-based) occurrence of ``mention`` in ``text``; ValueError when there is none."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(mention, start + 1)
    return start


def entity_at(text: str, name: str, label: str, canonical: str | None = None, nth: int = 0) -> ent.Entity:
    """An entity of ``label`` over the ``nth`` occurrence of ``name`` (canonical name: ``name`` unless given)."""
    start = nth_start(text, name, nth)
    return ent.Entity(name, label, start, start + len(name), name if canonical is None else canonical, None)


def whole_span(text: str, mention: str, label: str, pos: int = 0) -> ent.Span:
    """A span of ``label`` over the first ``mention`` at or after ``pos``."""
    start = text.index(mention, pos)
    return ent.Span(start, start + len(mention), label)


def spans_in_order(text: str, pairs: list[tuple[str, str]]) -> list[ent.Span]:
    """Spans for (mention, label) pairs found one after the other in ``text``."""
    out: list[ent.Span] = []
    for name, label in pairs:
        out.append(whole_span(text, name, label, out[-1].end if out else 0))
    return out


def run_texts(text: str, tables: ent.Tables, document: bool = False) -> list[str]:
    """The surface of each candidate run."""
    return [text[r.start : r.end] for r in ent.candidate_runs(text, tables, document=document)]


def run_first_words(text: str, tables: ent.Tables, document: bool) -> list[str]:
    """The first word of each candidate run."""
    return [r.words[0] for r in ent.candidate_runs(text, tables, document=document)]


def entity_pairs(text: str, resources: ent.EntityResources, **options) -> set[tuple[str, str]]:
    """(text, label) of every entity ``find_entities`` returns (options passed on, e.g. use_model=False)."""
    return {(e.text, e.label) for e in ent.find_entities(text, resources, **options)}


def entity_texts(text: str, resources: ent.EntityResources) -> set[str]:
    """The text of every entity ``find_entities`` returns."""
    return {e.text for e in ent.find_entities(text, resources)}


def entities_by_text(text: str, resources: ent.EntityResources) -> dict[str, tuple[str, str]]:
    """Text -> (label, canonical name) of the entities ``find_entities`` returns."""
    return {e.text: (e.label, e.canonical) for e in ent.find_entities(text, resources)}


def labels_by_position(text: str, resources: ent.EntityResources) -> dict[tuple[str, int], str]:
    """(text, start) -> label of the entities ``find_entities`` returns."""
    return {(e.text, e.start): e.label for e in ent.find_entities(text, resources)}


def label_at(text: str, mention: str, resources: ent.EntityResources, nth: int = 0) -> str | None:
    """The label of the entity found exactly over the ``nth`` occurrence of ``mention``, None if none is."""
    return labels_by_position(text, resources).get((mention, nth_start(text, mention, nth)))


def data_lines(path: Path) -> list[str]:
    """The lines of a data file but empty and ``#`` comment lines (a line of spaces is kept: checks see it)."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
