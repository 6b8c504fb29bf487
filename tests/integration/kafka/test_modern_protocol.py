"""The modern protocol path (brokers 0.11+).

The durability tests run on the real 0.9.0.1 broker; this checks the same code does not
depend on 0.9 quirks, against librdkafka's in-process mock cluster (confluent-kafka's
``test.mock.num.brokers``: a current protocol, in memory, real TCP). kafka-python cannot
auto-negotiate with the mock (it answers ApiVersions v4 in a form kafka-python 3 does not
decode), so the version is given: ``--kafka_api_version 2.3``. Messages carry headers and
broker timestamps here, which the job must ignore.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Iterator

import orjson
import pytest
from confluent_kafka import Producer as MockClusterHandle
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from tests.integration.kafka.helpers import ROOT, SUBPROCESS_ENV, synthetic_article, unique_topic

pytestmark = pytest.mark.integration
API = (2, 3)


@pytest.fixture(scope="module")
def mock_bootstrap() -> Iterator[str]:
    handle = MockClusterHandle({"test.mock.num.brokers": 1, "bootstrap.servers": "", "log_level": 0})
    brokers = handle.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{b.host}:{b.port}" for b in brokers)
    handle.flush(1)


def _read(bootstrap: str, topic: str, expect: int) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=API, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in partitions]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    out = []
    for message in consumer:
        out.append(message)
        if len(out) >= expect + 50:
            break
    consumer.close(autocommit=False)
    return out


def test_ingest_on_a_modern_broker(mock_bootstrap):
    raw, enriched, dead, group = (unique_topic(p) for p in ("raw", "enriched", "dead", "group"))
    producer = KafkaProducer(bootstrap_servers=mock_bootstrap, api_version=API)  # idempotent by default
    good = [synthetic_article(i, "modern") for i in range(6)]
    futures = [producer.send(raw, key=k, value=v, headers=[("trace", b"t-%d" % i)]) for i, (k, v) in enumerate(good)]
    futures.append(producer.send(raw, key=b"broken", value=b'{"id": "broken", "text": '))
    producer.flush()
    sent = {(m.partition, m.offset) for m in (f.get(timeout=10) for f in futures)}
    producer.close()

    job = subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", "--kafka_bootstrap_servers", mock_bootstrap,
         "--kafka_api_version", "2.3", "--input_topic", raw, "--output_topic", enriched, "--dead_letter_topic", dead, "--group_id", group],
        cwd=ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=180)
    assert job.returncode == 0, job.stderr[-3000:]
    assert "balanced" in job.stdout

    out = [orjson.loads(m.value) for m in _read(mock_bootstrap, enriched, 6)]
    dead_letters = [orjson.loads(m.value) for m in _read(mock_bootstrap, dead, 1)]
    seen = Counter((r["origin"]["partition"], r["origin"]["offset"]) for r in out + dead_letters)
    assert set(seen) == sent and max(seen.values()) == 1
    assert {r["id"] for r in out} == {k.decode() for k, _ in good}
    assert [d["reason"] for d in dead_letters] == ["invalid_json"]
    # Event time came from the payload, not the broker's timestamp: fetched_at is kept as sent.
    assert {r["fetched_at"] for r in out} == {"2026-11-20T10:00:00Z"}
