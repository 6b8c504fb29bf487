"""Kafka in and out on the real broker: bounded replay, streaming, bad and poison records."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

import orjson
import pytest

from tests.integration.kafka.helpers import (
    API_FLAG, BOOTSTRAP, ROOT, SUBPROCESS_ENV, all_positions, committed_offsets, end_offsets, ingest_args, positions, publish,
    read_topic, run_ingest, start_ingest, stop, synthetic_article, unique_topic,
)

pytestmark = pytest.mark.integration

MAX_INPUT_BYTES = 100_000
BAD_RECORDS = [
    (b"bad-json", b'{"id": "bad-json", "text": "cut off'),
    (b"not-object", b'["a", "list", "not", "an", "object"]'),
    (b"no-text", b'{"id": "no-text", "title": "Only a title"}'),
    (b"wrong-type", b'{"id": "wrong-type", "text": {"nested": true}}'),
    (b"not-utf8", b'{"id": "not-utf8", "text": "caf\xe9 au lait"}'),
    (None, b""),
    (b"oversize", orjson.dumps({"id": "oversize", "text": "word " * 30_000})),
]


def test_bounded_replay_every_input_once(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    group = unique_topic("group")
    published = subprocess.run(
        [sys.executable, "-m", "pipelines.publish", "--kafka_bootstrap_servers", BOOTSTRAP,
         "--kafka_api_version", "0.9", "--topic", raw, str(ROOT / "samples" / "*.txt")],
        cwd=ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=120)
    assert published.returncode == 0, published.stderr
    sample_count = len(list((ROOT / "samples").glob("*.txt")))
    assert f"{sample_count} records to {raw}" in published.stderr
    inputs = set(publish(raw, [synthetic_article(i, "replay") for i in range(20)] + BAD_RECORDS))
    inputs |= {(p, o) for p, o in all_positions(raw)}  # the samples' positions too
    assert len(inputs) == sample_count + 20 + len(BAD_RECORDS)

    result = run_ingest(ingest_args(raw, enriched, dead, group, "--max_input_bytes", str(MAX_INPUT_BYTES)))
    assert "balanced" in result.stdout, result.stdout

    out = read_topic(enriched, expect=1, timeout=30)
    dead_letters = read_topic(dead, expect=len(BAD_RECORDS), timeout=30)
    seen = Counter(positions(out, raw) + positions(dead_letters, raw))
    assert set(seen) == inputs, f"missing {inputs - set(seen)}, extra {set(seen) - inputs}"
    assert max(seen.values()) == 1, f"duplicates: {[k for k, n in seen.items() if n > 1]}"
    # Enriched records are keyed by id; the bad records are dead letters with reasons.
    assert all(m.key == m.value["id"].encode() for m in out)
    assert {m.value["id"] for m in out} >= {f"replay-{i:05d}" for i in range(20)}
    reasons = {m.value.get("id"): m.value["reason"] for m in dead_letters}
    assert reasons["oversize"] == "oversize"
    assert reasons["bad-json"] == "invalid_json"
    assert reasons["no-text"] == "missing_text"
    assert len(dead_letters) == len(BAD_RECORDS), [m.value["reason"] for m in dead_letters]

    # Offsets were committed: the same group's next bounded run reads nothing and writes nothing.
    ends = end_offsets(raw)
    assert committed_offsets(raw, group) == ends
    run_ingest(ingest_args(raw, enriched, dead, group))
    assert len(read_topic(enriched, expect=len(out) + 1, timeout=3)) == len(out)


def test_streaming_picks_up_records_published_after_start(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    group = unique_topic("group")
    publish(raw, [synthetic_article(i, "early") for i in range(5)])  # the topic exists before the job
    job = start_ingest(ingest_args(raw, enriched, dead, group, "--streaming"), tmp_path / "ingest.log")
    try:
        first = read_topic(enriched, expect=5, timeout=90, settle=0)
        assert {m.value["id"] for m in first} == {f"early-{i:05d}" for i in range(5)}, _log(tmp_path)
        assert job.poll() is None, "the streaming job ended by itself"
        later = publish(raw, [synthetic_article(i, "late") for i in range(10)] + BAD_RECORDS[:2])
        out = read_topic(enriched, expect=15, timeout=60)
        dead_letters = read_topic(dead, expect=2, timeout=30)
        seen = Counter(positions(out, raw) + positions(dead_letters, raw))
        assert set(later) <= set(seen), _log(tmp_path)
        assert max(seen.values()) == 1
        assert job.poll() is None, "the streaming job ended by itself"
    finally:
        stop(job)


def test_poison_record_is_dead_lettered_without_stalling_its_partition(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    key = b"one-partition"  # one key: every record lands in the same partition, in order
    poison = [
        {"id": "poison-deep", "text": "[" * 5000},
        {"id": "poison-controls", "text": "\u0000\u0007\u001b" * 2000},
        {"id": "poison-date", "text": "Market report for the week.", "published_at": "99999-13-45T99:99:99Z"},
        {"id": "poison-long-word", "text": "x" * 90_000},
        {"id": "poison-title", "text": "Short text here.", "title": "t" * 5000, "url": "javascript:alert(1)"},
    ]
    messages = [(key, synthetic_article(0, "before")[1])]
    messages += [(key, orjson.dumps(p)) for p in poison]
    messages += [(key, synthetic_article(i, "after")[1]) for i in range(3)]
    sent = publish(raw, messages)
    assert len({p for p, _ in sent}) == 1
    run_ingest(ingest_args(raw, enriched, dead, unique_topic("group"), "--max_input_bytes", str(MAX_INPUT_BYTES)))
    out = read_topic(enriched, expect=4, timeout=30)
    dead_letters = read_topic(dead, expect=1, timeout=5)
    seen = Counter(positions(out, raw) + positions(dead_letters, raw))
    assert set(seen) == set(sent) and max(seen.values()) == 1
    ids = {m.value["id"] for m in out}
    assert {"before-00000", "after-00000", "after-00001", "after-00002"} <= ids  # the partition went on
    # Absurd input never crashes the job: each poison record is enriched or dead-lettered (once,
    # checked above), and only poison records are dead-lettered, each with a reason.
    poison_positions = set(sent[1:1 + len(poison)])
    assert set(positions(dead_letters, raw)) <= poison_positions
    assert dead_letters and all(m.value["reason"] and m.value["stage"] for m in dead_letters)


def _log(tmp_path) -> str:
    return (tmp_path / "ingest.log").read_text(errors="replace")[-3000:]


def test_bounded_replay_to_files_commits_after_the_files_are_written(kafka_broker, tmp_path):
    raw, group = unique_topic("raw"), unique_topic("group")
    sent = publish(raw, [synthetic_article(i, "files") for i in range(8)] + BAD_RECORDS[:3])
    out_dir = tmp_path / "out"
    args = [a for a in ingest_args(raw, "unused", "unused", group) if a not in ("--output_topic", "--dead_letter_topic", "unused")]
    run_ingest([*args, "--output", str(out_dir)])
    lines = [orjson.loads(line) for path in sorted(out_dir.glob("*.jsonl")) for line in path.read_bytes().splitlines()]
    seen = Counter((r["origin"]["partition"], r["origin"]["offset"]) for r in lines)
    assert set(seen) == set(sent) and max(seen.values()) == 1
    assert len(list(out_dir.glob("dead_letter-*.jsonl"))) == 1
    assert committed_offsets(raw, group) == end_offsets(raw)  # committed once the files were complete


def test_a_bounded_run_that_stopped_early_is_reported_and_not_committed(kafka_broker):
    from transforms.kafka_io import KafkaConfig, finish_bounded_read, plan_bounded_read

    raw, group = unique_topic("raw"), unique_topic("group")
    publish(raw, [synthetic_article(i, "short") for i in range(6)])
    config = KafkaConfig(BOOTSTRAP, api_version=(0, 9))
    plan = plan_bounded_read(config, [raw], group, MAX_INPUT_BYTES)
    assert sum(p.stop - p.start for p in plan) == 6
    # Per-bundle commits that did not reach the planned ends (nothing committed here).
    problem = finish_bounded_read(config, group, plan, records_read=6, commit=False)
    assert problem and "stopped before the end offsets" in problem
    # Commit-after-run mode: a short read commits nothing; a full one commits the ends.
    assert "read 4 of the 6" in finish_bounded_read(config, group, plan, records_read=4, commit=True)
    assert all(offset is None for offset in committed_offsets(raw, group).values())
    assert finish_bounded_read(config, group, plan, records_read=6, commit=True) is None
    assert committed_offsets(raw, group) == end_offsets(raw)
    assert finish_bounded_read(config, group, plan, records_read=0, commit=False) is None


def test_streaming_reads_partitions_added_while_it_runs(kafka_broker, tmp_path):
    from tests.integration.kafka.helpers import create_topic, kafka_sh
    from kafka import KafkaProducer

    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    create_topic(raw, partitions=1)
    publish(raw, [synthetic_article(i, "before") for i in range(3)])
    job = start_ingest(ingest_args(raw, enriched, dead, unique_topic("group"), "--streaming",
                                   "--kafka_partition_discovery_seconds", "1"), tmp_path / "ingest.log")
    try:
        first = read_topic(enriched, expect=3, timeout=90, settle=0)
        assert len(first) == 3, _log(tmp_path)
        kafka_sh("partitions", raw, "3")
        # Records sent explicitly to the new partitions (1 and 2), before and after discovery.
        prod = KafkaProducer(bootstrap_servers=BOOTSTRAP, api_version=(0, 9), acks="all", retries=20,
                             enable_idempotence=False, metadata_max_age_ms=500)
        try:
            deadline = time.monotonic() + 30
            while len(prod.partitions_for(raw)) < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            futures = [prod.send(raw, key=k, value=v, partition=1 + i % 2)
                       for i, (k, v) in enumerate(synthetic_article(i, "added") for i in range(8))]
            prod.flush()
            sent = {(m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)}
        finally:
            prod.close()
        assert {p for p, _ in sent} == {1, 2}
        out = read_topic(enriched, expect=11, timeout=60)
        seen = Counter(positions(out, raw))
        assert sent <= set(seen), (sorted(sent - set(seen)), _log(tmp_path))
        assert len(seen) == 11 and max(seen.values()) == 1
        assert job.poll() is None, "the streaming job ended by itself"
        assert "new partition" in _log(tmp_path)
    finally:
        stop(job)


def test_a_replay_of_a_topic_that_does_not_exist_says_so_without_a_traceback(kafka_broker, monkeypatch, capsys,
                                                                             tmp_path):
    from pipelines import ingest
    from transforms import kafka_io

    monkeypatch.setattr(kafka_io, "TOPIC_WAIT_SECONDS", 1.0)  # the broker auto-creates on produce, not on a read
    missing = unique_topic("missing")
    status = ingest.run(["--kafka_bootstrap_servers", BOOTSTRAP, "--kafka_api_version", API_FLAG,
                         "--input_topic", missing, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert f"error: Kafka at {BOOTSTRAP}: Kafka topic {missing!r} not found (waited 1 s" in err
    assert "Traceback" not in err
    assert not any((tmp_path / "out").rglob("*.jsonl"))  # nothing written
