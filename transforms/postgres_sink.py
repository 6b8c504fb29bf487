"""PostgreSQL sink: enriched articles into ``articles`` and ``article_entities``.

Elements are :class:`schemas.records.Article`. They are batched within a bundle and each batch is
written in one transaction: articles are upserted on ``id`` and an article's entities are replaced
in that same transaction, so replaying the same input (at-least-once delivery) leaves the same rows.
An article whose content is unchanged (its record apart from ``processed_at``) is not touched at
all, so a replay changes nothing.

Metrics (namespace ``postgres_sink``, see deploy/README.md): the stage names every stage reports
(:class:`transforms.stage.StageMetrics`: ``records_in``, ``records_out`` = articles stored,
``dead_letters``, ``dead_letter.<reason>``, ``latency_us`` per article, ``batch_size``) plus
``articles_written``, ``articles_unchanged``, ``entities_written``, ``batches`` and ``retries``.

Faults: a transient error (connection lost, server restarting, serialization failure) is retried
with exponential backoff on a fresh connection; when the attempts run out the bundle fails by
raising :class:`PostgresSinkError`, and the runner retries it -- records are never dropped. A
record the database rejects (bad data, a violated constraint) goes to the dead letters with reason
``postgres_rejected`` instead of blocking the bundle forever.

Secrets: the DSN's password never appears in logs or error messages (:func:`redact_dsn`,
:func:`scrub`); prefer passing it through ``PGPASSWORD`` or a passfile rather than the DSN.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence

import apache_beam as beam
import orjson
from apache_beam.metrics import Metrics

from schemas.records import Article, DeadLetter
from transforms.stage import DEAD_LETTER, MAIN, StageError, StageMetrics, dead_letter_for

if TYPE_CHECKING:  # psycopg is imported where a DSN is used: a run without PostgreSQL never loads it
    import psycopg

STAGE = "postgres_sink"
DSN_ENV = "PGDSN"
# libpq reads these itself when the conninfo string is empty.
LIBPQ_ENV = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")
CONNECT_TIMEOUT_S = 10
_TIMESTAMP_MAX_CHARS = 64

log = logging.getLogger(__name__)


class PostgresSinkError(RuntimeError):
    """Writing failed for a reason a retry by the runner may fix; the message holds no secret."""


# --- DSN handling ---------------------------------------------------------------------------

def resolve_dsn(flag: Optional[str], environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The DSN to use: the flag, else ``$PGDSN``, else ``""`` (libpq's PG* variables), else None."""
    if flag:
        return flag
    if environ.get(DSN_ENV):
        return environ[DSN_ENV]
    if any(environ.get(name) for name in LIBPQ_ENV):
        return ""
    return None


