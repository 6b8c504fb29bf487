"""Kafka in and out on kafka-python: a splittable-DoFn source and a producer sink.

Beam's own ``ReadFromKafka``/``WriteToKafka`` are cross-language transforms that need
a Java expansion service fetched from Maven at run time; this module is plain Python
and runner-neutral.

Source (:class:`ReadFromKafka`): one element per topic partition, each read by a
splittable DoFn over an offset-range restriction. Bounded mode reads from the
group's committed offset (or the earliest one) to the end offset seen at start;
unbounded mode follows the partition, advances a manual watermark to wall time when
caught up, and defers the remainder when idle. Unbounded, one more element per topic
(``AddedPartitions``) re-reads the topic's metadata every ``partition_discovery_seconds``
and reads the partitions added since the start. Trackers report progress and sizes as
offsets left (the backlog to the high-water mark each fetch returns, ``END_ESTIMATES``),
and the gauges ``kafka.backlog_records[.<topic>.<partition>]`` show it. Each bundle registers a bundle
finaliser that commits the next offset of what it read, so offsets are committed
only after the runner has completed the bundle -- including the sinks fused into it
(the sinks flush in ``finish_bundle``). A crash re-delivers rather than loses.

Records come out as ``RawRecord(fmt="json")`` with the message key and a Kafka
``Origin``; event time is the payload's ``fetched_at`` (or ``published_at``), never a
broker timestamp (0.9 brokers have none).

Sink (:class:`WriteToKafka`): records' ``to_dict()`` as orjson, keyed by ``id``; the
producer is flushed in ``finish_bundle`` and any failed send fails the bundle.

Connection settings (:class:`KafkaConfig`) include SASL/SSL; the SASL user name and
password are read from environment variables on the worker and never stored or logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, NamedTuple, Optional, Sequence

import apache_beam as beam
import orjson
from apache_beam.io.iobase import RestrictionProgress, RestrictionTracker
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider, WatermarkEstimatorProvider
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Duration, Timestamp

from schemas.records import Origin, RawRecord

_LOG = logging.getLogger(__name__)
STAGE = "kafka"
# Stop offset of an unbounded restriction (Kafka offsets are signed 64-bit).
UNBOUNDED_STOP = 2**63 - 1
USERNAME_ENV = "KAFKA_SASL_USERNAME"
PASSWORD_ENV = "KAFKA_SASL_PASSWORD"
EVENT_TIME_FIELDS = ("fetched_at", "published_at")
# Set (``request_stop``) to make this process's readers finish: each ends its restriction
# after the records it has claimed, so the runner completes the pipeline normally (sinks
# flush, bundle finalisers commit the offsets of what was read). Used for Ctrl-C.
_STOP_READING = threading.Event()


def request_stop() -> None:
    """Make every Kafka reader in this process stop at its next record boundary."""
    _STOP_READING.set()


def stop_requested() -> bool:
    return _STOP_READING.is_set()


def parse_api_version(text: Optional[str]) -> Optional[tuple[int, ...]]:
    """``auto``/empty -> None (negotiate); ``0.9`` -> (0, 9); ``2.3.0`` -> (2, 3, 0)."""
    if text is None or text.strip().lower() in ("", "auto"):
        return None
    try:
        parts = tuple(int(p) for p in text.strip().split("."))
    except ValueError:
        raise ValueError(f"Kafka API version must be 'auto' or like '0.9' or '2.3.0', not {text!r}") from None
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"Kafka API version must have 2 or 3 parts, not {text!r}")
    return parts


@dataclass(frozen=True)
class KafkaConfig:
    """How to reach the cluster. Holds no secrets: SASL credentials come from env vars."""

    bootstrap_servers: str
    api_version: Optional[tuple[int, ...]] = None
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: Optional[str] = None
    ssl_cafile: Optional[str] = None
    client_id: str = "news-ingest"
    username_env: str = USERNAME_ENV
    password_env: str = PASSWORD_ENV

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments common to kafka-python producers and consumers."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()],
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.api_version is not None:
            kwargs["api_version"] = self.api_version
        if self.ssl_cafile:
            kwargs["ssl_cafile"] = self.ssl_cafile
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            if self.sasl_mechanism.upper() != "GSSAPI":
                username = os.environ.get(self.username_env)
                password = os.environ.get(self.password_env)
                if not username or not password:
                    raise ValueError(
                        f"SASL mechanism {self.sasl_mechanism} needs the environment variables "
                        f"{self.username_env} and {self.password_env}")
                kwargs["sasl_plain_username"] = username
                kwargs["sasl_plain_password"] = password
        return kwargs


NEGOTIATION_HINT = ("\n(the API version was to be negotiated: a broker that cannot negotiate -- Kafka before 0.10, "
                    "librdkafka's mock cluster -- needs --kafka_api_version, e.g. 0.9 or 2.3)")


def kafka_error_message(config: KafkaConfig, error: Exception) -> str:
    """A message saying what failed (plus a version hint when the brokers could not be reached
    while negotiating): no connection, authentication or authorization refused, a missing topic,
    or another error."""
    from kafka import errors

    detail = str(error)  # kafka-python's errors name their class; others get it added
    if type(error).__name__ not in detail:
        detail = f"{type(error).__name__}: {detail}"
    brokers = config.bootstrap_servers
    unreachable = (errors.KafkaConnectionError, errors.KafkaTimeoutError, errors.NodeNotReadyError,
                   errors.MetadataEmptyBrokerList, errors.BrokerNotAvailableError, errors.NetworkExceptionError)
    if isinstance(error, unreachable):  # a bootstrap that gives up raises KafkaTimeoutError
        return (f"error: cannot connect to Kafka at {brokers}: {detail}"
                + ("" if config.api_version else NEGOTIATION_HINT))
    if isinstance(error, (errors.SaslAuthenticationFailedError, errors.UnsupportedSaslMechanismError)):
        return f"error: Kafka at {brokers} refused the authentication: {detail}"
    if isinstance(error, errors.AuthorizationError):
        return f"error: Kafka at {brokers} denied access: {detail}"
    if isinstance(error, TopicNotFoundError):
        return f"error: Kafka at {brokers}: {error}"
    return f"error: Kafka at {brokers} failed the request: {detail}"


def _fetch_bytes(max_record_bytes: int) -> int:
    """Per-partition fetch size: a whole record must fit (0.9 consumers stall otherwise)."""
    return max(1 << 20, max_record_bytes + (64 << 10))


def make_consumer(config: KafkaConfig, group_id: Optional[str], max_record_bytes: int, **extra: Any):
    """A manually assigned consumer (no group membership, no auto-commit)."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=_fetch_bytes(max_record_bytes),
        fetch_max_bytes=max(50 << 20, _fetch_bytes(max_record_bytes)),
        **config.client_kwargs(),
        **extra,
    )


