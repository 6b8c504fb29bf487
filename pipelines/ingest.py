"""Ingest pipeline: raw news articles in, enriched articles and dead letters out.

Each raw article is parsed (format sniffing, HTML main text, title, dateline),
cleaned (clutter removed, credits and captions kept as metadata), tagged with
its language and source (publisher, domain, wire agency) and its entities
(people, organisations, places, with canonical names). Every input ends as
exactly one enriched record or one dead letter that names the failing stage
and the reason; the run's summary shows the counts balance.

Replay files locally on the DirectRunner (defaults: the bundled samples into ``out/``)::

    python -m pipelines.ingest --input 'samples/*.txt' --output out

Run ``python -m pipelines.ingest --help`` for every option, including the
standard Beam ones (``--runner``, ``--streaming``, ``--direct_num_workers``).
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import signal
import sys
import time
from collections import Counter
from typing import Optional, Sequence

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    SetupOptions,
    StandardOptions,
)

from pipelines.migrate import MigrationError, migrate
from pipelines.options import DEFAULT_INPUT, DEFAULT_OUTPUT, IngestOptions, KafkaOptions, PostgresOptions, kafka_config
from transforms.clean import CleanArticles
from transforms.entities import ExtractEntities
from transforms.file_io import ReadArticleFiles, WriteJsonLines
from transforms.kafka_io import (
    KafkaPartition, ReadFromKafka, TopicNotFoundError, WriteToKafka, kafka_error_message, finish_bounded_read,
    plan_bounded_read, request_stop, stop_requested,
)
from transforms.language import TagLanguage
from transforms.parse import ParseArticles
from transforms.postgres_sink import PostgresSink, PostgresSinkError, describe_dsn, resolve_dsn
from transforms.source import TagSource

STAGES = ("read", "parse", "clean", "language", "source", "entities")
# Sinks take enriched articles: their dead letters are of records already counted as enriched.
SINK_STAGES = ("postgres_sink",)
HELP_OPTION_CLASSES = (IngestOptions, KafkaOptions, PostgresOptions, StandardOptions, DirectOptions, SetupOptions)


class UsageError(Exception):
    """Unusable command-line arguments (exit code 2)."""


class EnrichArticles(beam.PTransform):
    """RawRecords -> enriched Articles and the dead letters of every stage.

    Returns ``(articles, dead_letters)``.
    """

    def __init__(self, max_input_bytes: int):
        super().__init__()
        self.max_input_bytes = max_input_bytes

    def expand(self, records):
        dead_letters = []
        articles = records
        for label, stage in (
            ("Parse", ParseArticles(self.max_input_bytes)),
            ("Clean", CleanArticles()),
            ("Language", TagLanguage()),
            ("Source", TagSource()),
            ("Entities", ExtractEntities()),
        ):
            outputs = articles | label >> stage
            articles = outputs.main
            dead_letters.append(outputs.dead_letter)
        return articles, dead_letters


class ReportProgress(beam.DoFn):
    """Prints a progress line to stderr every ``every`` records this worker sees."""

    def __init__(self, every: int, what: str):
        self.every = every
        self.what = what

    def setup(self) -> None:
        self.seen = 0

    def process(self, element):
        self.seen += 1
        if self.every and self.seen % self.every == 0:
            print(f"[ingest] {self.seen} {self.what} so far", file=sys.stderr, flush=True)
        yield element


def expand_patterns(spec: str) -> list[str]:
    """Comma-separated glob patterns; each must match at least one file."""
    patterns = [p.strip() for p in spec.split(",") if p.strip()]
    if not patterns:
        raise UsageError("--input is empty")
    for pattern in patterns:
        if not FileSystems.match([pattern])[0].metadata_list:
            raise UsageError(f"--input: no file matches {pattern!r}")
    return patterns


def prepare_output_dir(path: str) -> None:
    """Create the output directory if needed, check it is writable, drop earlier shards."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--output: cannot create directory {path!r}: {error.strerror}") from None
    if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--output: {path!r} is not a writable directory")
    for stale in glob.glob(os.path.join(path, "articles-*.jsonl")) + glob.glob(os.path.join(path, "dead_letter-*.jsonl")):
        os.remove(stale)


