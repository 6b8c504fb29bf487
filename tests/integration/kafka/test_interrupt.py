"""Ctrl-C (SIGINT) on a streaming ingest run on the real broker: a clean stop with a summary."""

from __future__ import annotations

import re
import signal

import pytest

from tests.integration.kafka.helpers import (
    committed_offsets, end_offsets, ingest_args, positions, publish, read_topic, run_ingest, start_ingest,
    synthetic_article, unique_topic,
)
from tests.integration.kafka.test_roundtrip import BAD_RECORDS

pytestmark = pytest.mark.integration


def test_sigint_stops_streaming_cleanly_with_summary_and_committed_offsets(kafka_broker, tmp_path):
    raw, enriched, dead = unique_topic("raw"), unique_topic("enriched"), unique_topic("dead")
    group = unique_topic("group")
    publish(raw, [synthetic_article(i, "sigint") for i in range(7)] + BAD_RECORDS[:2])
    log_path = tmp_path / "ingest.log"
    job = start_ingest(ingest_args(raw, enriched, dead, group, "--streaming"), log_path)
    try:
        out = read_topic(enriched, expect=7, timeout=90, settle=0)
        assert len(out) == 7, log_path.read_text(errors="replace")[-3000:]
        assert read_topic(dead, expect=2, timeout=30, settle=0)
        assert job.poll() is None, "the streaming job ended by itself"
        job.send_signal(signal.SIGINT)
        code = job.wait(timeout=60)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait(timeout=20)
    log = log_path.read_text(errors="replace")
    assert code == 130, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert "=== ingest summary ===" in log and "stopped by Ctrl-C" in log
    assert re.search(r"records in:\s+9\n", log) and re.search(r"enriched:\s+7\n", log), log[-2000:]
    assert re.search(r"in = enriched \+ dead letters.*: balanced", log)
    # What was written is committed: the same group's next run reads only what came after.
    assert committed_offsets(raw, group) == end_offsets(raw)
    later = publish(raw, [synthetic_article(i, "after-sigint") for i in range(3)])
    run_ingest(ingest_args(raw, enriched, dead, group))
    again = read_topic(enriched, expect=10, timeout=30)
    assert sorted(positions(again, raw)) == sorted(positions(out, raw) + later)
