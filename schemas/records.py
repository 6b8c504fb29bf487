"""Typed record classes that flow through the ingest pipeline.

Three records cross the pipeline's boundaries, each with a JSON Schema file in
``schemas/json/`` of the same version:

* ``RawArticle``   -- what a feed delivers (a Kafka message, a JSONL line, a file).
* ``Article``      -- the enriched article written to the sinks.
* ``DeadLetter``   -- an input that could not be enriched, with the stage and reason.

``RawRecord`` is internal: undecoded bytes plus where they came from, before parsing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

SCHEMA_VERSION = "1.0"

# Dead letters echo the raw input up to this many bytes; beyond it only size and hash.
DEAD_LETTER_ECHO_LIMIT = 64 * 1024


def utc_now_iso() -> str:
    """Current UTC time as ISO 8601 with a 'Z' suffix (millisecond precision)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stable_id(key: str) -> str:
    """A stable 16-hex-digit id derived from a URL or the article content."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a file (and line for JSONL) or a Kafka position."""

    path: Optional[str] = None
    line: Optional[int] = None
    topic: Optional[str] = None
    partition: Optional[int] = None
    offset: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def describe(self) -> str:
        if self.topic is not None:
            return f"{self.topic}[{self.partition}]@{self.offset}"
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)


@dataclass(frozen=True)
class RawRecord:
    """Undecoded input: one file's bytes, one JSONL line or one Kafka message value.

    ``fmt`` is ``text``, ``html`` or ``json`` (decided from the file extension or the
    topic); ``size`` and ``sha256`` describe the whole input when ``data`` was cut at
    the size limit.
    ``key`` is the Kafka message key when there is one.
    """

    origin: Origin
    fmt: str
    data: bytes
    size: int = -1
    sha256: str = ""
    key: Optional[str] = None

    @property
    def true_size(self) -> int:
        return self.size if self.size >= 0 else len(self.data)


@dataclass(frozen=True)
class RawArticle:
    """A raw article as a feed delivers it (the ``raw_article`` schema)."""

    id: str
    origin: Origin
    text: Optional[str] = None
    html: Optional[str] = None
    url: Optional[str] = None
    title: Optional[str] = None
    fetched_at: Optional[str] = None
    published_at: Optional[str] = None
    source: Optional[str] = None
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["origin"] = self.origin.to_dict()
        return {k: v for k, v in out.items() if v is not None}

    @property
    def content(self) -> str:
        return self.html if self.html is not None else (self.text or "")


@dataclass(frozen=True)
class Entity:
    """A mention in ``Article.body``: ``body[start:end] == text``."""

    text: str
    label: str
    start: int
    end: int
    canonical: str
    wikidata: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "label": self.label, "start": self.start,
                               "end": self.end, "canonical": self.canonical}
        if self.wikidata is not None:
            out["wikidata"] = self.wikidata
        return out


@dataclass(frozen=True)
class Article:
    """The working record each stage refines and the enriched output (``article`` schema).

    ``raw`` keeps the input so a later stage can still dead-letter it verbatim;
    it is not part of the output.
    """

    id: str
    origin: Origin
    raw: RawArticle
    url: Optional[str] = None
    title: Optional[str] = None
    body: str = ""
    published_at: Optional[str] = None
    fetched_at: Optional[str] = None
    dateline: Optional[dict[str, Any]] = None
    byline: Optional[str] = None
    credits: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    clean: dict[str, Any] = field(default_factory=dict)
    language: str = "und"
    language_confidence: float = 0.0
    languages: tuple[dict[str, Any], ...] = ()
    source: dict[str, Any] = field(default_factory=dict)
    entities: tuple[Entity, ...] = ()
    entity_summary: tuple[dict[str, Any], ...] = ()
    schema_version: str = SCHEMA_VERSION

    def replace(self, **changes: Any) -> "Article":
        return dataclasses.replace(self, **changes)

    def to_dict(self, processed_at: Optional[str] = None) -> dict[str, Any]:
        """The enriched record as written to sinks (JSON-ready)."""
        return {
            "id": self.id,
            "origin": self.origin.to_dict(),
            "url": self.url,
            "title": self.title,
            "body": self.body,
            "language": self.language,
            "language_confidence": round(self.language_confidence, 4),
            "languages": list(self.languages),
            "source": self.source,
            "entities": [e.to_dict() for e in self.entities],
            "entity_summary": list(self.entity_summary),
            "published_at": self.published_at,
            "fetched_at": self.fetched_at,
            "dateline": self.dateline,
            "byline": self.byline,
            "credits": list(self.credits),
            "captions": list(self.captions),
            "dates": list(self.dates),
            "clean": self.clean,
            "schema_version": self.schema_version,
            "processed_at": processed_at or utc_now_iso(),
        }


@dataclass(frozen=True)
class DeadLetter:
    """An input that did not become an article (the ``dead_letter`` schema)."""

    stage: str
    reason: str
    error: str
    origin: Origin
    id: Optional[str] = None
    raw: Optional[str] = None
    raw_size: int = 0
    raw_sha256: str = ""
    schema_version: str = SCHEMA_VERSION
    failed_at: str = field(default_factory=utc_now_iso)

    @classmethod
    def for_payload(
        cls,
        stage: str,
        reason: str,
        error: str,
        origin: Origin,
        payload: bytes | str,
        record_id: Optional[str] = None,
        true_size: Optional[int] = None,
        true_sha256: str = "",
    ) -> "DeadLetter":
        """Build a dead letter echoing ``payload`` when it is small enough to echo."""
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
        size = true_size if true_size is not None else len(data)
        echo = None
        if size <= DEAD_LETTER_ECHO_LIMIT and len(data) == size:
            echo = data.decode("utf-8", "backslashreplace")
        return cls(
            stage=stage,
            reason=reason,
            error=error,
            origin=origin,
            id=record_id,
            raw=echo,
            raw_size=size,
            raw_sha256=true_sha256 or hashlib.sha256(data).hexdigest(),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["origin"] = self.origin.to_dict()
        return out