def build_pipeline(
    pipeline: beam.Pipeline,
    options: IngestOptions,
    patterns: Sequence[str],
    output: str,
    postgres: Optional[PostgresSink] = None,
) -> None:
    """File replay: read, enrich, write articles and dead letters as JSON Lines (and to ``postgres``)."""
    records, read_dead = pipeline | "ReadFiles" >> ReadArticleFiles(list(patterns), options.max_input_bytes)
    articles, stage_dead = records | "Enrich" >> EnrichArticles(options.max_input_bytes)
    if postgres is not None:
        stage_dead.append(articles | "WritePostgres" >> postgres)
    dead_letters = [read_dead, *stage_dead] | "AllDeadLetters" >> beam.Flatten()
    (
        articles
        | "ArticleProgress" >> beam.ParDo(ReportProgress(options.progress_every, "articles enriched"))
        | "WriteArticles" >> WriteJsonLines(os.path.join(output, "articles"))
    )
    dead_letters | "WriteDeadLetters" >> WriteJsonLines(os.path.join(output, "dead_letter"))


def check_kafka_options(kafka: KafkaOptions, ingest: IngestOptions, streaming: bool, local_workers: int = 1) -> bool:
    """Validate the Kafka flags; True when the input is a Kafka topic.

    ``local_workers``: the DirectRunner's worker count, or 1 for another runner.
    """
    kafka_in = bool(kafka.input_topic)
    if (kafka_in or kafka.output_topic or kafka.dead_letter_topic) and not kafka.kafka_bootstrap_servers:
        raise UsageError("--kafka_bootstrap_servers is required with Kafka topics")
    if kafka.kafka_bootstrap_servers and not kafka_in:
        raise UsageError("--input_topic is required with --kafka_bootstrap_servers")
    if not kafka_in:
        if streaming:
            raise UsageError("--streaming needs a Kafka input (--input_topic); file replay is bounded")
        return False
    if ingest.input:
        raise UsageError("give either --input (files) or --input_topic (Kafka), not both")
    if not (kafka.output_topic or ingest.output):
        raise UsageError("Kafka input needs --output_topic or --output")
    if kafka.output_topic and not (kafka.dead_letter_topic or ingest.output):
        raise UsageError("--output_topic needs --dead_letter_topic (or --output) so dead letters are kept")
    if kafka.kafka_partition_discovery_seconds < 0:
        raise UsageError("--kafka_partition_discovery_seconds must be >= 0")
    if local_workers != 1:
        # Beam 2.77's FnApiRunner drops splittable-DoFn checkpoints and bundle finalisation
        # when it spreads a bundle over several workers: the read would stop after one bundle.
        raise UsageError("Kafka input on the DirectRunner needs --direct_num_workers 1")
    if streaming and ingest.output:
        # Files are written by a grouping sink that fires only when the input ends.
        raise UsageError("--output (files) is for bounded runs; with --streaming use --output_topic and --dead_letter_topic")
    try:
        kafka_config(kafka)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return True