PRODUCER_BATCH_BYTES = 1 << 20  # per-partition batch; kafka-python's 16 KB default holds ~2 enriched articles


def producer_settings(max_request_bytes: int = 8 << 20) -> dict[str, Any]:
    """The sinks' producer settings (before the connection's ``client_kwargs``).

    ``batch_size`` is raised from kafka-python's 16 KB: enriched articles are 5-8 KB, so
    the default closed a batch every ~2 records and the producer's network thread built
    one produce request per ~2 records (~0.25 CPU-ms per article, holding the GIL).
    """
    return {
        "acks": "all",
        "retries": 2**31 - 1,
        "retry_backoff_ms": 200,
        "linger_ms": 2,
        "batch_size": min(PRODUCER_BATCH_BYTES, max_request_bytes),
        "max_request_size": max_request_bytes,
        "max_in_flight_requests_per_connection": 1,
        "delivery_timeout_ms": 300_000,
        "request_timeout_ms": 30_000,
    }


def make_producer(config: KafkaConfig, max_request_bytes: int = 8 << 20, **extra: Any):
    """A producer that waits for all in-sync replicas and retries through broker outages."""
    from kafka import KafkaProducer

    settings = producer_settings(max_request_bytes)
    if config.api_version is not None and config.api_version < (0, 11):
        settings["enable_idempotence"] = False  # needs 0.11+; said explicitly to avoid a warning
    settings.update(extra)
    return KafkaProducer(**config.client_kwargs(), **settings)


@dataclass(frozen=True)
class ReadSettings:
    """What every part of the source needs to read: one value, passed around whole (it pickles).

    ``commit_offsets`` is only honoured with a ``group_id``; ``discovery_seconds`` > 0 (unbounded
    reads planned at run time) re-reads the topics' metadata that often for added partitions.
    """

    config: KafkaConfig
    group_id: Optional[str]
    max_bytes: int
    bounded: bool
    start_from: str = "earliest"
    max_bundle_records: int = 1000
    max_bundle_seconds: float = 1.0
    poll_timeout_ms: int = 100
    commit_offsets: bool = True
    discovery_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.start_from not in ("earliest", "latest"):
            raise ValueError("start_from must be 'earliest' or 'latest'")
        if self.discovery_seconds < 0:
            raise ValueError("discovery_seconds must be >= 0")

    @property
    def commit_to_group(self) -> bool:
        """Whether readers commit offsets: ``commit_offsets`` and a group to commit for."""
        return self.commit_offsets and bool(self.group_id)


# --------------------------------------------------------------------------- event time


def parse_event_time(value: Optional[str]) -> Optional[Timestamp]:
    """An ISO 8601 date-time (``Z`` or offset; naive means UTC) as a Beam Timestamp."""
    if not isinstance(value, str) or not 10 <= len(value) <= 64:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return Timestamp.from_utc_datetime(moment.astimezone(timezone.utc))
    except (ValueError, OverflowError):
        return None


def event_time_of(value: Optional[bytes], max_bytes: int) -> Optional[Timestamp]:
    """Event time from a message payload (``fetched_at`` then ``published_at``), else None."""
    if not value or len(value) > max_bytes or not value.lstrip()[:1] == b"{":
        return None
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    for name in EVENT_TIME_FIELDS:
        moment = parse_event_time(payload.get(name))
        if moment is not None:
            return moment
    return None


def raw_record_of(topic: str, partition: int, offset: int, key: Optional[bytes], value: Optional[bytes],
                  max_bytes: int) -> RawRecord:
    """A message as a RawRecord; a value over ``max_bytes`` is cut (true size and hash kept)."""
    data = value or b""
    origin = Origin(topic=topic, partition=partition, offset=offset)
    key_text = key.decode("utf-8", "replace")[:256] if key else None
    if len(data) > max_bytes:
        return RawRecord(origin=origin, fmt="json", data=data[:max_bytes], size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), key=key_text)
    return RawRecord(origin=origin, fmt="json", data=data, key=key_text)


# --------------------------------------------------------------------------- source


