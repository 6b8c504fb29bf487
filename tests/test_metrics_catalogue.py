"""The metrics catalogue of deploy/README.md against what a replay run really emits.

The file replay (samples plus bad records) runs in process on the FnApiRunner, as
``python -m pipelines.ingest`` runs locally; every metric is queried from the PipelineResult.

Names being added in parallel (``clean.bytes_removed``, ``parse.bytes_in``, ``entities.per_article``,
``kafka.backlog_records``) must be in the catalogue already; a run checks a name only when a stage
emits it, so these tests pass before and after they land. The check is strict on what is emitted:
a name (or a kind) not in the catalogue fails, whichever stage emits it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.ingest import build_pipeline, local_runner, summary
from pipelines.options import IngestOptions
from tests.conftest import FIXTURES, ROOT, SAMPLES
from transforms.stage import BatchStageDoFn, StageDoFn

README = ROOT / "deploy" / "README.md"
CORE = {"records_in": "counter", "records_out": "counter", "dead_letters": "counter", "latency_us": "distribution"}
# Beam's own metrics (batching transforms, file-sink lineage): documented as not ours.
BEAM_NAMESPACES = ("BatchElements", "lineage")
KINDS = {"counters": "counter", "distributions": "distribution", "gauges": "gauge"}
PARALLEL = {"clean.bytes_removed": "counter", "parse.bytes_in": "counter",
            "entities.per_article": "distribution", "kafka.backlog_records": "gauge"}
NAME = re.compile(r"^(?P<stage>[a-z][a-z0-9_]*)\.(?P<what>[a-z][a-z0-9_]*(?:\.\S+)?)$")
PLACEHOLDERS = {"reason": r"[a-z0-9_]+", "code": r"[A-Za-z0-9_-]+", "topic": r"[A-Za-z0-9._-]+", "partition": r"[0-9]+"}


# --------------------------------------------------------------------------- the catalogue


def _tables(text: str, header: str) -> Iterable[list[str]]:
    """The rows (cells) of every Markdown table under ``header`` in ``text``."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() != header:
            continue
        for row in lines[index + 2:]:
            if not row.startswith("|"):
                break
            yield [cell.strip() for cell in row.strip().strip("|").split("|")]


