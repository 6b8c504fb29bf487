"""SSL on the real broker: publish and ingest through the broker's SSL listener.

``deploy/local/kafka.sh`` opens it on 19093 with a throwaway CA made by keytool; clients
trust only ``ca.pem`` (``--kafka_ssl_cafile``), so a broker certificate the CA did not sign
would be refused.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections import Counter

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.integration.kafka.helpers import (
    KAFKA_SH, ROOT, SUBPROCESS_ENV, kafka_sh, synthetic_article, unique_topic, wait_registered,
)

pytestmark = pytest.mark.integration
SSL_BOOTSTRAP = f"127.0.0.1:{os.environ.get('KAFKA_SSL_PORT', '19093')}"
CA_FILE = KAFKA_SH.parent / ".state" / "ssl" / "ca.pem"


@pytest.fixture
def ssl_broker(kafka_broker) -> str:
    """The broker with its SSL listener (restarted once if it was started without one)."""
    host, port = SSL_BOOTSTRAP.split(":")
    import socket

    def listening() -> bool:
        with socket.socket() as probe:
            probe.settimeout(2)
            return probe.connect_ex((host, int(port))) == 0

    if not (listening() and CA_FILE.exists()):
        kafka_sh("stop")
        kafka_sh("start")
        wait_registered()
    assert listening() and CA_FILE.exists()
    return SSL_BOOTSTRAP


def _ssl_flags() -> list[str]:
    return ["--kafka_bootstrap_servers", SSL_BOOTSTRAP, "--kafka_api_version", "0.9",
            "--kafka_security_protocol", "SSL", "--kafka_ssl_cafile", str(CA_FILE)]


def _read(topic: str) -> list:
    consumer = KafkaConsumer(bootstrap_servers=SSL_BOOTSTRAP, security_protocol="SSL", ssl_cafile=str(CA_FILE),
                             api_version=(0, 9), enable_auto_commit=False, consumer_timeout_ms=4000)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        return [orjson.loads(m.value) for m in consumer]
    finally:
        consumer.close(autocommit=False)


def test_publish_and_ingest_over_ssl(ssl_broker, tmp_path):
    raw, enriched, dead, group = (unique_topic(p) for p in ("raw", "enriched", "dead", "group"))
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"\n".join(synthetic_article(i, "ssl")[1] for i in range(6)) + b"\n")
    env = {**SUBPROCESS_ENV}
    published = subprocess.run([sys.executable, "-m", "pipelines.publish", *_ssl_flags(), "--topic", raw,
                                str(articles)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert published.returncode == 0, published.stderr[-3000:]
    assert f"6 records to {raw}" in published.stderr
    job = subprocess.run([sys.executable, "-m", "pipelines.ingest", *_ssl_flags(), "--input_topic", raw,
                          "--output_topic", enriched, "--dead_letter_topic", dead, "--group_id", group],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert job.returncode == 0, job.stderr[-3000:]
    assert "balanced" in job.stdout
    out = _read(enriched)
    assert Counter(r["id"] for r in out) == Counter(f"ssl-{i:05d}" for i in range(6))
    assert str(CA_FILE) not in job.stderr + job.stdout  # paths and settings are not echoed


def test_ssl_refuses_a_broker_the_ca_file_does_not_vouch_for(ssl_broker, tmp_path):
    # A CA of our own that did not sign the broker's certificate: the handshake must fail.
    other_ca = tmp_path / "other-ca.pem"
    key = tmp_path / "other-ca.key"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=someone-else",
                           "-days", "1", "-keyout", str(key), "-out", str(other_ca)], capture_output=True, timeout=60)
    assert made.returncode == 0, made.stderr
    context = ssl.create_default_context(cafile=str(other_ca))
    import socket
    host, port = ssl_broker.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(sock, server_hostname=host)
    context = ssl.create_default_context(cafile=str(CA_FILE))  # the broker's CA: accepted
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            assert tls.version() == "TLSv1.2"