class KafkaPartition(NamedTuple):
    """One partition to read and the offsets [start, stop) found for it at start."""

    topic: str
    partition: int
    start: int
    stop: int

    @property
    def bounded(self) -> bool:
        return self.stop < UNBOUNDED_STOP


TOPIC_WAIT_SECONDS = 30.0  # how long a read waits for a topic it cannot find to be auto-created


class TopicNotFoundError(LookupError):
    """A topic to read does not exist, even after waiting for a broker to auto-create it."""


def list_partitions(consumer, topic: str, timeout_s: Optional[float] = None) -> list[int]:
    """The partition ids of ``topic`` (fresh metadata); waits ``timeout_s`` (default
    ``TOPIC_WAIT_SECONDS``) for a new topic to be auto-created, then raises TopicNotFoundError."""
    timeout_s = TOPIC_WAIT_SECONDS if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    consumer.topics()  # forces a metadata request: partitions added since are seen
    ids = consumer.partitions_for_topic(topic)
    while not ids and time.monotonic() < deadline:
        time.sleep(0.5)
        consumer.topics()
        ids = consumer.partitions_for_topic(topic)
    if not ids:
        raise TopicNotFoundError(f"Kafka topic {topic!r} not found (waited {timeout_s:g} s for it to be created)")
    return sorted(ids)


def plan_topic_partitions(consumer, partitions: Sequence[Any], bounded: bool,
                          start_from: str = "earliest") -> list[KafkaPartition]:
    """Where to read each ``TopicPartition``: committed offset (else earliest/latest) to end.

    Uses only requests every broker version has (seek + position), so it works on 0.9.
    """
    partitions = list(partitions)
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    earliest = {tp: consumer.position(tp) for tp in partitions}
    consumer.seek_to_end(*partitions)
    latest = {tp: consumer.position(tp) for tp in partitions}
    plan = []
    for tp in partitions:
        committed = consumer.committed(tp) if consumer.config.get("group_id") else None
        if committed is not None:
            start = min(max(committed, earliest[tp]), latest[tp])
            if committed < earliest[tp]:
                _LOG.warning("%s[%d]: committed offset %d was deleted by retention; reading from %d",
                             tp.topic, tp.partition, committed, earliest[tp])
        else:
            start = earliest[tp] if start_from == "earliest" else latest[tp]
        stop = latest[tp] if bounded else UNBOUNDED_STOP
        plan.append(KafkaPartition(tp.topic, tp.partition, start, max(start, stop)))
    consumer.unsubscribe()
    return plan


def plan_partitions(consumer, topics: Sequence[str], bounded: bool, start_from: str = "earliest") -> list[KafkaPartition]:
    """Where to read every partition of ``topics`` (see ``plan_topic_partitions``)."""
    from kafka import TopicPartition

    partitions = [TopicPartition(topic, p) for topic in topics for p in list_partitions(consumer, topic)]
    return plan_topic_partitions(consumer, partitions, bounded, start_from)


def plan_bounded_read(config: KafkaConfig, topics: Sequence[str], group_id: Optional[str], max_bytes: int,
                      start_from: str = "earliest") -> list[KafkaPartition]:
    """The partitions and offset ranges a bounded read of ``topics`` would cover, planned now."""
    consumer = make_consumer(config, group_id, max_bytes)
    try:
        return plan_partitions(consumer, topics, True, start_from)
    finally:
        consumer.close(autocommit=False)


def commit_plan(config: KafkaConfig, group_id: str, plan: Sequence[KafkaPartition]) -> None:
    """Commit the end of every planned range for ``group_id`` (after a bounded run succeeded)."""
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata

    offsets = {TopicPartition(p.topic, p.partition): OffsetAndMetadata(p.stop, "", -1)
               for p in plan if p.bounded and p.stop > p.start}
    if not offsets:
        return
    consumer = make_consumer(config, group_id, 1 << 20)
    try:
        consumer.commit(offsets)
    finally:
        consumer.close(autocommit=False)


def committed_offsets(config: KafkaConfig, group_id: str, plan: Sequence[KafkaPartition]) -> dict[tuple[str, int], Optional[int]]:
    """The group's committed offset of every planned partition (None when there is none)."""
    from kafka import TopicPartition

    consumer = make_consumer(config, group_id, 1 << 20)
    try:
        return {(p.topic, p.partition): consumer.committed(TopicPartition(p.topic, p.partition)) for p in plan}
    finally:
        consumer.close(autocommit=False)


def finish_bounded_read(config: KafkaConfig, group_id: str, plan: Sequence[KafkaPartition], records_read: int,
                        commit: bool) -> Optional[str]:
    """After a bounded run: check the whole plan was read; with ``commit``, commit its ends.

    Returns what is wrong, or None. A run that stopped early (a runner that drops
    splittable-DoFn checkpoints) must not pass for a complete replay, and with ``commit``
    nothing is committed then, so the records are read again rather than lost.
    """
    planned = sum(p.stop - p.start for p in plan)
    if commit:
        if records_read < planned:  # offset gaps (compaction) also land here: safe, re-read
            return f"read {records_read} of the {planned} planned records; offsets not committed"
        commit_plan(config, group_id, plan)
        return None
    committed = committed_offsets(config, group_id, plan)
    short = [f"{p.topic}[{p.partition}] at {committed[(p.topic, p.partition)]} of {p.stop}"
             for p in plan if p.stop > p.start and (committed[(p.topic, p.partition)] or 0) < p.stop]
    if short:
        return "the replay stopped before the end offsets seen at start: " + ", ".join(short)
    return None


