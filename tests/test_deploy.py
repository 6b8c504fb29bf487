"""Deployment artefacts (deploy/): the streaming graph, pickling, template metadata, manifests, images.

No cluster, docker engine or network here: these tests build the pipeline graph for the
remote runners without running it, and check every file under deploy/ against the code.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
from pathlib import Path

import apache_beam as beam
import pytest
import yaml
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_runner_api_pb2

from pipelines.ingest import build_kafka_pipeline, check_kafka_options, waits_for_job
from pipelines.options import IngestOptions, KafkaOptions, PostgresOptions
from tests.conftest import run_stage
from transforms.postgres_sink import PostgresSink
from transforms.stage import BatchStageDoFn, StageDoFn, apply_batch_stage, apply_stage, map_results

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PIPELINE_OPTION_CLASSES = (IngestOptions, KafkaOptions, PostgresOptions)
KAFKA_ARGS = [
    "--kafka_bootstrap_servers=kafka-0.kafka.invalid:9092,kafka-1.kafka.invalid:9092",
    "--input_topic=raw-articles", "--output_topic=enriched-articles", "--dead_letter_topic=dead-letter-articles",
]
FLINK_ARGS = ["--runner=FlinkRunner", "--flink_master=flink.invalid:8081", "--environment_type=EXTERNAL",
              "--environment_config=localhost:50000"]


def pipeline_option_actions() -> dict[str, argparse.Action]:
    """Every option the pipeline's own PipelineOptions subclasses define, by dest."""
    actions: dict[str, argparse.Action] = {}
    for options_class in PIPELINE_OPTION_CLASSES:
        parser = argparse.ArgumentParser(add_help=False)
        options_class._add_argparse_args(parser)
        actions.update({action.dest: action for action in parser._actions})
    return actions


def streaming_graph(argv: list[str], postgres: bool = True) -> beam.Pipeline:
    """The streaming Kafka pipeline as ``run()`` builds it, constructed but never run."""
    options = PipelineOptions(argv)
    ingest, kafka = options.view_as(IngestOptions), options.view_as(KafkaOptions)
    streaming = options.view_as(StandardOptions).streaming
    assert streaming and check_kafka_options(kafka, ingest, streaming)
    pipeline = beam.Pipeline(options=options)
    sink = PostgresSink(options.view_as(PostgresOptions).postgres_dsn) if postgres else None
    build_kafka_pipeline(pipeline, ingest, kafka, streaming, None, sink)
    return pipeline


# --------------------------------------------------------------------------- graph


def test_streaming_graph_with_kafka_and_postgres_converts_to_the_portable_proto():
    pipeline = streaming_graph(["--streaming", *FLINK_ARGS, *KAFKA_ARGS, "--postgres_dsn=host=db.invalid dbname=news"])
    proto = pipeline.to_runner_api()
    assert isinstance(proto, beam_runner_api_pb2.Pipeline)
    # Round trip through bytes, as a job server receives it.
    proto = beam_runner_api_pb2.Pipeline.FromString(proto.SerializeToString())
    assert "beam:requirement:pardo:splittable_dofn:v1" in proto.requirements
    assert "beam:requirement:pardo:finalization:v1" in proto.requirements  # offsets committed per bundle
    labels = {t.unique_name for t in proto.components.transforms.values()}
    for expected in ("ReadKafka", "Enrich/Parse", "Enrich/Clean", "Enrich/Language", "Enrich/Source",
                     "Enrich/Entities", "WritePostgres", "WriteArticlesKafka"):
        assert expected in labels, expected
    assert any(label.startswith("WriteDeadLettersKafka") for label in labels)
    # Every ParDo payload decodes back to its DoFn (what a remote SDK harness does first).
    par_do = common_urns.primitives.PAR_DO.urn
    decoded = 0
    for transform in proto.components.transforms.values():
        if transform.spec.urn == par_do:
            payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
            if payload.do_fn.urn == "beam:dofn:pickled_python_info:v1":
                fn, *_ = pickler.loads(payload.do_fn.payload)
                assert isinstance(fn, beam.DoFn)
                decoded += 1
    assert decoded >= 10


