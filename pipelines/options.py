"""Pipeline options for the ingest job: ``PipelineOptions`` subclasses.

Every standard Beam flag (``--runner``, ``--streaming``, ``--direct_num_workers``,
...) works alongside these, as Beam users expect.
"""

from __future__ import annotations

from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.parse import DEFAULT_MAX_BYTES

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