class _PlanPartitionsFn(beam.DoFn):
    """The partitions to read, planned at start; with ``discovery_seconds`` also one
    ``AddedPartitions`` element per topic, which reads the partitions added later."""

    def __init__(self, settings: ReadSettings, topics: Sequence[str]):
        self.settings = settings
        self.topics = list(topics)

    def process(self, _impulse) -> Iterator[KafkaPartition]:
        settings = self.settings
        consumer = make_consumer(settings.config, settings.group_id, settings.max_bytes)
        try:
            plan = plan_partitions(consumer, self.topics, settings.bounded, settings.start_from)
        finally:
            consumer.close(autocommit=False)
        for item in plan:
            _LOG.info("kafka source: %s[%d] offsets %d..%s", item.topic, item.partition, item.start,
                      item.stop if item.bounded else "end")
            yield item
        if settings.discovery_seconds > 0 and not settings.bounded:
            for topic in self.topics:
                yield AddedPartitions(topic, 1 + max(p.partition for p in plan if p.topic == topic))


class AddedPartitions(NamedTuple):
    """Streaming: the partitions of ``topic`` numbered ``first_id`` and up, added after the
    start. One element reads them all (found by re-reading the topic's metadata), in the
    same stage as the partitions planned at start: runners such as the FnApiRunner do not
    pass data from one unbounded stage to the next, so discovery cannot be a stage of its own."""

    topic: str
    first_id: int


class AddedPartitionsRange(NamedTuple):
    """The restriction of ``AddedPartitions``: partition ids from ``next_id`` not yet found,
    and each found partition's next offset to read, as ``(partition, offset)`` pairs."""

    topic: str
    next_id: int
    positions: tuple[tuple[int, int], ...] = ()


class AddedPartitionsTracker(RestrictionTracker):
    """Claims ``("add", ((partition, start), ...))`` (partitions found) and ``(partition, offset)``
    (a record read). Unbounded, never finished; only checkpoints split it. Its progress is the
    backlog of the partitions it reads, from ``END_ESTIMATES``."""

    def __init__(self, restriction: AddedPartitionsRange, estimates: "EndOffsetEstimates"):
        self._restriction = restriction
        self._estimates = estimates
        self._positions = dict(restriction.positions)
        self._next_id = restriction.next_id
        self._stopped = False
        self._lock = threading.Lock()

    def _now(self) -> AddedPartitionsRange:
        return AddedPartitionsRange(self._restriction.topic, self._next_id, tuple(sorted(self._positions.items())))

    def current_restriction(self) -> AddedPartitionsRange:
        return self._restriction

    def positions(self) -> dict[int, int]:
        with self._lock:
            return dict(self._positions)

    def try_claim(self, position) -> bool:
        with self._lock:
            if self._stopped:
                return False
            if position[0] == "stop":  # the reader stops for good (request_stop): nothing is left
                self._stopped = True
                return False
            if position[0] == "add":
                for partition, start in position[1]:
                    if partition < self._next_id or partition in self._positions:
                        raise ValueError(f"partition {partition} was already added")
                    self._positions[partition] = start
                    self._next_id = max(self._next_id, partition + 1)
                return True
            partition, offset = position
            if offset < self._positions[partition]:
                raise ValueError(f"offset {offset} of partition {partition} was claimed already")
            self._positions[partition] = offset + 1
            return True

    def try_split(self, fraction_of_remainder: float):
        with self._lock:
            if fraction_of_remainder > 0 or self._stopped:
                return None
            self._stopped = True
            residual = self._now()
            self._restriction = AddedPartitionsRange(residual.topic, residual.next_id, ())  # done: nothing left
            return self._restriction, residual

    def check_done(self) -> None:
        if not self._stopped:
            raise ValueError("an AddedPartitions restriction never finishes; it must be checkpointed")

    def current_progress(self) -> RestrictionProgress:
        with self._lock:
            start = dict(self._restriction.positions)
            positions = dict(self._positions)
        completed = sum(max(0, offset - start.get(p, offset)) for p, offset in positions.items())
        remaining = 0
        for partition, offset in positions.items():
            end = self._estimates.end(self._restriction.topic, partition)
            remaining += 0 if end is None else max(0, end - offset)
        return RestrictionProgress(completed=float(completed), remaining=float(remaining))

    def is_bounded(self) -> bool:
        return False


class PartitionRange(OffsetRange):
    """Offsets [start, stop) of one partition; names the partition so that its tracker can
    look up the partition's end-offset estimate (``create_tracker`` sees only the restriction)."""

    def __init__(self, topic: str, partition: int, start: int, stop: int):
        super().__init__(start, stop)
        self.topic = topic
        self.partition = partition

    def __eq__(self, other) -> bool:
        return (isinstance(other, PartitionRange) and (self.topic, self.partition, self.start, self.stop)
                == (other.topic, other.partition, other.start, other.stop))

    def __hash__(self) -> int:
        return hash((self.topic, self.partition, self.start, self.stop))

    def __repr__(self) -> str:
        return f"PartitionRange({self.topic}[{self.partition}], {self.start}, {self.stop})"

    def split_at(self, split_pos: int) -> tuple["PartitionRange", "PartitionRange"]:
        return (PartitionRange(self.topic, self.partition, self.start, split_pos),
                PartitionRange(self.topic, self.partition, split_pos, self.stop))


