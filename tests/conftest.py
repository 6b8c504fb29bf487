"""Shared test helpers: paths, record builders and a DirectRunner stage runner."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from schemas.records import Article, Origin, RawArticle, RawRecord
from transforms import entities as ent

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).with_name("fixtures")

logging.getLogger("root").setLevel(logging.ERROR)  # Beam's optional-GCP import warnings


@pytest.fixture(scope="session")
def resources() -> ent.EntityResources:
    """The entities stage's tables and trained tagger, loaded once for the test session."""
    return ent.load_resources()


@pytest.fixture(scope="session")
def tables(resources: ent.EntityResources) -> ent.Tables:
    return resources.tables


def raw_record(data: bytes | str, fmt: str = "text", path: str = "mem.txt", line: int | None = None) -> RawRecord:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return RawRecord(origin=Origin(path=path, line=line), fmt=fmt, data=payload)


def article(body: str, url: str | None = None, **fields: Any) -> Article:
    raw = RawArticle(id="t1", origin=Origin(path="mem.txt"), text=body, url=url)
    return Article(id="t1", origin=raw.origin, raw=raw, url=url, body=body, **fields)


def run_stage(transform: beam.PTransform, elements: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """Run a stage PTransform on the DirectRunner; returns (main outputs, dead letters)."""
    main: list[Any] = []
    dead: list[Any] = []
    with TestPipeline() as pipeline:
        outputs = pipeline | beam.Create(list(elements), reshuffle=False) | transform
        outputs.main | "CollectMain" >> beam.Map(_Collector.add, "main")
        outputs.dead_letter | "CollectDead" >> beam.Map(_Collector.add, "dead")
    main.extend(_Collector.take("main"))
    dead.extend(_Collector.take("dead"))
    return main, dead


class _Collector:
    """Gathers outputs of an in-process DirectRunner pipeline (single process)."""

    items: dict[str, list[Any]] = {"main": [], "dead": []}

    @classmethod
    def add(cls, element: Any, key: str) -> None:
        cls.items[key].append(element)

    @classmethod
    def take(cls, key: str) -> list[Any]:
        out, cls.items[key] = cls.items[key], []
        return out


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES
