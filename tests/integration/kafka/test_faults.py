"""Fault tests on the real broker, with counts that must balance.

(a) the broker is killed with -9 mid-stream and restarted: the streaming job rides it out
    and nothing is lost; (b) the ingest job is killed with -9 mid-stream and restarted with the
    same group: it resumes from the committed offsets, nothing is lost, duplicates are counted.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pytest

from tests.integration.kafka.helpers import (
    all_positions, committed_offsets, end_offsets, ingest_args, publish, kafka_sh, positions, producer, read_topic,
    run_ingest, start_ingest, stop, synthetic_article, unique_topic, wait_registered,
)

pytestmark = pytest.mark.integration


class Publisher(threading.Thread):
    """Publishes ``count`` articles at ``rate`` per second; keeps the positions the broker gave."""

    def __init__(self, topic: str, count: int, rate: float, tag: str):
        super().__init__(daemon=True)
        self.topic, self.count, self.rate, self.tag = topic, count, rate, tag
        self.sent: list[tuple[int, int]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        prod = producer()
        try:
            futures = []
            started = time.monotonic()
            for i in range(self.count):
                key, value = synthetic_article(i, self.tag)
                futures.append(prod.send(self.topic, key=key, value=value))
                time.sleep(max(0.0, started + (i + 1) / self.rate - time.monotonic()))
            prod.flush(timeout=120)
            self.sent = [(m.partition, m.offset) for m in (f.get(timeout=120) for f in futures)]
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            prod.close(timeout=10)


def _balance(raw: str, enriched: str, dead: str, expected: set[tuple[int, int]], timeout: float) -> Counter:
    out = read_topic(enriched, expect=len(expected), timeout=timeout)
    dead_letters = read_topic(dead, expect=0, timeout=1, settle=1)
    return Counter(positions(out, raw) + positions(dead_letters, raw))


def _raw_positions(raw: str, acknowledged: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every (partition, offset) of the raw topic. The producer may have written a record twice (a
    send retried after its acknowledgement was lost): each position it was not told of must hold
    the key of an acknowledged one, and every acknowledged position must be there."""
    everything = set(all_positions(raw))  # the producer has finished: the topic's end offsets are final
    keys = {(m.partition, m.offset): m.key for m in read_topic(raw, expect=len(everything), timeout=60, settle=0)}
    assert set(keys) == everything, "the raw topic was not read whole"
    assert acknowledged <= set(keys), f"acknowledged but missing: {sorted(acknowledged - set(keys))[:10]}"
    sent_keys = {keys[p] for p in acknowledged}
    strays = [p for p in keys if p not in acknowledged and keys[p] not in sent_keys]
    assert not strays, f"records nobody acknowledged a send of: {strays[:10]}"
    return set(keys)


def test_ingest_killed_mid_stream_resumes_from_committed_offsets(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    group = unique_topic("group")
    first = publish(raw, [synthetic_article(0, "first")])  # the topic exists when the job starts
    job = start_ingest(ingest_args(raw, enriched, dead, group, "--streaming", "--kafka_max_bundle_records", "10"),
                       tmp_path / "ingest.log")
    publisher = Publisher(raw, count=300, rate=50, tag="resume")
    try:
        read_topic(enriched, expect=1, timeout=90, settle=0)
        publisher.start()
        before_kill = read_topic(enriched, expect=60, timeout=90, settle=0)
        assert len(before_kill) >= 60, (tmp_path / "ingest.log").read_text()[-3000:]
        deadline = time.monotonic() + 30
        while not any(committed_offsets(raw, group).values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop(job, signal.SIGKILL)  # mid-stream: the publisher is still sending
        assert publisher.is_alive(), "the publisher finished before the kill: not mid-stream"
        assert job.returncode == -signal.SIGKILL
    finally:
        stop(job, signal.SIGKILL)
    committed_at_kill = committed_offsets(raw, group)
    publisher.join(timeout=120)
    assert publisher.error is None, publisher.error
    assert sum(o or 0 for o in committed_at_kill.values()) > 0, "nothing was committed before the kill"

    run_ingest(ingest_args(raw, enriched, dead, group))  # restart, same group, bounded: up to the end
    expected = _raw_positions(raw, set(publisher.sent) | set(first))  # retried sends included
    seen = _balance(raw, enriched, dead, expected, timeout=60)
    assert set(seen) == expected, f"lost: {sorted(expected - set(seen))[:10]}"
    duplicated = [pos for pos, n in seen.items() if n > 1]
    print(f"\n[faults] ingest kill -9: {len(expected)} inputs, {sum(seen.values())} outputs, "
          f"{sum(seen.values()) - len(seen)} duplicates; committed at kill {committed_at_kill}")
    # Only what was read after the last commit is delivered again: the restart resumed there.
    assert all(o >= (committed_at_kill[p] or 0) for p, o in duplicated), (duplicated, committed_at_kill)
    assert max(seen.values()) <= 2
    assert committed_offsets(raw, group) == end_offsets(raw)


def test_broker_killed_mid_stream_job_recovers_nothing_lost(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    group = unique_topic("group")
    job = start_ingest(ingest_args(raw, enriched, dead, group, "--streaming", "--kafka_max_bundle_records", "20"),
                       tmp_path / "ingest.log")
    publisher = Publisher(raw, count=400, rate=50, tag="outage")
    try:
        publisher.start()
        first = read_topic(enriched, expect=50, timeout=90, settle=0)
        assert len(first) >= 50, (tmp_path / "ingest.log").read_text()[-3000:]
        kafka_sh("kill-broker")
        time.sleep(3)
        kafka_sh("start")
        publisher.join(timeout=180)
        assert publisher.error is None, publisher.error
        acknowledged = set(publisher.sent)
        assert len(acknowledged) == 400
        # A send whose acknowledgement was lost in the outage is retried, so the raw topic may hold
        # a record twice (at-least-once production): every record in it must come out.
        expected = _raw_positions(raw, acknowledged)
        seen = _balance(raw, enriched, dead, expected, timeout=120)
        log = (tmp_path / "ingest.log").read_text(errors="replace")
        assert job.poll() is None, f"the job died with the broker:\n{log[-3000:]}"
        assert set(seen) == expected, f"lost {len(expected - set(seen))}: {sorted(expected - set(seen))[:10]}"
        duplicates = sum(seen.values()) - len(seen)
        print(f"\n[faults] broker kill: {len(expected)} inputs ({len(expected) - len(acknowledged)} written twice "
              f"by the producer), {sum(seen.values())} outputs, {duplicates} duplicates")
    finally:
        stop(job)
        if kafka_sh("status", check=False).returncode != 0:
            kafka_sh("start")
        wait_registered()  # the next tests create topics

