"""Helpers shared by the entity tests (tests/test_entities*.py): build spans from mentions, read spans, runs
and found entities back as text."""

from __future__ import annotations

from collections.abc import Iterable

from transforms import entities as ent


def span_labels(spans: Iterable[ent.Span], text: str) -> list[tuple[str, str]]:
    """(surface, label) of each span, in order."""
    return [(text[s.start : s.end], s.label) for s in spans]


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


def entity_pairs(text: str, resources: ent.EntityResources, **options) -> set[tuple[str, str]]:
    """(text, label) of every entity ``find_entities`` returns (options passed on, e.g. use_model=False)."""
    return {(e.text, e.label) for e in ent.find_entities(text, resources, **options)}


def entity_texts(text: str, resources: ent.EntityResources) -> set[str]:
    """The text of every entity ``find_entities`` returns."""
    return {e.text for e in ent.find_entities(text, resources)}