def test_streaming_kafka_read_is_marked_unbounded_in_the_graph():
    proto = streaming_graph(["--streaming", *FLINK_ARGS, *KAFKA_ARGS]).to_runner_api()
    reader = next(t for t in proto.components.transforms.values() if t.unique_name == "ReadKafka/ReadPartitions")
    output = proto.components.pcollections[next(iter(reader.outputs.values()))]
    assert output.is_bounded == beam_runner_api_pb2.IsBounded.UNBOUNDED


def test_graph_construction_connects_to_nothing(monkeypatch):
    """Building the graph must not reach Kafka or PostgreSQL (the launcher may have no route)."""
    import kafka
    import psycopg

    def refuse(*args, **kwargs):
        raise AssertionError("graph construction opened a connection")

    monkeypatch.setattr(kafka, "KafkaConsumer", refuse)
    monkeypatch.setattr(kafka, "KafkaProducer", refuse)
    monkeypatch.setattr(psycopg, "connect", refuse)
    pipeline = streaming_graph(["--streaming", *FLINK_ARGS, *KAFKA_ARGS, "--postgres_dsn=host=db.invalid"])
    assert pipeline.to_runner_api().components.transforms


def test_secrets_from_the_environment_stay_out_of_the_graph(monkeypatch):
    monkeypatch.setenv("PGDSN", "host=db.invalid user=news password=pg-secret-value-1")
    monkeypatch.setenv("PGPASSWORD", "pg-secret-value-2")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "kafka-user-value")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "kafka-secret-value-3")
    pipeline = streaming_graph(["--streaming", *FLINK_ARGS, *KAFKA_ARGS, "--kafka_security_protocol=SASL_SSL",
                                "--kafka_sasl_mechanism=SCRAM-SHA-512"])
    blob = pipeline.to_runner_api().SerializeToString()
    for secret in ("pg-secret-value-1", "pg-secret-value-2", "kafka-secret-value-3", "kafka-user-value"):
        assert secret.encode() not in blob


# --------------------------------------------------------------------------- pickling


