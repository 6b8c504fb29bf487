"""Kafka end to end on the local broker: throughput and streaming latency of the ingest job.

0. Kafka IO alone: the source and sink copying ``--articles`` records topic to topic, in
   this process (CPU of all its threads, kafka-python's network threads included).
1. Throughput: publish ``--articles`` synthetic 2-3 KB articles (``benchmarks.corpus``) to
   a fresh topic, run ``pipelines.ingest`` as a bounded replay (one worker, DirectRunner),
   read the enriched topic back. Reported: whole-job rate (start-up included) and the
   steady rate between the first and last record's ``processed_at``; CPU seconds of the job.
2. Latency: start ``pipelines.ingest --streaming``, publish at ``--rate`` articles/s for
   ``--seconds``; a consumer of the enriched topic notes when each record is readable.
   Latency = readable time - send time (both on this machine's clock), p50/p90/p99/max.

The broker is started with ``deploy/local/kafka.sh`` when it is not running (and stopped
afterwards). Results go to ``benchmarks/results/kafka_bench.json``.

    .venv/bin/python -m benchmarks.kafka_bench [--articles 3000] [--rate 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Sequence

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from benchmarks.corpus import generate
from benchmarks.report import emit

ROOT = Path(__file__).resolve().parents[1]
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"
RESULTS = ROOT / "benchmarks" / "results" / "kafka_bench.json"
BOOTSTRAP = "127.0.0.1:19092"
API = (0, 9)


def kafka_sh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(KAFKA_SH), *args], capture_output=True, text=True, timeout=300)


def producer() -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=BOOTSTRAP, api_version=API, acks="all", linger_ms=2,
                         enable_idempotence=False, max_request_size=4 << 20)


def articles(n: int, seed: int, tag: str):
    for i, item in enumerate(generate(n, seed)):
        item["id"] = f"{tag}-{i:06d}"
        yield item["id"].encode(), orjson.dumps(item)


def ingest_cmd(raw: str, enriched: str, dead: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.ingest", "--kafka_bootstrap_servers", BOOTSTRAP,
            "--kafka_api_version", "0.9", "--input_topic", raw, "--output_topic", enriched,
            "--dead_letter_topic", dead, "--group_id", f"bench-{uuid.uuid4().hex[:8]}",
            "--progress_every", "0", *extra]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def topic_consumer(topic: str) -> KafkaConsumer:
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, api_version=API, group_id=None, enable_auto_commit=False,
                             max_partition_fetch_bytes=8 << 20)
    deadline = time.monotonic() + 30
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        consumer.topics()
        time.sleep(0.2)
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    return consumer


def read_all(topic: str, expect: int, timeout: float) -> list[dict[str, Any]]:
    consumer = topic_consumer(topic)
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            out += [orjson.loads(m.value) for m in batch]
    consumer.close(autocommit=False)
    return out


def throughput(n: int, seed: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    raw, enriched, dead = f"bench-raw-{tag}", f"bench-enriched-{tag}", f"bench-dead-{tag}"
    prod = producer()
    for key, value in articles(n, seed, tag):
        prod.send(raw, key=key, value=value)
    prod.flush()
    prod.close()
    cpu_before = children_cpu()
    started = time.perf_counter()
    job = subprocess.run(ingest_cmd(raw, enriched, dead), cwd=ROOT, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu_before
    if job.returncode != 0:
        raise RuntimeError(job.stderr[-3000:])
    out = read_all(enriched, n, timeout=60)
    dead_letters = read_all(dead, 1, timeout=3) if len(out) < n else []
    stamps = sorted(datetime.fromisoformat(r["processed_at"]).timestamp() for r in out)
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else None
    return {
        "articles": n,
        "enriched": len(out),
        "dead_letters": len(dead_letters),
        "job_wall_seconds": round(wall, 2),
        "job_cpu_seconds": round(cpu, 2),
        "job_rate_per_second": round(n / wall, 1),
        "steady_rate_per_second": round(steady, 1) if steady else None,
        "cpu_ms_per_article": round(1000 * cpu / n, 2),
        "balanced": "balanced" in job.stdout,
    }


class _Passthrough:
    """A record with ``id`` and ``to_dict`` standing in for an enriched article."""

    def __init__(self, record):
        self.id = record.key
        self._record = record

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "origin": self._record.origin.to_dict(), "size": self._record.true_size}


def io_only(n: int, seed: int) -> dict[str, Any]:
    """The Kafka source and sink alone (no enrichment), in this process: CPU per record."""
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    from transforms.kafka_io import KafkaConfig, ReadFromKafka, WriteToKafka

    tag = uuid.uuid4().hex[:8]
    raw, out = f"bench-raw-{tag}", f"bench-io-{tag}"
    prod = producer()
    for key, value in articles(n, seed, tag):
        prod.send(raw, key=key, value=value)
    prod.flush()
    prod.close()
    config = KafkaConfig(BOOTSTRAP, api_version=API)
    cpu_before, started = time.process_time(), time.perf_counter()
    with beam.Pipeline(runner=fn_runner.FnApiRunner()) as pipeline:
        (pipeline
         | ReadFromKafka(config, [raw], f"bench-{tag}", bounded=True, max_bytes=1 << 20)
         | beam.Map(_Passthrough)
         | WriteToKafka(config, out))
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - started
    copied = len(read_all(out, n, timeout=30))
    return {"records": n, "copied": copied, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "cpu_ms_per_record": round(1000 * cpu / n, 3), "records_per_cpu_second": round(n / cpu)}


class Reader(threading.Thread):
    """Notes the wall time each enriched record becomes readable."""

    def __init__(self, topic: str):
        super().__init__(daemon=True)
        self.topic = topic
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        consumer = topic_consumer(self.topic)
        while not self.stop.is_set():
            for batch in consumer.poll(timeout_ms=20).values():
                now = time.time()
                for message in batch:
                    self.seen.setdefault(message.key.decode(), now)
        consumer.close(autocommit=False)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(rate: float, seconds: float, seed: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    raw, enriched, dead = f"bench-raw-{tag}", f"bench-enriched-{tag}", f"bench-dead-{tag}"
    prod = producer()
    warm = list(articles(5, seed + 1, f"warm{tag}"))
    for key, value in warm:
        prod.send(raw, key=key, value=value)
    prod.flush()
    cpu_before = children_cpu()
    job = subprocess.Popen(ingest_cmd(raw, enriched, dead, "--streaming"), cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reader = Reader(enriched)
    try:
        deadline = time.monotonic() + 120
        while len(read_all(enriched, 5, timeout=1)) < 5:
            if time.monotonic() > deadline or job.poll() is not None:
                raise RuntimeError("the streaming job did not start")
        reader.start()
        sent: dict[str, float] = {}
        total = int(rate * seconds)
        started = time.monotonic()
        for i, (key, value) in enumerate(articles(total, seed, tag)):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            sent[key.decode()] = time.time()
            prod.send(raw, key=key, value=value)
            prod.flush()  # each record leaves now: measure the pipeline, not producer batching
        deadline = time.monotonic() + 60
        while len(set(sent) & set(reader.seen)) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        reader.stop.set()
        job.send_signal(signal.SIGTERM)
        try:
            job.wait(timeout=30)
        except subprocess.TimeoutExpired:
            job.kill()
            job.wait()
        prod.close()
    cpu = children_cpu() - cpu_before
    delays = [reader.seen[k] - t for k, t in sent.items() if k in reader.seen]
    return {
        "rate_per_second": rate,
        "published": len(sent),
        "received": len(delays),
        "p50_ms": round(1000 * statistics.median(delays), 1),
        "p90_ms": round(1000 * percentile(delays, 0.90), 1),
        "p99_ms": round(1000 * percentile(delays, 0.99), 1),
        "max_ms": round(1000 * max(delays), 1),
        "job_cpu_seconds": round(cpu, 2),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kafka_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    started_broker = kafka_sh("status").returncode != 0
    if started_broker and kafka_sh("start").returncode != 0:
        print("error: cannot start the broker (deploy/local/kafka.sh start)", file=sys.stderr)
        return 1
    bench_cpu = time.process_time()
    try:
        result = {"io_only": io_only(args.articles, args.seed),
                  "throughput": throughput(args.articles, args.seed),
                  "latency": latency(args.rate, args.seconds, args.seed)}
    finally:
        if started_broker:
            kafka_sh("stop")
    result["bench_process_cpu_seconds"] = round(time.process_time() - bench_cpu, 2)
    result["machine"] = f"{os.cpu_count()} cores, shared; broker Kafka 0.9.0.1 local, 2 partitions per topic"
    result["command"] = "python -m benchmarks.kafka_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    emit(result, Path(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
