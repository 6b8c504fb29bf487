"""Running the sink in a real (DirectRunner) pipeline and reading what it wrote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Iterable, Sequence

import apache_beam as beam
import psycopg
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from schemas.records import Article, Entity, Origin, RawArticle
from transforms.postgres_sink import STAGE, PostgresSink

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "local" / "postgres.sh"


def postgres_sh(*args: str, mode: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run deploy/local/postgres.sh; ``mode`` sets PG_LOCAL_STOP_MODE (e.g. ``immediate``)."""
    env = dict(os.environ)
    if mode:
        env["PG_LOCAL_STOP_MODE"] = mode
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, check=check, timeout=600
    )


def ensure_running() -> None:
    """Start the cluster again if a fault test left it stopped."""
    if postgres_sh("status", check=False).returncode != 0:
        postgres_sh("start")


def query(dsn: str, sql: str, params: Sequence = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


# Synthetic articles, unlike the samples: short English and Indonesian reports with known mentions.
_TEMPLATES = {
    "en": "Report {n}: {person} met officials of {org} in {place} on Tuesday to discuss the harbour project.",
    "id": "Laporan {n}: {person} bertemu pejabat {org} di {place} pada hari Selasa membahas proyek pelabuhan.",
}
_PEOPLE = ("Amara Okafor", "Lukas Brandt", "Sari Wulandari", "Tomás Ferreira")
_ORGS = ("Harbour Authority", "Badan Pelabuhan", "Northern Trust")
_PLACES = ("Surabaya", "Rotterdam", "Makassar", "Valparaíso")


def make_article(n: int, language: str = "en", publisher: str = "Example Daily", **changes) -> Article:
    """Article ``n`` with three entities whose offsets match its body."""
    person, org, place = _PEOPLE[n % len(_PEOPLE)], _ORGS[n % len(_ORGS)], _PLACES[n % len(_PLACES)]
    body = _TEMPLATES[language].format(n=n, person=person, org=org, place=place)
    entities = tuple(
        Entity(text=text, label=label, start=body.index(text), end=body.index(text) + len(text), canonical=text)
        for text, label in ((person, "PER"), (org, "ORG"), (place, "LOC"))
    )
    article_id = f"synthetic-{n:05d}"
    raw = RawArticle(id=article_id, origin=Origin(path=f"mem/{n}.txt"), text=body)
    fields = dict(
        id=article_id, origin=raw.origin, raw=raw, url=f"https://news.example/{n}", title=f"Report {n}",
        body=body, published_at="2025-02-04T08:30:00+07:00", language=language, language_confidence=0.99,
        source={"domain": "news.example", "publisher": publisher, "agency": None}, entities=entities,
    )
    fields.update(changes)
    return Article(**fields)


_DEAD: list[Any] = []


def _collect(element: Any) -> None:
    _DEAD.append(element)


class SinkCounters(dict):
    """The sink's counters by name; ``distributions`` holds its distributions by name."""

    distributions: dict[str, Any]


def run_sink(
    articles: Iterable[Any], dsn: str | None, *pre: beam.PTransform, **sink_args: Any
) -> tuple[list, SinkCounters]:
    """Write ``articles`` through ``pre`` transforms and the sink; returns (dead letters, metrics)."""
    _DEAD.clear()
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    pcoll = pipeline | beam.Create(list(articles), reshuffle=False)
    for index, transform in enumerate(pre):
        pcoll = pcoll | f"Pre{index}" >> transform
    dead = pcoll | PostgresSink(dsn, **sink_args)
    dead | beam.Map(_collect)
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace(STAGE))
    counters = SinkCounters(
        {m.key.metric.name: (m.committed if m.committed is not None else m.attempted) or 0 for m in query["counters"]}
    )
    counters.distributions = {
        m.key.metric.name: m.committed if m.committed is not None else m.attempted for m in query["distributions"]
    }
    out = list(_DEAD)
    _DEAD.clear()
    return out, counters


def snapshot(dsn: str) -> tuple[list[tuple], list[tuple]]:
    """Every article row (with its row version, xmin) and every entity row, in a stable order."""
    with psycopg.connect(dsn) as conn:
        articles = conn.execute(
            "SELECT xmin::text, id, url, title, body, language, publisher, agency, published_at, processed_at,"
            " record, schema_version FROM articles ORDER BY id"
        ).fetchall()
        entities = conn.execute(
            'SELECT xmin::text, article_id, position, canonical, label, text, "start", "end", wikidata'
            " FROM article_entities ORDER BY article_id, position"
        ).fetchall()
    return articles, entities