class EndOffsetEstimates:
    """This worker's latest known log end (high-water mark) and read position per partition.

    Readers update it after every fetch (the high-water mark comes with each fetch
    response, so it costs nothing); restriction trackers and ``restriction_size`` read it
    to report the backlog of an open-ended range. Thread-safe: the runner asks for
    progress from another thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ends: dict[tuple[str, int], int] = {}
        self._positions: dict[tuple[str, int], int] = {}

    def update(self, topic: str, partition: int, end: Optional[int], position: int) -> None:
        with self._lock:
            if end is not None and end >= 0:
                self._ends[(topic, partition)] = end
            self._positions[(topic, partition)] = position

    def end(self, topic: str, partition: int) -> Optional[int]:
        with self._lock:
            return self._ends.get((topic, partition))

    def backlog(self, topic: str, partition: int) -> Optional[int]:
        """Records between the partition's read position and its log end, if known."""
        with self._lock:
            end = self._ends.get((topic, partition))
            position = self._positions.get((topic, partition))
        return None if end is None or position is None else max(0, end - position)

    def total_backlog(self) -> int:
        """The backlog of every partition this worker has read (for the worker's gauge)."""
        with self._lock:
            return sum(max(0, end - self._positions[key]) for key, end in self._ends.items()
                       if key in self._positions)

    def forget(self, topic: str, partition: int) -> None:
        with self._lock:
            self._ends.pop((topic, partition), None)
            self._positions.pop((topic, partition), None)


END_ESTIMATES = EndOffsetEstimates()


def range_progress(start: int, position: int, stop: int, end_estimate: Optional[int]) -> RestrictionProgress:
    """Work done and left in offsets for a range read up to ``position`` (the next offset).

    Bounded: ``stop - position`` is left. Open-ended (``stop`` = 2^63-1): what is left is
    the backlog up to the estimated log end, 0 while no estimate is known (as Beam's
    Java ``GrowableOffsetRangeTracker`` does for an unknown estimate).
    """
    completed = max(0, position - start)
    if stop < UNBOUNDED_STOP:
        return RestrictionProgress(completed=float(completed), remaining=float(max(0, stop - position)))
    remaining = 0 if end_estimate is None else max(0, end_estimate - position)
    return RestrictionProgress(completed=float(completed), remaining=float(remaining))


class KafkaOffsetTracker(OffsetRestrictionTracker):
    """Offset tracker of one partition's range.

    * An open-ended range reports itself unbounded, and its progress and size as the
      backlog to the partition's estimated end (``END_ESTIMATES``) -- what a runner's
      autoscaler needs -- instead of a fraction of 2^63.
    * Only checkpoints (``try_split(0)``) are allowed. A fractional split would let two
      readers read one partition at once; their per-bundle offset commits would then no
      longer advance in order, and a crash could skip records. Kafka's unit of
      parallelism is the partition.
    """

    def __init__(self, offset_range: OffsetRange, estimates: EndOffsetEstimates = END_ESTIMATES):
        super().__init__(offset_range)
        self._estimates = estimates
        self._next = offset_range.start  # the next offset to read (after the last claimed one)

    def is_bounded(self) -> bool:
        return self.current_restriction().stop < UNBOUNDED_STOP

    def try_claim(self, position: int) -> bool:
        claimed = super().try_claim(position)
        if claimed:
            self._next = position + 1
        return claimed

    def end_estimate(self) -> Optional[int]:
        restriction = self.current_restriction()
        if not isinstance(restriction, PartitionRange):
            return None
        return self._estimates.end(restriction.topic, restriction.partition)

    def current_progress(self) -> RestrictionProgress:
        restriction = self.current_restriction()
        position = min(max(self._next, restriction.start), restriction.stop)
        return range_progress(restriction.start, position, restriction.stop, self.end_estimate())

    def try_split(self, fraction_of_remainder: float):
        if fraction_of_remainder > 0:
            return None
        return super().try_split(0)


class _PartitionRestrictions(RestrictionProvider):
    """A partition is read in order by one reader: its range is never split up front.

    Sizes and trackers use this worker's ``END_ESTIMATES`` (module state, not pickled).
    """

    def initial_restriction(self, element):
        if isinstance(element, AddedPartitions):
            return AddedPartitionsRange(element.topic, element.first_id)
        return PartitionRange(element.topic, element.partition, element.start, element.stop)

    def create_tracker(self, restriction):
        if isinstance(restriction, AddedPartitionsRange):
            return AddedPartitionsTracker(restriction, END_ESTIMATES)
        return KafkaOffsetTracker(restriction, END_ESTIMATES)

    def split(self, element, restriction):
        yield restriction

    def restriction_size(self, element: KafkaPartition, restriction: OffsetRange) -> float:
        """Offsets left: the range's, or for an open-ended one the backlog to the estimated
        end (1 while unknown: the reader has not fetched yet on this worker)."""
        if isinstance(restriction, AddedPartitionsRange):
            return max(1.0, AddedPartitionsTracker(restriction, END_ESTIMATES).current_progress().remaining_work)
        if restriction.stop < UNBOUNDED_STOP:
            return float(restriction.stop - restriction.start)
        end = END_ESTIMATES.end(element.topic, element.partition)
        return 1.0 if end is None else float(max(0, end - restriction.start))

    def truncate(self, element, restriction: OffsetRange):
        # On drain, an unbounded partition stops where it is; a bounded one finishes.
        if isinstance(restriction, AddedPartitionsRange):
            return None
        return None if restriction.stop >= UNBOUNDED_STOP else restriction