def build_kafka_pipeline(
    pipeline: beam.Pipeline,
    options: IngestOptions,
    kafka: KafkaOptions,
    streaming: bool,
    output: Optional[str],
    postgres: Optional[PostgresSink] = None,
) -> list[KafkaPartition]:
    """Kafka input: enriched articles and dead letters to their topics (and files, and ``postgres``).

    Offsets are committed when a bundle completes, so every sink that must see a record
    before its offset is committed has to be fused with the source: each dead-letter
    PCollection gets its own Kafka sink (a multi-input Flatten would break fusion).
    A bounded read is planned here (end offsets as at start) and the plan returned, for the
    caller to check after the run (``finish_bounded_read``). File output is grouped (written
    when the input ends), so with ``output`` the caller commits the plan after the run
    instead of the source committing per bundle.
    """
    config = kafka_config(kafka)
    plan = None
    if not streaming:
        plan = plan_bounded_read(config, [kafka.input_topic], kafka.group_id, options.max_input_bytes,
                                 kafka.kafka_start_from)
    records = pipeline | "ReadKafka" >> ReadFromKafka(
        config, [kafka.input_topic], kafka.group_id, bounded=not streaming,
        max_bytes=options.max_input_bytes, start_from=kafka.kafka_start_from,
        max_bundle_records=kafka.kafka_max_bundle_records, max_bundle_seconds=kafka.kafka_max_bundle_seconds,
        partitions=plan, commit_offsets=not output,
        partition_discovery_seconds=kafka.kafka_partition_discovery_seconds,
    )
    articles, stage_dead = records | "Enrich" >> EnrichArticles(options.max_input_bytes)
    if postgres is not None:
        stage_dead.append(articles | "WritePostgres" >> postgres)
    articles = articles | "ArticleProgress" >> beam.ParDo(ReportProgress(options.progress_every, "articles enriched"))
    if kafka.output_topic:
        articles | "WriteArticlesKafka" >> WriteToKafka(config, kafka.output_topic)
    if kafka.dead_letter_topic:
        for index, dead in enumerate(stage_dead):
            dead | f"WriteDeadLettersKafka{index}" >> WriteToKafka(config, kafka.dead_letter_topic)
    if output:
        articles | "WriteArticles" >> WriteJsonLines(os.path.join(output, "articles"))
        stage_dead | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(
            os.path.join(output, "dead_letter"))
    return plan or []


def stage_counters(result) -> dict[str, int]:
    """Committed counter values by ``stage.name``."""
    counters: dict[str, int] = {}
    for metric in result.metrics().query(MetricsFilter())["counters"]:
        key = f"{metric.key.metric.namespace}.{metric.key.metric.name}"
        value = metric.committed if metric.committed is not None else metric.attempted
        counters[key] = counters.get(key, 0) + (value or 0)
    return counters


def top_entities(output: str, n: int = 10) -> list[tuple[str, int]]:
    """Most mentioned canonical entities in the written articles (streamed, not held)."""
    counts: Counter = Counter()
    for path in glob.glob(os.path.join(output, "articles-*.jsonl")):
        with open(path, "rb") as handle:
            for line in handle:
                for item in orjson.loads(line).get("entity_summary", []):
                    counts[f"{item['canonical']} ({item['label']})"] += item["count"]
    return counts.most_common(n)