def metrics_section(text: str) -> str:
    start = text.index("\n## Metrics\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def catalogue(text: str | None = None) -> tuple[dict[str, str], list[tuple[str, re.Pattern, str]]]:
    """(stage -> role, [(documented name, regex, kind)]) from deploy/README.md's Metrics section."""
    section = metrics_section(text if text is not None else README.read_text(encoding="utf-8"))
    stages = {row[0].strip("`"): row[1] for row in _tables(section, "| Stage | Role | Module |")}
    processing = sorted(stage for stage, role in stages.items() if role.startswith("processing"))
    entries = []
    for row in _tables(section, "| Metric | Kind | Meaning |"):
        names = re.findall(r"`([^`]+)`", row[0])
        assert names, f"a catalogue row without a name: {row}"
        for name in names:
            pattern = ""
            for literal, placeholder in re.findall(r"([^<]*)(?:<([a-z]+)>)?", name):
                pattern += re.escape(literal)
                if placeholder == "stage":
                    pattern += "(?:" + "|".join(map(re.escape, processing)) + ")"
                elif placeholder:
                    assert placeholder in PLACEHOLDERS, f"{name}: unknown placeholder <{placeholder}>"
                    pattern += PLACEHOLDERS[placeholder]
            assert NAME.match(re.sub(r"<[a-z]+>", "x", name)), f"{name}: not <stage>.<what>"
            literal_what = name.split(".", 1)[1].split("<", 1)[0]
            assert literal_what, f"{name}: a row must name what it measures, not only a placeholder"
            entries.append((name, re.compile(pattern + r"\Z"), row[1]))
    return stages, entries


def undocumented(emitted: Mapping[str, str], text: str | None = None) -> list[str]:
    """The emitted ``name -> kind`` entries the catalogue lacks (or lists with another kind)."""
    _, entries = catalogue(text)
    missing = []
    for name, kind in sorted(emitted.items()):
        matches = [(doc, doc_kind) for doc, pattern, doc_kind in entries if pattern.match(name)]
        if not any(doc_kind == kind for _, doc_kind in matches):
            missing.append(f"{name} ({kind}; catalogue: {matches or 'absent'})")
    return missing


def emitted_metrics(result) -> tuple[dict[str, str], dict[str, Any]]:
    """(``stage.name`` -> kind, ``stage.name`` -> committed value) of our metrics, Beam's own left out."""
    kinds: dict[str, str] = {}
    values: dict[str, Any] = {}
    for kind, results in result.metrics().query(MetricsFilter()).items():
        for metric in results:
            namespace, name = metric.key.metric.namespace, metric.key.metric.name
            if namespace in BEAM_NAMESPACES:
                continue
            key = f"{namespace}.{name}"
            assert kind in KINDS, f"{key}: kind {kind!r} is not one the catalogue uses"
            kinds[key] = KINDS[kind]
            values[key] = metric.committed
    return kinds, values


def missing_core_names(stages: Iterable[str], kinds: Mapping[str, str]) -> list[str]:
    return [f"{stage}.{name} ({kind})" for stage in stages for name, kind in CORE.items()
            if kinds.get(f"{stage}.{name}") != kind]


class _StageFinder(beam.pipeline.PipelineVisitor):
    def __init__(self):
        self.stages: set[str] = set()

    def visit_transform(self, node) -> None:
        fn = getattr(node.transform, "fn", None)
        if isinstance(fn, (StageDoFn, BatchStageDoFn)):
            self.stages.add(fn.stage)


def graph_stages(pipeline: beam.Pipeline) -> set[str]:
    """The stages of every StageDoFn / BatchStageDoFn in the pipeline's graph."""
    finder = _StageFinder()
    pipeline.visit(finder)
    return finder.stages


# --------------------------------------------------------------------------- a replay run


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> tuple[set[str], dict[str, str], dict[str, Any]]:
    """Samples, the bad-input fixtures and a page of clutter only, replayed; (stages, kinds, values)."""
    inputs = tmp_path_factory.mktemp("metrics_in")
    # Phrased unlike the samples: nothing but navigation and prompts, so the cleaner keeps no text.
    (inputs / "all_clutter.txt").write_text("Advertisement\nSubscribe now\nShare this article\n", encoding="utf-8")
    output = tmp_path_factory.mktemp("metrics_out")
    options = PipelineOptions(["--max_input_bytes", "100000"])
    pipeline = beam.Pipeline(runner=local_runner(options), options=options)
    patterns = [str(SAMPLES / "*.txt"), str(FIXTURES / "bad_inputs" / "*"), str(inputs / "*.txt")]
    build_pipeline(pipeline, options.view_as(IngestOptions), patterns, str(output))
    stages = graph_stages(pipeline)
    result = pipeline.run()
    result.wait_until_finish()
    kinds, values = emitted_metrics(result)
    return stages, kinds, values


def test_every_emitted_metric_is_named_stage_dot_what_and_catalogued(replay):
    _, kinds, _ = replay
    assert kinds, "the run reported no metric: the check would be empty"
    badly_named = [name for name in kinds if not NAME.match(name)]
    assert badly_named == []
    documented_stages, _ = catalogue()
    assert sorted({name.split(".", 1)[0] for name in kinds} - set(documented_stages)) == []
    assert undocumented(kinds) == []


def test_every_processing_stage_in_the_graph_emits_the_core_names(replay):
    stages, kinds, values = replay
    documented_stages, _ = catalogue()
    processing = {stage for stage, role in documented_stages.items() if role.startswith("processing")}
    assert stages == processing - {"postgres_sink"}  # the sink: tests/integration/postgres/test_metrics.py
    assert missing_core_names(sorted(stages), kinds) == []
    for stage in stages:  # and they add up: in = out + dead letters
        assert values[f"{stage}.records_in"] == values[f"{stage}.records_out"] + values[f"{stage}.dead_letters"], stage
    # The bad records reached the stages that reject them, under their reasons.
    assert values["parse.dead_letter.oversize"] == 1 and values["clean.dead_letter.empty_after_clean"] == 1
    assert values["read.dead_letters"] == 1


def test_names_being_added_in_parallel_are_catalogued_with_their_kind(replay):
    _, kinds, _ = replay
    assert undocumented(PARALLEL) == []
    for name, kind in PARALLEL.items():  # when a stage already emits one, it must be of the listed kind
        if name in kinds:
            assert kinds[name] == kind, name


def test_the_check_fails_on_an_undocumented_name_or_kind():
    text = README.read_text(encoding="utf-8")
    assert undocumented({"clean.records_in": "counter", "language.detected.id": "counter"}, text) == []
    assert undocumented({"clean.bytes_kept": "counter"}, text) != []  # not in the catalogue
    assert undocumented({"clean.records_in": "distribution"}, text) != []  # wrong kind
    assert undocumented({"read.latency_us": "distribution"}, text) != []  # <stage> means a processing stage
    assert undocumented({"kafka.backlog_records.raw-articles.x": "gauge"}, text) != []  # partition is a number
    without = text.replace("| `parse.bytes_in` | counter |", "| `parse.bytes_read` | counter |")
    assert undocumented({"parse.bytes_in": "counter"}, without) != []
    assert missing_core_names(["clean"], {"clean.records_in": "counter"}) == [
        "clean.records_out (counter)", "clean.dead_letters (counter)", "clean.latency_us (distribution)"]


def test_beam_namespaces_left_out_are_the_ones_the_catalogue_names():
    section = metrics_section(README.read_text(encoding="utf-8"))
    for namespace in BEAM_NAMESPACES:
        assert f"`{namespace}`" in section, namespace


def test_alerts_use_catalogued_names():
    section = metrics_section(README.read_text(encoding="utf-8"))
    alerts = section[section.index("### What to alert on"):]
    stages, entries = catalogue()
    used = {name for name in re.findall(r"`((?:<stage>|[a-z_]+)\.[a-z_<>.]+)`", alerts)
            if name.split(".", 1)[0] in (*stages, "<stage>")}
    assert used, "the alert section names no metric"
    examples = {"<stage>": "parse", "<reason>": "oversize", "<code>": "id", "<topic>": "t", "<partition>": "0"}
    unknown = [name for name in used
               if not any(pattern.match(re.sub(r"<[a-z]+>", lambda m: examples[m.group(0)], name))
                          for _, pattern, _ in entries)]
    assert unknown == []
    for name in ("kafka.backlog_records", "postgres_sink.retries", "<stage>.latency_us", "<stage>.dead_letter.<reason>"):
        assert name in used, name


def test_summary_counts_sink_dead_letters_with_the_stages_and_balances_each_side():
    counters = {"read.records_out": 7, "parse.dead_letters": 2, "parse.dead_letter.empty": 2,
                "entities.records_out": 5, "postgres_sink.records_in": 5, "postgres_sink.records_out": 4,
                "postgres_sink.dead_letters": 1, "postgres_sink.dead_letter.postgres_rejected": 1,
                "postgres_sink.articles_written": 3, "postgres_sink.articles_unchanged": 1}
    report = summary(counters, None, 1.0)
    assert "dead letters:   3 (parse: 2, postgres_sink: 1)" in report
    assert "postgres_sink/postgres_rejected: 1" in report
    assert "in = enriched + dead letters before the sinks: balanced" in report
    assert "postgres:       4 of 5 stored (3 written, 1 unchanged), 1 dead letters" in report
    assert "enriched = stored + dead letters: balanced" in report
    lost = dict(counters, **{"postgres_sink.records_out": 3})  # one article neither stored nor dead-lettered
    assert "enriched = stored + dead letters: NOT BALANCED" in summary(lost, None, 1.0)