_URI_USERINFO = re.compile(r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^:/?#@\s]*):[^@\s]*@")
_URI_QUERY_PASSWORD = re.compile(r"(?P<pre>[?&]password=)[^&\s]*", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(?P<pre>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s']\S*)", re.IGNORECASE)


def redact_dsn(text: str) -> str:
    """``text`` with any password in a URI or ``key=value`` conninfo replaced by ``***``."""
    text = _URI_USERINFO.sub(r"\g<pre>:***@", text)
    text = _URI_QUERY_PASSWORD.sub(r"\g<pre>***", text)
    return _KV_PASSWORD.sub(r"\g<pre>***", text)


def dsn_secrets(dsn: Optional[str], environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The passwords a message could leak: the DSN's own and ``$PGPASSWORD``."""
    found = []
    if dsn:
        import psycopg

        try:
            found.append(psycopg.conninfo.conninfo_to_dict(dsn).get("password") or "")
        except psycopg.Error:
            pass  # unparsable: redact_dsn still covers the usual spellings
    found.append(environ.get("PGPASSWORD", ""))
    return tuple(sorted({s for s in found if s}, key=len, reverse=True))


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` safe to log: DSN passwords redacted and every known secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return redact_dsn(text)


def describe_dsn(dsn: Optional[str]) -> str:
    """A loggable description of a DSN (host, port, dbname, user; never the password)."""
    if dsn is None:
        return "<no DSN>"
    import psycopg

    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<unparsable DSN>"
    shown = {k: params[k] for k in ("host", "port", "dbname", "user") if params.get(k)}
    return " ".join(f"{k}={v}" for k, v in shown.items()) or "<PG* environment>"


def connect(dsn: str, secrets: Sequence[str] = ()) -> psycopg.Connection:
    """An autocommit connection (transactions are explicit); errors carry no secret.

    Raises ``psycopg.OperationalError`` (scrubbed) when the server cannot be reached, and
    :class:`PostgresSinkError` when the DSN itself is unusable.
    """
    import psycopg

    secrets = tuple(secrets) or dsn_secrets(dsn)
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        # libpq echoes pieces of an unparsable conninfo: say nothing about its content.
        raise PostgresSinkError("the PostgreSQL DSN could not be parsed") from None
    try:
        return psycopg.connect(
            dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="news-ingest"
        )
    except psycopg.Error as error:
        raise type(error)(scrub(str(error), secrets)) from None


# --- Rows (pure) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArticleRow:
    """One ``articles`` row plus its ``article_entities`` rows, ready for parameters."""

    id: str
    url: Optional[str]
    title: Optional[str]
    body: str
    language: str
    publisher: Optional[str]
    agency: Optional[str]
    published_at: Optional[datetime]
    processed_at: datetime
    record_json: str
    schema_version: str
    entities: tuple[tuple[Any, ...], ...]

    def article_params(self) -> tuple[Any, ...]:
        return (
            self.id, self.url, self.title, self.body, self.language, self.publisher, self.agency,
            self.published_at, self.processed_at, self.record_json, self.schema_version,
        )


def parse_timestamp(value: Any) -> Optional[datetime]:
    """An aware datetime from an ISO 8601 string (naive means UTC), or None when it is not one."""
    if not isinstance(value, str) or not value or len(value) > _TIMESTAMP_MAX_CHARS:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _storable(value: Any) -> Any:
    """``value`` with strings PostgreSQL can store: no NUL, no lone surrogates."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def article_row(article: Article, processed_at: Optional[str] = None) -> ArticleRow:
    """The rows for ``article``; every column is taken from its enriched record (``to_dict``)."""
    record = article.to_dict(processed_at)
    try:
        dumped = orjson.dumps(record)
    except TypeError:  # lone surrogates: orjson refuses them
        dumped = b""
    if not dumped or b"\\u0000" in dumped:
        record = _storable(record)
        dumped = orjson.dumps(record)
    source = record.get("source") or {}
    entities = tuple(
        (
            index, e["canonical"], e["label"], e["text"], int(e["start"]), int(e["end"]),
            _text(e.get("wikidata")),
        )
        for index, e in enumerate(record.get("entities") or ())
    )
    return ArticleRow(
        id=record["id"],
        url=_text(record.get("url")),
        title=_text(record.get("title")),
        body=record.get("body") or "",
        language=record.get("language") or "und",
        publisher=_text(source.get("publisher")),
        agency=_text(source.get("agency")),
        published_at=parse_timestamp(record.get("published_at")),
        processed_at=parse_timestamp(record.get("processed_at")) or datetime.now(timezone.utc),
        record_json=dumped.decode("utf-8"),
        schema_version=record.get("schema_version") or "",
        entities=entities,
    )


def versions_per_id(rows: Iterable[tuple[Article, ArticleRow]]) -> dict[str, list[tuple[Article, ArticleRow]]]:
    """The versions of each article id in a batch, newest (last seen) first; ids in first-seen order."""
    by_id: dict[str, list[tuple[Article, ArticleRow]]] = {}
    for pair in rows:
        by_id.setdefault(pair[1].id, []).insert(0, pair)
    return by_id


# --- SQL --------------------------------------------------------------------------------------

UPSERT_ARTICLE = """
INSERT INTO articles AS a (id, url, title, body, language, publisher, agency, published_at,
                           processed_at, record, schema_version)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)
ON CONFLICT (id) DO UPDATE SET
    url = EXCLUDED.url, title = EXCLUDED.title, body = EXCLUDED.body, language = EXCLUDED.language,
    publisher = EXCLUDED.publisher, agency = EXCLUDED.agency, published_at = EXCLUDED.published_at,
    processed_at = EXCLUDED.processed_at, record = EXCLUDED.record,
    schema_version = EXCLUDED.schema_version
WHERE (a.record - 'processed_at') IS DISTINCT FROM (EXCLUDED.record - 'processed_at')
RETURNING id
"""
DELETE_ENTITIES = "DELETE FROM article_entities WHERE article_id = ANY(%s)"
INSERT_ENTITY = """
INSERT INTO article_entities (article_id, position, canonical, label, text, "start", "end", wikidata)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
"""



# Connection-level SQLSTATE classes that are configuration errors, not transient faults:
# 28 invalid authorization, 3D invalid catalog (database does not exist).
_NOT_TRANSIENT_CLASSES = ("28", "3D")


def is_transient(error: BaseException) -> bool:
    """True for faults a retry on a new connection may fix (lost connection, restart, deadlock).

    ``InterfaceError`` counts: psycopg raises it for a connection that broke under a command.
    """
    import psycopg

    if isinstance(error, psycopg.InterfaceError):
        return True
    if not isinstance(error, psycopg.OperationalError):
        return False
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate[:2] in _NOT_TRANSIENT_CLASSES:
        return False
    message = str(error)
    return "password authentication failed" not in message and "does not exist" not in message


def write_rows(conn: psycopg.Connection, rows: Sequence[ArticleRow]) -> tuple[int, int]:
    """Upsert ``rows`` in one transaction; returns (articles changed, entity rows written)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(UPSERT_ARTICLE, [row.article_params() for row in rows], returning=True)
        changed: set[str] = set()
        while True:
            changed.update(r[0] for r in cur.fetchall())
            if not cur.nextset():
                break
        if not changed:
            return 0, 0
        cur.execute(DELETE_ENTITIES, (sorted(changed),))
        entity_params = [(row.id, *e) for row in rows if row.id in changed for e in row.entities]
        if entity_params:
            cur.executemany(INSERT_ENTITY, entity_params)
        return len(changed), len(entity_params)


# --- Beam -------------------------------------------------------------------------------------

class _WriteArticlesFn(beam.DoFn):
    """Writes each batch of articles; rejected records go to the dead letters."""

    def __init__(self, dsn: Optional[str], max_attempts: int, base_delay_s: float, max_delay_s: float):
        self._dsn_flag = dsn
        self.max_attempts = max(1, max_attempts)
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._dsn: Optional[str] = None
        self._secrets: tuple[str, ...] = ()
        self._conn: Optional[psycopg.Connection] = None

    def setup(self) -> None:
        import psycopg

        # Rows the database refused: retrying cannot help, the record is dead-lettered.
        self._rejected: tuple[type[BaseException], ...] = (psycopg.DataError, psycopg.IntegrityError)
        # Resolved on the worker, so a DSN taken from the environment never enters the pipeline graph.
        self._dsn = resolve_dsn(self._dsn_flag)
        if self._dsn is None:
            raise PostgresSinkError(f"no PostgreSQL DSN: pass --postgres_dsn or set {DSN_ENV} / PG* variables")
        self._secrets = dsn_secrets(self._dsn)
        self._metrics = StageMetrics(STAGE)
        self.written = Metrics.counter(STAGE, "articles_written")
        self.unchanged = Metrics.counter(STAGE, "articles_unchanged")
        self.entities = Metrics.counter(STAGE, "entities_written")
        self.batches = Metrics.counter(STAGE, "batches")
        self.retries = Metrics.counter(STAGE, "retries")

    def start_bundle(self) -> None:
        self._metrics.declare()

    def teardown(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            import psycopg

            try:
                self._conn.close()
            except psycopg.Error:
                pass  # the connection is being discarded because it already failed
            self._conn = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._close()
            self._conn = connect(self._dsn, self._secrets)
        return self._conn

    def _delay(self, attempt: int) -> float:
        delay = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return delay * random.uniform(0.8, 1.2)

    def _write_with_retries(self, rows: Sequence[ArticleRow]) -> None:
        """Write ``rows``; retries transient faults, then raises. ``_rejected`` errors propagate."""
        import psycopg

        for attempt in range(1, self.max_attempts + 1):
            try:
                changed, entities = write_rows(self._connection(), rows)
            except self._rejected:
                raise
            except psycopg.Error as error:
                self._close()
                message = scrub(f"{type(error).__name__}: {error}", self._secrets)
                if not is_transient(error):
                    raise PostgresSinkError(f"{STAGE}: writing {len(rows)} articles failed: {message}") from None
                if attempt == self.max_attempts:
                    raise PostgresSinkError(
                        f"{STAGE}: writing {len(rows)} articles failed after {attempt} attempts "
                        f"({describe_dsn(self._dsn)}): {message}"
                    ) from None
                delay = self._delay(attempt)
                self.retries.inc()
                log.warning("%s: transient error (attempt %d/%d), retrying in %.1fs: %s",
                            STAGE, attempt, self.max_attempts, delay, message)
                time.sleep(delay)
                continue
            self.batches.inc()
            self.written.inc(changed)
            self.unchanged.inc(len(rows) - changed)
            self.entities.inc(entities)
            return

    def _write_batch(self, batch: Sequence[Article]) -> list[DeadLetter]:
        """Write ``batch``; returns the dead letters of the records that could not be stored."""
        dead: list[DeadLetter] = []
        pairs: list[tuple[Article, ArticleRow]] = []
        for article in batch:
            try:
                pairs.append((article, article_row(article)))
            except Exception as error:  # a malformed record is dead-lettered, not dropped
                dead.append(dead_letter_for(STAGE, article, error))
        versions = versions_per_id(pairs)
        if not versions:
            return dead
        try:
            self._write_with_retries([newest[1] for newest, *_ in versions.values()])
            return dead
        except self._rejected:
            pass  # find the rejected record(s): write one at a time
        for candidates in versions.values():
            # As if written one after another: a rejected newest version leaves the
            # previous one stored, so each older version is tried until one is accepted.
            for article, row in candidates:
                try:
                    self._write_with_retries([row])
                    break
                except self._rejected as error:
                    message = scrub(f"{type(error).__name__}: {error}", self._secrets)
                    dead.append(dead_letter_for(STAGE, article, StageError("postgres_rejected", message)))
        return dead

    def process(self, batch: Sequence[Article]) -> Iterable[Any]:
        # Outputs are yielded after the timed block: fused downstream work is not the sink's latency.
        metrics = self._metrics
        metrics.records_in.inc(len(batch))
        metrics.batch_size.update(len(batch))
        with metrics.timed(len(batch)):
            dead = self._write_batch(batch)
        metrics.records_out.inc(len(batch) - len(dead))
        for letter in dead:
            metrics.dead_letter(letter.reason)
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, letter)


class PostgresSink(beam.PTransform):
    """Write ``Article``s to PostgreSQL; returns the dead letters of rejected records.

    ``dsn`` None means: resolve ``$PGDSN`` / libpq's PG* variables on the worker.
    """

    def __init__(
        self,
        dsn: Optional[str] = None,
        batch_size: int = 100,
        max_attempts: int = 8,
        base_delay_s: float = 0.5,
        max_delay_s: float = 8.0,
    ):
        super().__init__()
        self.dsn = dsn
        self.batch_size = max(1, batch_size)
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        batches = articles | "Batch" >> beam.BatchElements(
            min_batch_size=self.batch_size, max_batch_size=self.batch_size
        )
        written = batches | "Write" >> beam.ParDo(
            _WriteArticlesFn(self.dsn, self.max_attempts, self.base_delay_s, self.max_delay_s)
        ).with_outputs(DEAD_LETTER, main=MAIN)
        return written[DEAD_LETTER]

    def __repr__(self) -> str:  # never show the DSN
        return f"PostgresSink(batch_size={self.batch_size})"
