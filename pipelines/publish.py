"""Publish article files to a Kafka topic as raw-article JSON records keyed by id.

Reads the formats the file replay reads (``.txt``, ``.html``, ``.jsonl``/``.json``,
optionally gzipped) with the replay's reader and decodes them with the parse
stage's ``decode_record``, so a record in Kafka is the same ``RawArticle`` the
replay would build::

    python -m pipelines.publish --kafka_bootstrap_servers 127.0.0.1:19092 \\
        --kafka_api_version 0.9 --topic raw-articles 'samples/*.txt'

An input that does not decode (invalid JSON, not UTF-8, empty) is published as
its raw bytes, so the ingest job dead-letters it with the reason -- nothing is
dropped on the way in. Inputs over ``--max_input_bytes`` and unreadable files
cannot be published: they are listed on stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Sequence

import orjson

from pipelines.options import KafkaOptions, kafka_config
from schemas.records import RawRecord
from transforms.file_io import read_file
from transforms.kafka_io import kafka_error_message, make_producer
from transforms.parse import DEFAULT_MAX_BYTES, decode_record
from transforms.stage import StageError


@dataclass
class PublishReport:
    published: int = 0
    undecoded: int = 0  # published raw, to be dead-lettered by the ingest job
    rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    key: Optional[bytes]
    value: bytes
    decoded: bool


def message_for(record: RawRecord, max_bytes: int) -> Message:
    """The Kafka message for one input record: its RawArticle as JSON, or its raw bytes."""
    try:
        article = decode_record(record, max_bytes)
    except StageError:
        return Message(key=record.key.encode("utf-8") if record.key else None, value=record.data, decoded=False)
    return Message(key=article.id.encode("utf-8"), value=orjson.dumps(article.to_dict()), decoded=True)


def expand(patterns: Sequence[str]) -> Iterator[str]:
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise FileNotFoundError(f"no file matches {pattern!r}")
        yield from matches


def publish(producer, topic: str, paths: Iterable[str], max_bytes: int, report: PublishReport) -> None:
    """Send every record of ``paths``; unpublishable ones are added to ``report.rejected``."""
    futures = []
    for path in paths:
        try:
            for record in read_file(path, max_bytes):
                if record.true_size > max_bytes:
                    report.rejected.append(f"{record.origin.describe()}: {record.true_size} bytes, "
                                           f"over --max_input_bytes {max_bytes}")
                    continue
                message = message_for(record, max_bytes)
                futures.append(producer.send(topic, key=message.key, value=message.value))
                report.published += 1
                report.undecoded += not message.decoded
        except (OSError, ValueError, EOFError) as error:
            report.rejected.append(f"{path}: {type(error).__name__}: {error}")
    producer.flush()
    failed = [f for f in futures if f.failed()]
    if failed:
        raise RuntimeError(f"{len(failed)} message(s) not delivered: {failed[0].exception}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines.publish", description=__doc__.split("\n\n")[0])
    p.add_argument("patterns", nargs="+", help="Article files or glob patterns.")
    p.add_argument("--topic", default="raw-articles", help="Topic to publish to (default raw-articles).")
    p.add_argument("--max_input_bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help=f"Largest input record published (default {DEFAULT_MAX_BYTES}).")
    KafkaOptions._add_argparse_args(p.add_argument_group("Kafka"))
    return p


def run(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    if not args.kafka_bootstrap_servers:
        print("error: --kafka_bootstrap_servers is required", file=sys.stderr)
        return 2
    try:
        paths = list(expand(args.patterns))
        config = kafka_config(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from kafka.errors import KafkaError

    started = time.perf_counter()
    try:
        producer = make_producer(config, max_request_bytes=max(1 << 20, args.max_input_bytes + (64 << 10)))
    except KafkaError as error:
        print(kafka_error_message(config, error), file=sys.stderr)
        return 1
    report = PublishReport()
    try:
        publish(producer, args.topic, paths, args.max_input_bytes, report)
    finally:
        producer.close(timeout=30)
    for line in report.rejected:
        print(f"rejected: {line}", file=sys.stderr)
    print(f"[publish] {report.published} records to {args.topic} from {len(paths)} files "
          f"({report.undecoded} undecodable, published raw for the dead letters; {len(report.rejected)} rejected) "
          f"in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(run())
