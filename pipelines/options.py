"""Pipeline options for the ingest job: ``PipelineOptions`` subclasses.

Every standard Beam flag (``--runner``, ``--streaming``, ``--direct_num_workers``,
...) works alongside these, as Beam users expect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.parse import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from transforms.kafka_io import KafkaConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = str(PROJECT_ROOT / "samples" / "*")
DEFAULT_OUTPUT = "out"


class IngestOptions(PipelineOptions):
    """Where articles come from and where enriched records and dead letters go."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--input",
            default=None,
            help="Glob pattern, or comma-separated list of patterns, of article files to replay: "
            ".txt (one article per file), .html/.htm (one page per file), .jsonl/.json (one JSON "
            "object per line with 'text' or 'html' and optional id, url, title, fetched_at, "
            "published_at, source); any of them may be gzipped (.gz). "
            f"Default when no Kafka input topic is given: the bundled samples ({DEFAULT_INPUT}).",
        )
        parser.add_argument(
            "--output",
            default=None,
            help="Directory for DIR/articles-*.jsonl (enriched records) and DIR/dead_letter-*.jsonl "
            "(rejects); earlier shards of both are replaced. Default when no Kafka output topic is "
            f"given: '{DEFAULT_OUTPUT}'.",
        )
        parser.add_argument(
            "--max_input_bytes",
            type=int,
            default=DEFAULT_MAX_BYTES,
            help="Largest accepted input record (a file, JSONL line or message) in bytes; larger ones "
            f"are dead-lettered with their size and SHA-256 (default {DEFAULT_MAX_BYTES}).",
        )
        parser.add_argument(
            "--progress_every",
            type=int,
            default=100,
            help="Print a progress line to stderr every N records a worker writes (0 = off; default 100).",
        )


class PostgresOptions(PipelineOptions):
    """The PostgreSQL sink (transforms/postgres_sink.py)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--postgres_dsn",
            default=None,
            help="libpq connection string or URI: also write enriched articles to PostgreSQL (tables "
            "articles and article_entities; migrations in deploy/postgres/ are applied at start). "
            "Without the flag, $PGDSN or the standard PG* variables (PGHOST, PGDATABASE, PGUSER, ...) "
            "are used when set. Keep the password out of the flag: use PGPASSWORD or a passfile.",
        )
        parser.add_argument(
            "--postgres_batch_size",
            type=int,
            default=100,
            help="Articles per PostgreSQL transaction (batched within a bundle; default 100).",
        )


class KafkaOptions(PipelineOptions):
    """Kafka input and output (transforms/kafka_io.py); also used by ``pipelines.publish``."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--kafka_bootstrap_servers",
            default=None,
            help="Kafka bootstrap servers HOST:PORT[,HOST:PORT...] (the local broker: 127.0.0.1:19092, "
            "started by deploy/local/kafka.sh).",
        )
        parser.add_argument("--input_topic", default=None,
                            help="Read raw articles (JSON) from this topic instead of files.")
        parser.add_argument("--output_topic", default=None, help="Write enriched articles to this topic.")
        parser.add_argument("--dead_letter_topic", default=None, help="Write dead letters to this topic.")
        parser.add_argument(
            "--group_id",
            default="news-ingest",
            help="Consumer group whose committed offsets the input starts from; offsets are committed "
            "after each bundle's records are written (default news-ingest).",
        )
        parser.add_argument(
            "--kafka_start_from",
            default="earliest",
            choices=("earliest", "latest"),
            help="Where to start a partition the group has no committed offset for (default earliest).",
        )
        parser.add_argument(
            "--kafka_api_version",
            default="auto",
            help="Broker protocol version, e.g. 0.9 for the local 0.9.0.1 broker; 'auto' negotiates (default).",
        )
        parser.add_argument("--kafka_security_protocol", default="PLAINTEXT",
                            choices=("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
                            help="Security protocol (default PLAINTEXT).")
        parser.add_argument(
            "--kafka_sasl_mechanism",
            default=None,
            help="SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); the user name and password are read "
            "from the environment variables KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.",
        )
        parser.add_argument("--kafka_ssl_cafile", default=None, help="CA certificate file for SSL.")
        parser.add_argument(
            "--kafka_max_bundle_records",
            type=int,
            default=1000,
            help="Records a partition reader emits per bundle before it checkpoints (offsets are "
            "committed per bundle; default 1000).",
        )
        parser.add_argument(
            "--kafka_max_bundle_seconds",
            type=float,
            default=1.0,
            help="Longest a partition reader runs per bundle before it checkpoints (default 1.0).",
        )
        parser.add_argument(
            "--kafka_partition_discovery_seconds",
            type=float,
            default=60.0,
            help="With --streaming: re-read the input topic's partitions this often and read partitions "
            "added meanwhile from their earliest offset (0 = list them once, at start; default 60).",
        )


def kafka_config(options) -> KafkaConfig:
    """The connection settings from parsed ``KafkaOptions`` (a view or an argparse namespace)."""
    from transforms.kafka_io import KafkaConfig, parse_api_version

    return KafkaConfig(
        bootstrap_servers=options.kafka_bootstrap_servers,
        api_version=parse_api_version(options.kafka_api_version),
        security_protocol=options.kafka_security_protocol,
        sasl_mechanism=options.kafka_sasl_mechanism,
        ssl_cafile=options.kafka_ssl_cafile,
    )
