"""The modern protocol path (brokers 0.11+).

The durability tests run on the real 0.9.0.1 broker; this checks the same code does not
depend on 0.9 quirks, against librdkafka's in-process mock cluster (confluent-kafka's
``test.mock.num.brokers``: a current protocol, in memory, real TCP). Messages carry
headers and broker timestamps here, which the job must ignore. Records are published two
ways (a producer with headers, and ``pipelines.publish``) and every one must come out of
the ingest job exactly once, enriched or dead-lettered.

It runs with ``--kafka_api_version 2.3`` and with the default (``auto``: kafka-python
negotiates with ApiVersions). The default cannot work against the mock today, for a
reason ``negotiation_problem`` checks on the wire each run (the test is then an expected
failure naming it, and runs in full once a mock answers correctly): kafka-python 3.0.x
opens with ApiVersions v4; every librdkafka 2.x mock (2.0.2 to 2.16.0 checked) serves
ApiVersions v0-v2 only and answers v3+ with UNSUPPORTED_VERSION in a hand-made body
(int16 error, an int8 count, one entry, int32 throttle) that is neither the v0 form
KIP-511 prescribes for that error (int32 count), which kafka-python decodes it as, nor a
valid v3 body. Real brokers 2.4+ answer in the v0 form, and 3.x/4.x support v4.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Iterator, Optional

import orjson
import pytest
from confluent_kafka import Producer as MockClusterHandle
from confluent_kafka import libversion
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.protocol.metadata import ApiVersionsRequest, ApiVersionsResponse

from tests.integration.kafka.helpers import ROOT, SUBPROCESS_ENV, synthetic_article, unique_topic

pytestmark = pytest.mark.integration
PINNED = (2, 3)  # the newest kafka-python api_version whose ApiVersions request (v2) the mock serves


@pytest.fixture(scope="module")
def mock_bootstrap() -> Iterator[str]:
    handle = MockClusterHandle({"test.mock.num.brokers": 1, "bootstrap.servers": "", "log_level": 0})
    brokers = handle.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{b.host}:{b.port}" for b in brokers)
    handle.flush(1)


def negotiation_problem(bootstrap: str) -> Optional[str]:
    """Why kafka-python cannot auto-negotiate with the broker, or None.

    Sends the ApiVersions request kafka-python opens every connection with (its newest
    version) and decodes the answer with kafka-python's own response class.
    """
    version = ApiVersionsRequest.max_version
    request = ApiVersionsRequest(version=version, client_software_name="news-ingest-tests",
                                 client_software_version="1")
    request.with_header(correlation_id=1, client_id="news-ingest-tests")
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn, conn.makefile("rb") as stream:
        conn.sendall(request.encode(header=True, framed=True))
        (size,) = struct.unpack(">i", stream.read(4))
        payload = stream.read(size)
    try:
        response = ApiVersionsResponse.decode(payload, version=version, header=True)
    except Exception as error:  # exactly what kafka-python's connection hits
        return (f"librdkafka {libversion()[0]} mock answers ApiVersions v{version} with a {size}-byte body "
                f"({payload[4:].hex()}) that kafka-python cannot decode ({type(error).__name__}: {error}); "
                f"an UNSUPPORTED_VERSION answer must use the v0 form (KIP-511)")
    if response.error_code != 0 and not any(k.api_key == ApiVersionsRequest.API_KEY for k in response.api_keys):
        return f"ApiVersions v{version} refused with error {response.error_code} and no supported range"
    return None


def _read(bootstrap: str, topic: str, expect: int) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=PINNED, enable_auto_commit=False,
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


@pytest.mark.parametrize("api_version", [PINNED, None], ids=["api-2.3", "api-auto"])
def test_publish_and_ingest_on_a_modern_broker(mock_bootstrap, api_version, tmp_path: Path):
    if api_version is None:
        problem = negotiation_problem(mock_bootstrap)
        if problem:
            pytest.xfail(problem)
    api_kwargs = {} if api_version is None else {"api_version": api_version}
    api_flags = [] if api_version is None else ["--kafka_api_version", ".".join(map(str, api_version))]
    raw, enriched, dead, group = (unique_topic(p) for p in ("raw", "enriched", "dead", "group"))

    producer = KafkaProducer(bootstrap_servers=mock_bootstrap, **api_kwargs)  # idempotent by default
    good = [synthetic_article(i, "modern") for i in range(6)]
    futures = [producer.send(raw, key=k, value=v, headers=[("trace", b"t-%d" % i)]) for i, (k, v) in enumerate(good)]
    futures.append(producer.send(raw, key=b"broken", value=b'{"id": "broken", "text": '))
    producer.flush()
    for future in futures:
        future.get(timeout=10)
    producer.close()
    published = [synthetic_article(i, "cli") for i in range(6, 9)]
    articles_file = tmp_path / "articles.jsonl"
    articles_file.write_bytes(b"".join(value + b"\n" for _key, value in published))
    publish = subprocess.run(
        [sys.executable, "-m", "pipelines.publish", "--kafka_bootstrap_servers", mock_bootstrap, *api_flags,
         "--topic", raw, str(articles_file)],
        cwd=ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=120)
    assert publish.returncode == 0, publish.stderr[-3000:]
    sent = {(m.partition, m.offset) for m in _read(mock_bootstrap, raw, 10)}
    assert len(sent) == 10

    job = subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", "--kafka_bootstrap_servers", mock_bootstrap, *api_flags,
         "--input_topic", raw, "--output_topic", enriched, "--dead_letter_topic", dead, "--group_id", group],
        cwd=ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=180)
    assert job.returncode == 0, job.stderr[-3000:]
    assert "balanced" in job.stdout

    out = [orjson.loads(m.value) for m in _read(mock_bootstrap, enriched, 9)]
    dead_letters = [orjson.loads(m.value) for m in _read(mock_bootstrap, dead, 1)]
    seen = Counter((r["origin"]["partition"], r["origin"]["offset"]) for r in out + dead_letters)
    assert set(seen) == sent and max(seen.values()) == 1
    assert {r["id"] for r in out} == {k.decode() for k, _ in good + published}
    assert [d["reason"] for d in dead_letters] == ["invalid_json"]
    # Event time came from the payload, not the broker's timestamp: fetched_at is kept as sent.
    assert {r["fetched_at"] for r in out} == {"2026-11-20T10:00:00Z"}