def summary(counters: dict[str, int], output: Optional[str], elapsed: float) -> str:
    """The end-of-run report: records in, enriched, dead letters per stage, languages, entities."""
    records_in = (counters.get("read.records_out", 0) + counters.get("read.dead_letters", 0)
                  + counters.get("kafka.records_out", 0))
    enriched = counters.get("entities.records_out", 0)
    dead = {stage: counters.get(f"{stage}.dead_letters", 0) for stage in (*STAGES, *SINK_STAGES)}
    total_dead = sum(dead.values())
    enrich_dead = sum(dead[stage] for stage in STAGES)
    reasons = sorted((k.split(".", 1)[0], k.split("dead_letter.", 1)[1], v)
                     for k, v in counters.items() if ".dead_letter." in k and v)
    languages = sorted(((k.split("detected.", 1)[1], v) for k, v in counters.items()
                        if k.startswith("language.detected.") and v), key=lambda kv: -kv[1])
    lines = [
        "",
        "=== ingest summary ===",
        f"records in:     {records_in}",
        f"enriched:       {enriched}",
        f"dead letters:   {total_dead}" + (
            " (" + ", ".join(f"{stage}: {n}" for stage, n in dead.items() if n) + ")" if total_dead else ""),
    ]
    lines += [f"  {stage}/{reason}: {n}" for stage, reason, n in reasons]
    balance = "balanced" if records_in == enriched + enrich_dead else "NOT BALANCED"
    lines.append(f"check:          in = enriched + dead letters before the sinks: {balance}")
    if "postgres_sink.records_in" in counters:
        sink_in, stored = counters["postgres_sink.records_in"], counters.get("postgres_sink.records_out", 0)
        sink_balance = "balanced" if sink_in == enriched == stored + dead["postgres_sink"] else "NOT BALANCED"
        lines.append(
            f"postgres:       {stored} of {sink_in} stored ({counters.get('postgres_sink.articles_written', 0)} "
            f"written, {counters.get('postgres_sink.articles_unchanged', 0)} unchanged), "
            f"{dead['postgres_sink']} dead letters, {counters.get('postgres_sink.retries', 0)} retries; "
            f"enriched = stored + dead letters: {sink_balance}"
        )
    lines.append("languages:      " + (", ".join(f"{code} {n}" for code, n in languages) or "-"))
    if output:
        lines.append("top entities:   " + (", ".join(f"{name} {n}" for name, n in top_entities(output)) or "-"))
        lines.append(f"output:         {os.path.join(output, 'articles-*.jsonl')}, {os.path.join(output, 'dead_letter-*.jsonl')}")
    lines.append(f"elapsed:        {elapsed:.1f} s wall, {time.process_time():.1f} s CPU (this process)")
    return "\n".join(lines)


INTERRUPTED = 130  # exit code after Ctrl-C (128 + SIGINT), as shells report it


def stop_kafka_on_sigint() -> None:
    """First Ctrl-C: the Kafka readers finish the records they claimed and the run ends
    normally (sinks flushed, offsets of what was written committed, summary printed).
    A second Ctrl-C aborts at once."""

    def on_sigint(signum, frame):
        if stop_requested():
            raise KeyboardInterrupt
        print("\n[ingest] Ctrl-C: stopping the Kafka read, finishing the records in flight "
              "(Ctrl-C again to abort)", file=sys.stderr, flush=True)
        request_stop()

    signal.signal(signal.SIGINT, on_sigint)


LOCAL_RUNNERS = {None, "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner", "PrismRunner"}


def waits_for_job(options: PipelineOptions) -> bool:
    """False for a Dataflow template launch and a streaming job on a remote runner.

    Such a job outlives this process (a Flex Template launcher must return once the
    job is created, and has no job to query metrics from); the runner's UI shows its metrics.
    """
    if options.get_all_options().get("template_location"):
        return False
    standard = options.view_as(StandardOptions)
    runner = standard.runner if isinstance(standard.runner, (str, type(None))) else type(standard.runner).__name__
    return not standard.streaming or runner in LOCAL_RUNNERS


def local_runner(options: PipelineOptions):
    """The FnApiRunner for a local run, or None to let Beam pick the requested runner.

    Beam's DirectRunner first tries the Prism runner, which downloads its binary at run
    time; this project fetches nothing at run time, and the FnApiRunner is where the
    DirectRunner ends up for these pipelines anyway (batch and ``--streaming`` alike). It
    honours ``--direct_num_workers`` and ``--direct_running_mode``.
    """
    if options.view_as(StandardOptions).runner not in (None, "DirectRunner", "SwitchingDirectRunner"):
        return None
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    provision = fn_runner.ExtendedProvisionInfo(beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded))
    return fn_runner.FnApiRunner(provision_info=provision)