class _WatermarkProvider(WatermarkEstimatorProvider):
    def initial_estimator_state(self, element, restriction):
        return None

    def create_watermark_estimator(self, estimator_state):
        return ManualWatermarkEstimator(estimator_state)


def _advance(estimator: ManualWatermarkEstimator, moment: Timestamp) -> None:
    current = estimator.current_watermark()
    if current is None or moment > current:
        estimator.set_watermark(moment)


class _ReadPartitionFn(beam.DoFn):
    """Reads one partition's offset range; checkpoints every bundle so offsets get committed.

    A bundle ends (``defer_remainder``) after ``max_bundle_records`` records or
    ``max_bundle_seconds``; unbounded, after one fetch (or an empty poll), so the
    partitions a worker reads take turns and none waits behind a busy one.
    """

    def __init__(self, settings: ReadSettings):
        self.settings = settings

    def setup(self) -> None:
        self._consumers: dict[tuple[str, int], Any] = {}
        self._fetched: dict[tuple[str, int], list[Any]] = {}  # fetched, not yet emitted
        self._resume_at: dict[tuple[str, int], int] = {}  # the offset ``_fetched`` continues at
        self._committer = None
        self._commit_lock = threading.Lock()
        self.records_out = Metrics.counter(STAGE, "records_out")
        self.bytes_in = Metrics.counter(STAGE, "bytes_in")
        self.commits = Metrics.counter(STAGE, "offset_commits")
        self.commit_failures = Metrics.counter(STAGE, "offset_commit_failures")
        self.backlog = Metrics.gauge(STAGE, "backlog_records")
        self._partition_backlog: dict[tuple[str, int], Any] = {}
        self._added: dict[str, Any] = {}  # topic -> consumer of its added partitions
        self._added_at: dict[str, dict[int, int]] = {}  # topic -> where that consumer stands
        self._last_discovery: dict[str, float] = {}
        self.discovered = Metrics.counter(STAGE, "partitions_discovered")
        self.discovery_failures = Metrics.counter(STAGE, "partition_discovery_failures")

    def teardown(self) -> None:
        for consumer in [*getattr(self, "_consumers", {}).values(), *getattr(self, "_added", {}).values()]:
            consumer.close(autocommit=False)
        if getattr(self, "_committer", None) is not None:
            self._committer.close(autocommit=False)

    def _consumer(self, topic: str, partition: int, offset: int):
        """The partition's consumer and the records it fetched ahead, continuing at ``offset``."""
        from kafka import TopicPartition

        key = (topic, partition)
        consumer = self._consumers.get(key)
        tp = TopicPartition(topic, partition)
        if consumer is None:
            consumer = self._consumers[key] = make_consumer(self.settings.config, None, self.settings.max_bytes)
            consumer.assign([tp])
        if self._resume_at.get(key) != offset:  # first use, or the restriction moved: refetch
            consumer.seek(tp, offset)
            self._fetched[key] = []
        return consumer, tp, self._fetched.pop(key, [])

    def _commit(self, topic: str, partition: int, offset: int) -> None:
        """Bundle finaliser: commit ``offset`` (the next one to read) for the group."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        with self._commit_lock:
            try:
                if self._committer is None:
                    settings = self.settings
                    self._committer = make_consumer(settings.config, settings.group_id, settings.max_bytes)
                self._committer.commit({TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)})
                self.commits.inc()
            except Exception as error:  # at-least-once: a later commit covers it, else re-delivery
                self.commit_failures.inc()
                _LOG.warning("kafka source: commit of %s[%d]@%d failed: %s: %s", topic, partition, offset,
                             type(error).__name__, error)

    def _discover(self, topic: str, tracker, known: dict[int, int]) -> dict[int, int]:
        """Every ``discovery_seconds``: claim the topic's partitions added since (committed
        offset, else earliest: nothing published to them is skipped)."""
        from kafka import TopicPartition

        now = time.monotonic()
        if now - self._last_discovery.get(topic, -1e18) < self.settings.discovery_seconds:
            return {}
        self._last_discovery[topic] = now
        first_new = tracker.current_restriction().next_id
        consumer = make_consumer(self.settings.config, self.settings.group_id, self.settings.max_bytes)
        try:
            ids = list_partitions(consumer, topic, timeout_s=0.0)
            new = [TopicPartition(topic, p) for p in ids if p >= first_new and p not in known]
            plan = plan_topic_partitions(consumer, new, bounded=False) if new else []
        except Exception as error:  # transient (broker, metadata): the next round retries
            self.discovery_failures.inc()
            _LOG.warning("kafka source: partition discovery for %s failed: %s: %s", topic,
                         type(error).__name__, error)
            return {}
        finally:
            consumer.close(autocommit=False)
        if not plan or not tracker.try_claim(("add", tuple((p.partition, p.start) for p in plan))):
            return {}
        self.discovered.inc(len(plan))
        for item in plan:
            _LOG.warning("kafka source: new partition %s[%d], reading from offset %d", item.topic,
                         item.partition, item.start)
        return {item.partition: item.start for item in plan}

    def _read_added(self, element: AddedPartitions, finalizer, tracker, watermark) -> Iterator[Any]:
        """One bundle of the partitions added to ``element.topic`` while streaming: discovery
        when due, then one fetch over all of them."""
        from kafka import TopicPartition

        topic = element.topic
        if _STOP_READING.is_set():
            tracker.try_claim(("stop",))
            _advance(watermark, MAX_TIMESTAMP)
            return
        positions = dict(tracker.current_restriction().positions)
        positions.update(self._discover(topic, tracker, positions))
        start = dict(positions)
        if not positions:
            _advance(watermark, Timestamp.now())
            tracker.defer_remainder(Duration.of(min(self.settings.discovery_seconds, 60.0)))
            return
        consumer = self._added.get(topic)
        at = self._added_at.get(topic, {})
        if consumer is None or set(at) != set(positions):
            if consumer is None:
                consumer = self._added[topic] = make_consumer(self.settings.config, None, self.settings.max_bytes)
            consumer.assign([TopicPartition(topic, p) for p in sorted(positions)])
            at = {}
        for partition, offset in positions.items():
            if at.get(partition) != offset:  # first use, or the restriction moved: refetch
                consumer.seek(TopicPartition(topic, partition), offset)
        self._added_at[topic] = {}  # unknown until this call returns normally
        settings = self.settings
        fetched = consumer.poll(timeout_ms=settings.poll_timeout_ms, max_records=settings.max_bundle_records)
        emitted = 0
        for tp, batch in sorted(fetched.items()):
            for message in batch:
                if message.offset < positions[tp.partition]:
                    continue
                if not tracker.try_claim((tp.partition, message.offset)):
                    break
                positions[tp.partition] = message.offset + 1
                record = raw_record_of(message.topic, message.partition, message.offset,
                                       message.key, message.value, settings.max_bytes)
                moment = event_time_of(message.value, settings.max_bytes) or Timestamp.now()
                _advance(watermark, min(moment, Timestamp.now()))
                emitted += 1
                self.bytes_in.inc(record.true_size)
                yield TimestampedValue(record, moment)
        if not fetched:
            _advance(watermark, Timestamp.now())
        self.records_out.inc(emitted)
        for partition, offset in positions.items():
            tp = TopicPartition(topic, partition)
            self._report_backlog(topic, partition, consumer.highwater(tp), offset)
            if settings.commit_to_group and offset > start[partition]:
                finalizer.register(lambda p=partition, o=offset: self._commit(topic, p, o))
        self._added_at[topic] = {p: consumer.position(TopicPartition(topic, p)) for p in positions}
        tracker.defer_remainder()

    def _report_backlog(self, topic: str, partition: int, end: Optional[int], position: int) -> None:
        """Record the partition's end estimate and position; set the backlog gauges."""
        END_ESTIMATES.update(topic, partition, end, position)
        backlog = END_ESTIMATES.backlog(topic, partition)
        if backlog is None:
            return
        gauge = self._partition_backlog.get((topic, partition))
        if gauge is None:
            gauge = self._partition_backlog[(topic, partition)] = Metrics.gauge(
                STAGE, f"backlog_records.{topic}.{partition}")
        gauge.set(backlog)
        self.backlog.set(END_ESTIMATES.total_backlog())

    def process(
        self,
        element: KafkaPartition,
        finalizer=beam.DoFn.BundleFinalizerParam,  # positional placeholders must come first
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WatermarkProvider()),
    ) -> Iterator[Any]:
        if isinstance(element, AddedPartitions):
            yield from self._read_added(element, finalizer, tracker, watermark)
            return
        settings = self.settings
        restriction = tracker.current_restriction()
        bounded = restriction.stop < UNBOUNDED_STOP
        key = (element.topic, element.partition)
        consumer, tp, fetched = self._consumer(element.topic, element.partition, restriction.start)
        started = time.monotonic()
        emitted = 0
        next_offset = restriction.start
        done = False
        self._resume_at.pop(key, None)  # unknown until this call returns normally
        while not done:
            if _STOP_READING.is_set():
                tracker.try_claim(restriction.stop)  # ends the range: what was claimed is the primary
                done = True
                break
            if bounded and next_offset >= restriction.stop:
                tracker.try_claim(restriction.stop)  # marks the range finished
                done = True
                break
            if emitted >= settings.max_bundle_records or time.monotonic() - started >= settings.max_bundle_seconds:
                break
            if fetched:
                batch, fetched = fetched, []
            else:
                batch = consumer.poll(timeout_ms=settings.poll_timeout_ms, max_records=500).get(tp, [])
                END_ESTIMATES.update(element.topic, element.partition, consumer.highwater(tp), next_offset)
            if not batch:
                position = consumer.position(tp)
                if bounded and position >= restriction.stop:
                    next_offset = position  # offsets may have gaps (compaction, transactions)
                elif not bounded:
                    _advance(watermark, Timestamp.now())  # caught up: nothing older can come
                    break
                continue
            for index, message in enumerate(batch):
                if message.offset < next_offset:
                    continue
                if emitted >= settings.max_bundle_records:
                    fetched = batch[index:]  # kept for the next bundle: no refetch
                    break
                if not tracker.try_claim(message.offset):
                    done = True  # past the range's end, or the runner split the rest off
                    fetched = batch[index:]
                    break
                next_offset = message.offset + 1
                record = raw_record_of(message.topic, message.partition, message.offset,
                                       message.key, message.value, settings.max_bytes)
                moment = event_time_of(message.value, settings.max_bytes) or Timestamp.now()
                if not bounded:
                    _advance(watermark, min(moment, Timestamp.now()))
                emitted += 1
                self.bytes_in.inc(record.true_size)
                yield TimestampedValue(record, moment)
            if not bounded:
                break  # one fetch per bundle: partitions take turns, latency stays low
        self._fetched[key] = fetched
        self._resume_at[key] = next_offset
        self.records_out.inc(emitted)
        self._report_backlog(element.topic, element.partition, consumer.highwater(tp), next_offset)
        if settings.commit_to_group and next_offset > restriction.start:
            topic, partition, offset = element.topic, element.partition, next_offset
            finalizer.register(lambda: self._commit(topic, partition, offset))
        if not done:
            tracker.defer_remainder()
        elif bounded or _STOP_READING.is_set():
            _advance(watermark, MAX_TIMESTAMP)


