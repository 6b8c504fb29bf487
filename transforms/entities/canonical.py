"""Canonical names: alias table first, then full names used in the same article; name parts
("Zakharova" after "Maria Zakharova") and one type per name within an article."""

from __future__ import annotations

import bisect
import dataclasses
import re
from typing import Optional, Sequence

from schemas.records import Entity
from transforms.entities.candidates import Run, Span
from transforms.entities.tables import AliasEntry, Tables, _alias_key, cache_store, fold, lookup_alias


_POSSESSIVE = re.compile(r"(?:['’]s?)$")


def _strip_possessive(text: str) -> str:
    if len(text) > 3 and text[-1] in "'’s\n":  # only then can the pattern match
        return _POSSESSIVE.sub("", text)
    return text


def canonicalize(text: str, spans: Sequence[Span], tables: Tables) -> list[Entity]:
    """Entities with canonical names: alias table first, then same-article full names."""
    full_names: dict[str, list[tuple[int, tuple[str, ...], str, Optional[str]]]] = {}  # by first and last word
    resolved: list[tuple[Span, str, Optional[str], str, tuple[str, ...], Optional[AliasEntry]]] = []
    cache = tables.mentions
    for span in spans:
        mention = _strip_possessive(text[span.start : span.end])
        key, canonical, words = cache.get(mention) or _mention_info(mention, tables)
        entry = tables.aliases[key] if key is not None else None
        wikidata, label = None, span.label
        if entry is not None and (entry.trusted or entry.label == label):
            canonical, wikidata, label = entry.canonical, entry.wikidata, entry.label
        if label == "PER" and len(words) >= 2:
            name = (span.start, words, canonical, wikidata)
            full_names.setdefault(words[-1], []).append(name)
            if words[0] != words[-1]:
                full_names.setdefault(words[0], []).append(name)
        resolved.append((span, canonical, wikidata, label, words, entry))
    entities: list[Entity] = []
    for span, canonical, wikidata, label, words, entry in resolved:
        if full_names and (entry is None or not entry.trusted):
            candidates = full_names.get(words[-1]) if words else None
            full = _full_name(words, span.start, candidates) if candidates else None
            if full is not None and (label == "PER" or len(words) == 1):
                canonical, wikidata, label = full[2], full[3], "PER"
        entities.append(Entity(text[span.start : span.end], label, span.start, span.end, canonical, wikidata))
    return _consistent_labels(entities, tables)


def _mention_info(mention: str, tables: Tables) -> tuple[Optional[str], str, tuple[str, ...]]:
    """(alias key, the mention with single spaces, its folded words); cached per worker, bounded."""
    info = (_alias_key(mention, tables), " ".join(mention.split()), tuple(fold(mention).split()))
    cache_store(tables.mentions, mention, info)
    return info


def _consistent_labels(entities: list[Entity], tables: Tables) -> list[Entity]:
    """One type per name within an article: mentions of a name the alias table does not type
    take the type most of its mentions have (the earliest wins a tie)."""
    labels: dict[str, str] = {}
    mixed = False
    for e in entities:
        if labels.setdefault(e.canonical, e.label) != e.label:
            mixed = True
            break
    if not mixed:
        return entities
    votes: dict[str, dict[str, int]] = {}
    for e in entities:
        vote = votes.setdefault(e.canonical, {})
        vote[e.label] = vote.get(e.label, 0) + 1
    winner = {name: max(vote.items(), key=_count)[0] for name, vote in votes.items() if len(vote) > 1}
    out = []
    for e in entities:
        label = winner.get(e.canonical, e.label)
        if label != e.label:
            entry = lookup_alias(e.text, tables)
            if entry is None or not entry.trusted:
                e = dataclasses.replace(e, label=label)
        out.append(e)
    return out


def _count(item: tuple[str, int]) -> int:
    return item[1]


def _full_name(words: tuple[str, ...], start: int, full_names: Sequence[tuple]) -> Optional[tuple]:
    """The nearest earlier (else the first later) longer person name ending with ``words``
    (or, for one word, starting with it: Indonesian news often shortens to the first name).
    ``full_names`` are the person names containing the mention's last word."""
    best = None
    for name in full_names:  # in text order
        if len(name[1]) > len(words) and (name[1][-len(words) :] == words or (len(words) == 1 and name[1][0] == words[0])):
            if name[0] < start:
                best = name  # keeps the nearest earlier one
            elif best is None:
                return name
    return best


def _add_name_parts(text: str, runs: Sequence[Run], spans: list[Span], tables: Tables) -> list[Span]:
    """Untagged words that are the first or last word of a person named in the same text
    ("Zakharova", "Retno" after "Retno Marsudi") become person mentions."""
    parts: set[str] = set()
    for span in spans:
        if span.label == "PER":
            words = text[span.start : span.end].split()
            if len(words) >= 2:
                parts.update(
                    w for w in (fold(words[0]), fold(words[-1]))
                    if len(w) > 2 and w not in tables.lowercase_words and w not in tables.title_first_words
                )
    if not parts:
        return spans
    starts = sorted((s.start, s.end) for s in spans)
    added = []
    for run in runs:
        folded = run.folded
        if parts.isdisjoint(folded):
            continue
        flat, base = run._flat, run.base  # (text, start, end) per token, at ``base``
        for j, key in zip(range(0, len(flat), 3), folded):
            if key in parts:
                start = base + flat[j + 1]
                if not _inside(starts, start):
                    entry = lookup_alias(flat[j], tables)
                    if entry is None or entry.label == "PER":
                        added.append(Span(start, base + flat[j + 2], "PER"))
    if not added:
        return spans
    return sorted(spans + added, key=lambda s: s.start)


def _inside(spans: Sequence[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]