def help_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.ingest",
        description=__doc__.split("\n\n")[0] + " Any other standard Beam pipeline option is passed to the runner.",
    )
    for options_class in HELP_OPTION_CLASSES:
        group = parser.add_argument_group(options_class.__name__)
        options_class._add_argparse_args(group)
    return parser


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ingest job; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        help_parser().print_help()
        return 0
    options = PipelineOptions(argv)
    ingest = options.view_as(IngestOptions)
    options.view_as(SetupOptions).save_main_session = False
    kafka = options.view_as(KafkaOptions)
    streaming = options.view_as(StandardOptions).streaming
    try:
        direct = options.view_as(StandardOptions).runner in (None, "DirectRunner", "SwitchingDirectRunner")
        kafka_in = check_kafka_options(kafka, ingest, streaming,
                                       options.view_as(DirectOptions).direct_num_workers if direct else 1)
        patterns = [] if kafka_in else expand_patterns(ingest.input or DEFAULT_INPUT)
        output = ingest.output or (None if kafka_in else DEFAULT_OUTPUT)
        if output:
            prepare_output_dir(output)
        if ingest.max_input_bytes <= 0:
            raise UsageError("--max_input_bytes must be positive")
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    postgres = options.view_as(PostgresOptions)
    postgres_dsn = resolve_dsn(postgres.postgres_dsn)
    sink = None
    if postgres_dsn is not None:
        try:  # schema first: workers only write
            applied = migrate(postgres_dsn)
        except (MigrationError, PostgresSinkError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"[ingest] postgres {describe_dsn(postgres_dsn)}: "
              f"{len(applied)} migration(s) applied", file=sys.stderr, flush=True)
        # The flag (or None: the workers read $PGDSN / PG* themselves), never an env-derived secret.
        sink = PostgresSink(postgres.postgres_dsn, batch_size=postgres.postgres_batch_size)
    started = time.perf_counter()
    pipeline = beam.Pipeline(runner=local_runner(options), options=options)
    if kafka_in:
        sinks = ", ".join(x for x in (kafka.output_topic, kafka.dead_letter_topic, output) if x)
        print(f"[ingest] {'streaming' if streaming else 'replaying'} Kafka topic {kafka.input_topic} "
              f"(group {kafka.group_id}) -> {sinks}", file=sys.stderr, flush=True)
        from kafka.errors import KafkaError

        try:  # a bounded read plans its partitions here, against the brokers
            bounded_plan = build_kafka_pipeline(pipeline, ingest, kafka, streaming, output, sink)
        except (KafkaError, TopicNotFoundError) as error:
            print(kafka_error_message(kafka_config(kafka), error), file=sys.stderr)
            return 1
    else:
        print(f"[ingest] replaying {', '.join(patterns)} -> {output}", file=sys.stderr, flush=True)
        build_pipeline(pipeline, ingest, patterns, output, sink)
    # The stop flag reaches readers in this process only: a local runner's.
    local_kafka = kafka_in and waits_for_job(options) and options.view_as(StandardOptions).runner in LOCAL_RUNNERS
    if local_kafka:
        stop_kafka_on_sigint()
    try:
        result = pipeline.run()
        if local_kafka:
            result.wait_until_finish()
    except KeyboardInterrupt:
        print("[ingest] aborted by a second Ctrl-C: no summary; records read since the last committed "
              "offsets will be read again", file=sys.stderr, flush=True)
        return INTERRUPTED
    if not waits_for_job(options):
        print(f"[ingest] job submitted ({options.view_as(StandardOptions).runner}); state {result.state}. "
              "Not waiting: watch it in the runner's UI (counters: deploy/README.md).", file=sys.stderr, flush=True)
        return 0
    result.wait_until_finish()
    counters = stage_counters(result)
    problem = None
    if kafka_in and bounded_plan:
        problem = finish_bounded_read(kafka_config(kafka), kafka.group_id, bounded_plan,
                                      counters.get("kafka.records_out", 0), commit=bool(output))
    print(summary(counters, output, time.perf_counter() - started))
    if kafka_in and stop_requested():
        print("[ingest] stopped by Ctrl-C" + (f" before the end ({problem})" if problem else "")
              + "; offsets of what was written are committed", file=sys.stderr, flush=True)
        return INTERRUPTED
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.WARNING)
    sys.exit(run())
