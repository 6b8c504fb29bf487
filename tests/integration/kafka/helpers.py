"""Helpers for the Kafka integration tests: the broker script, topics, the ingest process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from transforms.kafka_io import TopicNotFoundError, list_partitions

ROOT = Path(__file__).resolve().parents[3]
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"
BOOTSTRAP = f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"
API_VERSION = (0, 9)
API_FLAG = "0.9"
# Test subprocesses log only warnings; the broker's reconnect noise is expected in fault tests.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}


def kafka_sh(*args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(KAFKA_SH), *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"kafka.sh {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def wait_registered(timeout: float = 60.0) -> None:
    """Wait until the broker is registered in ZooKeeper (metadata lists it). Its port opens
    a few seconds earlier, and topics created meanwhile fail ("larger than available brokers: 0")."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, api_version=API_VERSION, request_timeout_ms=5000)
            try:
                if admin.describe_cluster()["brokers"]:
                    return
            finally:
                admin.close()
        except KafkaError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the broker at {BOOTSTRAP} did not register within {timeout:.0f} s")
        time.sleep(0.5)


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_topic(name: str, partitions: int = 2) -> None:
    """Create ``name`` up front (auto-creation would race with the first reader)."""
    kafka_sh("topic", name, str(partitions))


def producer() -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=BOOTSTRAP, api_version=API_VERSION, acks="all", retries=100,
                         retry_backoff_ms=200, linger_ms=2, max_request_size=4 << 20,
                         enable_idempotence=False, max_in_flight_requests_per_connection=1)


def publish(topic: str, messages: Iterable[tuple[Optional[bytes], bytes]]) -> list[tuple[int, int]]:
    """Send (key, value) pairs; returns their (partition, offset) positions."""
    prod = producer()
    try:
        futures = [prod.send(topic, key=key, value=value) for key, value in messages]
        prod.flush()
        metas = [f.get(timeout=30) for f in futures]
    finally:
        prod.close()
    return [(m.partition, m.offset) for m in metas]


@dataclass(frozen=True)
class Message:
    partition: int
    offset: int
    key: Optional[bytes]
    value: dict


def read_topic(topic: str, expect: int, timeout: float = 60.0, settle: float = 1.0) -> list[Message]:
    """Every message of ``topic`` from the beginning: waits until ``expect`` arrived (or the
    timeout), then ``settle`` seconds more so that duplicates and extras are seen too."""
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, api_version=API_VERSION, enable_auto_commit=False,
                             group_id=None, max_partition_fetch_bytes=8 << 20)
    try:
        try:
            partitions = list_partitions(consumer, topic, timeout_s=min(30.0, timeout))
        except TopicNotFoundError:  # a topic nobody wrote to does not exist
            return []
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: list[Message] = []
        deadline = time.monotonic() + timeout
        settle_until = None
        while time.monotonic() < (settle_until or deadline):
            for batch in consumer.poll(timeout_ms=200).values():
                out += [Message(m.partition, m.offset, m.key, orjson.loads(m.value)) for m in batch]
            if settle_until is None and len(out) >= expect:
                settle_until = time.monotonic() + settle
        return out
    finally:
        consumer.close(autocommit=False)


def committed_offsets(topic: str, group: str) -> dict[int, Optional[int]]:
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, api_version=API_VERSION, group_id=group,
                             enable_auto_commit=False)
    try:
        return {p: consumer.committed(TopicPartition(topic, p)) for p in sorted(consumer.partitions_for_topic(topic))}
    finally:
        consumer.close(autocommit=False)


def ingest_args(input_topic: str, output_topic: str, dead_topic: str, group: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.ingest", "--kafka_bootstrap_servers", BOOTSTRAP,
            "--kafka_api_version", API_FLAG, "--input_topic", input_topic, "--output_topic", output_topic,
            "--dead_letter_topic", dead_topic, "--group_id", group, *extra]


def run_ingest(args: Sequence[str], timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), cwd=ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"ingest failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result


def start_ingest(args: Sequence[str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen(list(args), cwd=ROOT, env=SUBPROCESS_ENV, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the process (by pid) and wait for it."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def end_offsets(topic: str) -> dict[int, int]:
    """The next offset of every partition of ``topic``, read by a consumer of its own (not by the
    planner under test: the tests compare the job's commits with this)."""
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, api_version=API_VERSION)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_end(*tps)
        return {tp.partition: consumer.position(tp) for tp in tps}
    finally:
        consumer.close(autocommit=False)


def all_positions(topic: str) -> list[tuple[int, int]]:
    """Every (partition, offset) in ``topic``."""
    return [(p, o) for p, end in end_offsets(topic).items() for o in range(end)]


def positions(messages: Iterable[Message], topic: str) -> list[tuple[int, int]]:
    """The input (partition, offset) each output record names in its origin."""
    out = []
    for message in messages:
        origin = message.value.get("origin") or {}
        assert origin.get("topic") == topic, f"output names another input: {origin}"
        out.append((origin["partition"], origin["offset"]))
    return out


ARTICLE_TEMPLATES = (
    "{city} council members voted on {day} to expand the {thing} programme, the mayor's office said. "
    "Officials expect the change to reach {n} households by next spring.",
    "Researchers at the University of {city} reported on {day} that a new {thing} design cut costs by "
    "{n} percent in field trials, according to a statement.",
    "Fishermen in {city} said on {day} that {thing} prices rose for the {n}th week in a row as "
    "storms kept boats in port.",
)
CITIES = ("Porto", "Gdansk", "Valparaiso", "Tromso", "Cebu", "Mombasa", "Halifax", "Tbilisi")
THINGS = ("bus", "water filter", "solar lamp", "library", "ferry", "seed bank")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def synthetic_article(i: int, tag: str) -> tuple[bytes, bytes]:
    """A small raw article (key, JSON value) written for these tests, unlike the samples."""
    text = ARTICLE_TEMPLATES[i % len(ARTICLE_TEMPLATES)].format(
        city=CITIES[i % len(CITIES)], day=DAYS[i % len(DAYS)], thing=THINGS[i % len(THINGS)], n=3 + i % 40)
    record_id = f"{tag}-{i:05d}"
    value = {"id": record_id, "text": text, "url": f"https://news.example.org/{tag}/{i}",
             "fetched_at": "2026-11-20T10:00:00Z", "title": f"Report {i}"}
    return record_id.encode(), orjson.dumps(value)