class _UnboundedReadPartitionFn(_ReadPartitionFn):
    """The same reader, declared unbounded so runners treat the output as a stream.

    Beam reads the flag from the ``process`` method, so it is declared there.
    """

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        element: KafkaPartition,
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WatermarkProvider()),
    ) -> Iterator[Any]:
        yield from super().process(element, finalizer, tracker, watermark)


class ReadFromKafka(beam.PTransform):
    """Topics -> ``RawRecord``s (bounded replay or unbounded stream), offsets committed per bundle."""

    def __init__(
        self,
        config: KafkaConfig,
        topics: Sequence[str],
        group_id: Optional[str],
        bounded: bool,
        max_bytes: int,
        start_from: str = "earliest",
        max_bundle_records: int = 1000,
        max_bundle_seconds: float = 1.0,
        poll_timeout_ms: int = 100,
        partitions: Optional[Sequence[KafkaPartition]] = None,
        commit_offsets: bool = True,
        partition_discovery_seconds: float = 60.0,
    ):
        """``partitions``: a plan made before the run (``plan_partitions``) instead of one made
        at run time; ``commit_offsets=False`` leaves committing to the caller (e.g. after sinks
        that are not fused with the source, like grouped file writes, have finished).
        Unbounded, without ``partitions``: the topics' metadata is re-read every
        ``partition_discovery_seconds`` and partitions added meanwhile are read too (0: never)."""
        super().__init__()
        self.topics = list(topics)
        self.partitions = list(partitions) if partitions is not None else None
        settings = ReadSettings(
            config=config, group_id=group_id, max_bytes=max_bytes, bounded=bounded, start_from=start_from,
            max_bundle_records=max_bundle_records, max_bundle_seconds=max_bundle_seconds,
            poll_timeout_ms=poll_timeout_ms, commit_offsets=commit_offsets,
            discovery_seconds=partition_discovery_seconds)
        if bounded or self.partitions is not None:  # discovery only for unbounded reads planned at run time
            settings = replace(settings, discovery_seconds=0.0)
        self.settings = settings

    def expand(self, pbegin):
        reader_class = _ReadPartitionFn if self.settings.bounded else _UnboundedReadPartitionFn
        if self.partitions is not None:
            partitions = pbegin | "Partitions" >> beam.Create(self.partitions, reshuffle=False)
        else:
            partitions = (
                pbegin
                | "Impulse" >> beam.Impulse()
                | "Partitions" >> beam.ParDo(_PlanPartitionsFn(self.settings, self.topics))
            )
        return partitions | "ReadPartitions" >> beam.ParDo(reader_class(self.settings))