def test_every_dofn_and_the_options_pickle_as_beam_does():
    pipeline = streaming_graph(["--streaming", *FLINK_ARGS, *KAFKA_ARGS, "--postgres_dsn=host=db.invalid"])
    dofns = []

    class Collect(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            if isinstance(node.transform, beam.ParDo):
                dofns.append(node.transform.fn)

    pipeline.visit(Collect())
    names = {type(fn).__name__ for fn in dofns}
    assert {"StageDoFn", "BatchStageDoFn", "KafkaSinkFn", "_WriteArticlesFn", "ReportProgress"} <= names
    assert any("ReadPartitionFn" in name for name in names)
    for fn in dofns:
        restored = pickler.loads(pickler.dumps(fn))
        assert type(restored) is type(fn)
        if hasattr(fn, "stage"):
            assert restored.stage == fn.stage
    options = pipeline.options
    restored = pickler.loads(pickler.dumps(options))
    assert restored.view_as(KafkaOptions).input_topic == "raw-articles"
    assert restored.view_as(StandardOptions).streaming is True
    for options_class in PIPELINE_OPTION_CLASSES:
        assert type(pickler.loads(pickler.dumps(options.view_as(options_class)))) is options_class


# --------------------------------------------------------------------------- submission


def test_remote_streaming_jobs_and_template_launches_do_not_block_the_launcher():
    assert not waits_for_job(PipelineOptions(["--streaming", *FLINK_ARGS]))
    assert not waits_for_job(PipelineOptions(["--runner=DataflowRunner", "--streaming"]))
    assert not waits_for_job(PipelineOptions(["--template_location=gs://bucket/spec.json"]))
    assert waits_for_job(PipelineOptions(["--streaming"]))  # DirectRunner: local, summary printed
    assert waits_for_job(PipelineOptions([*FLINK_ARGS]))  # bounded replay on Flink ends by itself


def test_flink_submit_commands_parse_and_build_the_graph():
    out = subprocess.run(["bash", str(DEPLOY / "flink" / "run.sh"), "print"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    commands = [shlex.split(line) for line in out.splitlines() if line.strip()]
    assert len(commands) == 2
    for command in commands:
        assert command[1:3] == ["-m", "pipelines.ingest"]
        argv = command[3:]
        assert "--runner=FlinkRunner" in argv and "--streaming" in argv
        assert any(a.startswith("--flink_master=") for a in argv)
        assert any(a.startswith("--environment_type=") for a in argv)
        pipeline = streaming_graph(argv, postgres=False)
        assert pipeline.to_runner_api().components.transforms


def test_dataflow_template_entry_point_forces_streaming():
    import importlib.util

    spec = importlib.util.spec_from_file_location("flex_main", DEPLOY / "dataflow" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.template_argv(["--input_topic=a"]) == ["--input_topic=a", "--streaming"]
    assert module.template_argv(["--streaming", "--input_topic=a"]) == ["--streaming", "--input_topic=a"]


# --------------------------------------------------------------------------- template metadata


def test_flex_template_metadata_lists_exactly_the_pipeline_options():
    metadata = json.loads((DEPLOY / "dataflow" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["name"] and metadata["description"] and metadata["streaming"] is True
    parameters = {p["name"]: p for p in metadata["parameters"]}
    assert len(parameters) == len(metadata["parameters"]), "duplicate parameter"
    actions = pipeline_option_actions()
    assert set(parameters) == set(actions), (
        f"missing from metadata: {sorted(set(actions) - set(parameters))}; "
        f"not pipeline options: {sorted(set(parameters) - set(actions))}")
    for name, action in actions.items():
        parameter = parameters[name]
        assert parameter["label"].strip() and len(parameter["helpText"]) >= 20, name
        assert isinstance(parameter["isOptional"], bool), name
        if action.default is not None:
            assert parameter["defaultValue"] == str(action.default), name
            assert parameter["isOptional"], name
        else:
            assert "defaultValue" not in parameter, name
        if action.choices:
            assert parameter["paramType"] == "ENUM", name
            assert [o["value"] for o in parameter["enumOptions"]] == list(action.choices), name
        elif action.type in (int, float):
            assert parameter["paramType"] == "NUMBER", name
        for regex in parameter.get("regexes", []):
            compiled = re.compile(regex)
            if action.default is not None:
                assert compiled.fullmatch(str(action.default)), (name, regex)


def test_streaming_template_requires_what_a_streaming_run_requires():
    parameters = {p["name"]: p for p in json.loads((DEPLOY / "dataflow" / "metadata.json").read_text())["parameters"]}
    required = {name for name, p in parameters.items() if not p["isOptional"]}
    assert required == {"kafka_bootstrap_servers", "input_topic", "output_topic", "dead_letter_topic"}
    # The required ones alone make a valid streaming run; without the dead-letter topic it is refused.
    argv = ["--streaming"] + [f"--{name}=x.invalid:9092" if name == "kafka_bootstrap_servers" else f"--{name}=t"
                              for name in sorted(required)]
    options = PipelineOptions(argv)
    assert check_kafka_options(options.view_as(KafkaOptions), options.view_as(IngestOptions), True)
    from pipelines.ingest import UsageError

    options = PipelineOptions([a for a in argv if not a.startswith("--dead_letter_topic")])
    with pytest.raises(UsageError):
        check_kafka_options(options.view_as(KafkaOptions), options.view_as(IngestOptions), True)


# --------------------------------------------------------------------------- manifests and images


def test_flink_manifests_parse_and_reference_each_other():
    deployment = list(yaml.safe_load_all((DEPLOY / "flink" / "flink-deployment.yaml").read_text()))
    server = list(yaml.safe_load_all((DEPLOY / "flink" / "job-server.yaml").read_text()))
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in deployment + server}
    flink = by_kind[("FlinkDeployment", "news-ingest-flink")]
    assert flink["apiVersion"] == "flink.apache.org/v1beta1"
    assert "job" not in flink["spec"]  # a session cluster: the Beam job server submits the job
    containers = {c["name"]: c for c in flink["spec"]["taskManager"]["podTemplate"]["spec"]["containers"]}
    pool = containers["beam-worker-pool"]
    assert pool["args"] == ["--worker_pool"] and pool["ports"][0]["containerPort"] == 50000
    flink_version = flink["spec"]["flinkVersion"].removeprefix("v").replace("_", ".")
    job_server = by_kind[("Deployment", "beam-flink-job-server")]["spec"]["template"]["spec"]["containers"][0]
    assert job_server["image"] == f"apache/beam_flink{flink_version}_job_server:{beam.__version__}"
    args = dict(a.removeprefix("--").split("=", 1) for a in job_server["args"])
    assert args["flink-master"] == f"{flink['metadata']['name']}-rest:8081"  # the operator's REST service
    service = by_kind[("Service", "beam-flink-job-server")]
    assert {p["port"] for p in service["spec"]["ports"]} >= {int(args["job-port"]), int(args["artifact-port"])}
    claims = {name for (kind, name) in by_kind if kind == "PersistentVolumeClaim"}
    volumes = [v for v in flink["spec"]["taskManager"]["podTemplate"]["spec"]["volumes"]]
    volumes += by_kind[("Deployment", "beam-flink-job-server")]["spec"]["template"]["spec"]["volumes"]
    assert {v["persistentVolumeClaim"]["claimName"] for v in volumes} <= claims
    run_sh = (DEPLOY / "flink" / "run.sh").read_text()
    assert f"--flink_version={flink_version}" in run_sh


def _dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_worker_dockerfile_follows_the_beam_custom_container_pattern():
    instructions = _dockerfile_instructions(DEPLOY / "Dockerfile")
    froms = [arg for op, arg in instructions if op == "FROM"]
    assert froms == [f"apache/beam_python3.11_sdk:{beam.__version__}"]  # the SDK the launcher uses
    copied = " ".join(arg for op, arg in instructions if op == "COPY")
    for path in ("pyproject.toml", "schemas/", "pipelines/", "transforms/", "deploy/postgres/"):
        assert path in copied, path
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert "pip install ." in runs and "MODEL_PATH.is_file()" in runs
    assert instructions[-1] == ("ENTRYPOINT", '["/opt/apache/beam/boot"]')
    # Everything the Dockerfile copies exists, and the model is shipped as package data.
    for arg in (arg for op, arg in instructions if op == "COPY"):
        for source in arg.split()[:-1]:
            assert (ROOT / source).exists(), source
    from transforms.entities import MODEL_PATH

    assert MODEL_PATH.is_file() and MODEL_PATH.parent.name == "models"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"*.crfsuite"' in pyproject and "transforms*" in pyproject


def test_template_dockerfile_adds_the_launcher_to_the_worker_image():
    instructions = _dockerfile_instructions(DEPLOY / "dataflow" / "Dockerfile")
    ops = dict(instructions)
    assert ("ARG", "WORKER_IMAGE") in instructions
    froms = [arg for op, arg in instructions if op == "FROM"]
    assert froms[0].startswith("gcr.io/dataflow-templates-base/python311-template-launcher-base")
    assert froms[-1] == "${WORKER_IMAGE}"
    assert any("FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in arg for op, arg in instructions if op == "ENV")
    assert any("deploy/dataflow/main.py /template/main.py" in arg for op, arg in instructions if op == "COPY")
    assert ops["ENTRYPOINT"] == '["/opt/apache/beam/boot"]'


# --------------------------------------------------------------------------- kafka topics


def test_topic_definitions_match_the_pipeline_defaults_and_keep_dead_letters_longer():
    out = subprocess.run(["bash", str(DEPLOY / "kafka" / "apply-topics.sh"), "--dry-run"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    topics = {}
    for line in out.splitlines():
        argv = shlex.split(line)
        assert argv[0] == "kafka-topics.sh" and "--create" in argv
        name = argv[argv.index("--topic") + 1]
        configs = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--config")
        topics[name] = (int(argv[argv.index("--partitions") + 1]), configs)
    local_topics = re.search(r'KAFKA_TOPICS:-([^}"]+)', (DEPLOY / "local" / "kafka.sh").read_text()).group(1).split()
    assert set(topics) == set(local_topics)  # the same names as the local broker
    raw, enriched, dead = (topics[name] for name in ("raw-articles", "enriched-articles", "dead-letter-articles"))
    assert int(dead[1]["retention.ms"]) > max(int(raw[1]["retention.ms"]), int(enriched[1]["retention.ms"]))
    for partitions, configs in topics.values():
        assert partitions >= 1 and configs["cleanup.policy"] in ("delete", "compact")
    default_max = pipeline_option_actions()["max_input_bytes"].default
    assert int(raw[1]["max.message.bytes"]) > default_max  # oversize records reach the pipeline
    assert int(enriched[1]["max.message.bytes"]) <= 8 << 20  # what the pipeline's producer may send


# --------------------------------------------------------------------------- metrics


def _length(_element, result) -> int:
    return len(result)


def _broken(_element, _result) -> int:
    raise ValueError("measure bug")


class _Measured(beam.PTransform):
    def __init__(self, batch: bool):
        super().__init__()
        self.batch = batch

    def expand(self, pcoll):
        fn = lambda s: s.upper()  # noqa: E731
        measures = {"counters": {"chars_out": _length}, "distributions": {"per_record": _length, "bad": _broken}}
        if self.batch:
            return apply_batch_stage(pcoll, "M", BatchStageDoFn("m", map_results(lambda s, _: fn(s)), **measures))
        return apply_stage(pcoll, "M", StageDoFn("m", fn, **measures))


@pytest.mark.parametrize("batch", [False, True])
def test_stage_measures_are_reported_as_stage_dot_name_and_a_broken_measure_loses_nothing(batch):
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.testing.test_pipeline import TestPipeline

    pipeline = TestPipeline()
    pipeline | beam.Create(["ab", "cde", ""]) | _Measured(batch)
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace("m"))
    counters = {m.key.metric.name: m.committed for m in query["counters"]}
    distributions = {m.key.metric.name: m.committed for m in query["distributions"]}
    assert counters["records_in"] == counters["records_out"] == 3
    assert counters["chars_out"] == 5
    assert counters["measure_errors"] == 3  # the broken measure, once per record
    per_record = distributions["per_record"]
    assert (per_record.count, per_record.sum, per_record.min, per_record.max) == (3, 5, 0, 3)
    assert distributions["latency_us"].count == 3
    assert ("batch_size" in distributions) is batch
    main, dead = run_stage(_Measured(batch), ["x", "yz"])
    assert sorted(main) == ["X", "YZ"] and dead == []


def test_readme_catalogues_the_shared_metric_names():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for name in ("records_in", "records_out", "dead_letters", "dead_letter.<reason>", "latency_us", "batch_size",
                 "measure_errors", "kafka.records_out", "kafka.bytes_in", "kafka.offset_commit_failures"):
        assert f"`{name}" in readme or f"{name}`" in readme, name
    for stage in ("parse", "clean", "language", "source", "entities", "postgres_sink"):
        assert f"`{stage}" in readme, stage
    assert "Tested here" in readme and "Not tested here" in readme
