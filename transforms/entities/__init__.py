"""Entities stage: people, organisations and places (PER/ORG/LOC) with canonical names.

Design (measured in ``benchmarks/ner_eval.py``): proper names are capitalised in both
Indonesian and English news, so only *candidate runs* (maximal sequences of capitalised
words on one line, with connectors such as "of"/"bin" inside; title phrases such as
"Wakil Menteri Luar Negeri" are cut out and become context) are classified. A linear-chain
CRF (python-crfsuite, trained by ``ner/train.py``, model in ``transforms/models/``) tags the
tokens of each run with BIO labels, using word, shape, context-word, title-word, gazetteer
and word-cluster features. Rules then add what the model is weak at: curated aliases and
countries fix the type and are found without a model call ("gazetteer hits for free"), a
title word ("Presiden", "spokesperson") before a name makes it a person, a first or last
name alone ("Zakharova") resolves to the full name used in the same article, and a name
keeps one type within an article.

Pure functions do the work (:func:`find_entities`, :func:`summarize`,
:func:`extract_entities`); :class:`ExtractEntities` wraps them in a batched stage whose
heavy state (:class:`EntityResources`: tables + CRF tagger) is built once per worker.
Everything read at run time lives in ``transforms/data/entities/`` and ``transforms/models/``.

This package is the stage; its layers, lowest first (none imports the stage): ``patterns``
(linear regexes), ``tables`` (data tables, alias look-up, cache bounds), ``candidates`` (Token,
Run, Span, candidate runs), ``features`` (CRF features), ``tagging`` (model and gazetteer spans,
:func:`combine`), ``canonical`` (canonical names, name parts), ``rules`` (cue words),
``headlines`` (title-case lines), ``news_en`` (English news conventions) and ``sports``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import apache_beam as beam

from schemas.records import Article, Entity
from transforms.entities.canonical import _add_name_parts, canonicalize
from transforms.entities.candidates import Run, Span, Token, candidate_runs, gazetteer_tags
from transforms.entities.features import clear_caches, run_features
from transforms.entities.headlines import HeadlineIndex, confirmed_headline_spans, headline_lines
from transforms.entities.news_en import (
    dateline_places,
    organisations_by_context,
    outside_quoted_titles,
    places_with_particles,
    state_codes_after_cities,
)
from transforms.entities.rules import head_words, org_cue_at, organisation_cues
from transforms.entities.sports import places_with_records, sports_teams
from transforms.entities.tables import (
    CACHED_KEY_CHARS,
    DATA_DIR,
    LABELS,
    RUN_CACHE_SIZE,
    WORD_CACHE_SIZE,
    AliasEntry,
    Tables,
    fold,
    load_tables,
    lookup_alias,
)
from transforms.entities.tagging import combine, gazetteer_spans, model_spans
from transforms.stage import BatchStageDoFn, apply_batch_stage, map_results

# What pipelines/, benchmarks/, ner/, tests/ and other transforms use of the stage (the layers'
# other names are imported from their modules).
__all__ = [
    "CACHED_KEY_CHARS", "DATA_DIR", "LABELS", "MAX_ENTITIES", "MODEL_PATH", "RUN_CACHE_SIZE", "STAGE",
    "WORD_CACHE_SIZE",
    "AliasEntry", "Entity", "EntityResources", "ExtractEntities", "Run", "Span", "Tables", "Token",
    "candidate_runs", "clear_caches", "combine", "dateline_places", "extract_entities", "find_entities", "fold",
    "gazetteer_spans", "gazetteer_tags", "head_words", "headline_lines", "load_resources", "load_tables",
    "lookup_alias", "org_cue_at", "organisation_cues", "organisations_by_context", "outside_quoted_titles",
    "places_with_particles", "run_features", "sports_teams", "state_codes_after_cities", "summarize",
]


STAGE = "entities"
MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "entities.crfsuite"
MAX_BODY_CHARS = 400_000  # longer bodies are tagged up to this many characters
MAX_ENTITIES = 2_000  # per article
# Languages the model was trained for (Malay is close to Indonesian; "und" = not determined).
# Other languages get only the trusted gazetteer hits: German, for one, capitalises every noun.
MODEL_LANGUAGES = frozenset({"id", "en", "ms", "und"})


@dataclass
class EntityResources:
    """Heavy per-worker state: the data tables and the CRF tagger."""

    tables: Tables = field(repr=False)
    tagger: Any = field(repr=False)


def load_resources(model_path: Path = MODEL_PATH, data_dir: Path = DATA_DIR) -> EntityResources:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    # load_tables() for the default: the same cache key as the stage's other load_tables() callers
    return EntityResources(load_tables() if data_dir == DATA_DIR else load_tables(data_dir), tagger)


def find_entities(
    text: str, resources: EntityResources, use_rules: bool = True, use_model: bool = True
) -> list[Entity]:
    """PER/ORG/LOC mentions in ``text`` with offsets (``text[start:end] == entity.text``).

    ``use_rules=False`` gives the CRF alone (for the benchmark); ``use_model=False`` only the
    trusted alias table (curated names and countries)."""
    text = text[:MAX_BODY_CHARS]
    tables = resources.tables
    spans: list[Span] = []
    runs = candidate_runs(text, tables, document=use_rules)
    headlines = HeadlineIndex(text, tables)
    on_headlines: list[tuple[Run, list[Span]]] = []
    for run in runs:
        if use_rules and run.known is not None:  # a known name alone: no model call needed
            spans.append(Span(run.start, run.end, run.known.label))
            continue
        if not use_model:
            spans.extend(gazetteer_spans(run, tables))
            continue
        found = model_spans(run, tables, resources.tagger)
        if use_rules:
            start = run.start if run.sentence_start else -1
            gazetteer = gazetteer_spans(run, tables) if run.hits else []
            found = combine(text, found, gazetteer, tables, start)
            if len(run.words) > 1 and not tables.org_words.isdisjoint(run.folded):
                # an organisation cue word in the run (the tagger still holds the run's marginals)
                found = organisation_cues(text, run, found, tables, resources.tagger)
            if headlines.on_headline(run.start):
                on_headlines.append((run, found))
                continue
        spans.extend(found)
    if on_headlines:
        spans = sorted(spans + confirmed_headline_spans(text, on_headlines, spans, tables), key=lambda s: s.start)
    if use_rules:
        spans = sports_teams(text, runs, spans, tables)
        spans = places_with_records(text, spans)
        spans = dateline_places(text, spans, tables)
        spans = head_words(text, spans, tables)
        spans = state_codes_after_cities(text, spans, tables)
        spans = places_with_particles(text, spans, tables)
        spans = outside_quoted_titles(text, spans, tables)
        spans = _add_name_parts(text, runs, spans[:MAX_ENTITIES], tables)
    entities = canonicalize(text, spans[:MAX_ENTITIES], tables)
    return organisations_by_context(text, entities, tables) if use_rules else entities


def summarize(entities: Sequence[Entity]) -> tuple[dict[str, Any], ...]:
    """Article-level summary: one row per (canonical, label) with its mention count."""
    counts = Counter((e.canonical, e.label) for e in entities)
    ids = {(e.canonical, e.label): e.wikidata for e in entities if e.wikidata}
    rows = []
    for (canonical, label), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        row: dict[str, Any] = {"canonical": canonical, "label": label, "count": count}
        if (canonical, label) in ids:
            row["wikidata"] = ids[(canonical, label)]
        rows.append(row)
    return tuple(rows)


def extract_entities(article: Article, resources: EntityResources) -> Article:
    """Fill ``entities`` and ``entity_summary`` from ``article.body`` (the model only for the
    languages it knows, see ``MODEL_LANGUAGES``)."""
    entities = find_entities(article.body, resources, use_model=article.language in MODEL_LANGUAGES)
    return article.replace(entities=tuple(entities), entity_summary=summarize(entities))


def entities_per_article(_article: Article, result: Article) -> int:
    """The ``entities.per_article`` distribution: mentions found in one article."""
    return len(result.entities)


class ExtractEntities(beam.PTransform):
    """Articles -> Articles with ``entities`` and ``entity_summary`` (batched per bundle);
    reports the ``entities.per_article`` distribution."""

    def expand(self, articles):
        dofn = BatchStageDoFn(
            STAGE, map_results(extract_entities), setup_fn=load_resources,
            distributions={"per_article": entities_per_article},
        )
        return apply_batch_stage(articles, "ExtractEntities", dofn)