# --------------------------------------------------------------------------- sink


def record_key(record: Any) -> Optional[bytes]:
    """The message key of a record: its ``id`` (None leaves partitioning to the producer)."""
    record_id = getattr(record, "id", None)
    return record_id.encode("utf-8") if record_id else None


class KafkaSinkFn(beam.DoFn):
    """Sends records (``to_dict()`` as orjson, keyed by id); flushes and checks in finish_bundle."""

    def __init__(self, config: KafkaConfig, topic: str, max_request_bytes: int = 8 << 20):
        self.config = config
        self.topic = topic
        self.max_request_bytes = max_request_bytes

    def setup(self) -> None:
        self._producer = make_producer(self.config, self.max_request_bytes)
        self._pending: list[Any] = []
        self.records_out = Metrics.counter(STAGE, f"sent.{self.topic}")

    def start_bundle(self) -> None:
        self._pending = []

    def process(self, record: Any) -> Iterable[None]:
        value = orjson.dumps(record.to_dict())
        self._pending.append(self._producer.send(self.topic, value=value, key=record_key(record)))
        return ()

    def finish_bundle(self) -> None:
        self._producer.flush()
        failures = [f.exception for f in self._pending if f.failed()]
        sent = sum(1 for f in self._pending if f.succeeded())
        self._pending = []
        self.records_out.inc(sent)
        if failures:
            # Failing the bundle keeps its offsets uncommitted: the records are re-read, not lost.
            raise RuntimeError(f"{len(failures)} record(s) not written to Kafka topic {self.topic!r}: "
                               f"{type(failures[0]).__name__}: {failures[0]}")

    def teardown(self) -> None:
        producer = getattr(self, "_producer", None)
        if producer is not None:
            producer.close(timeout=10)


class WriteToKafka(beam.PTransform):
    """Write records to ``topic``. Apply it to each PCollection separately rather than to a
    Flatten: on the FnApiRunner a multi-input Flatten breaks fusion, and a sink outside the
    source's fused stage would run after the source's offsets were committed."""

    def __init__(self, config: KafkaConfig, topic: str, max_request_bytes: int = 8 << 20):
        super().__init__()
        self.config = config
        self.topic = topic
        self.max_request_bytes = max_request_bytes

    def expand(self, pcoll):
        return pcoll | "Send" >> beam.ParDo(KafkaSinkFn(self.config, self.topic, self.max_request_bytes))
