"""The ingest command end to end on the DirectRunner: samples, bad inputs, CLI contract."""

import glob
import os
import subprocess
import sys

import orjson
import pytest

from schemas.validate import errors
from tests.conftest import FIXTURES, ROOT

BAD_INPUTS = FIXTURES / "bad_inputs"


def ingest(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.ingest", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def read_jsonl(pattern: str) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as handle:
            rows += [orjson.loads(line) for line in handle if line.strip()]
    return rows


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples_out")
    return ingest("--input", str(ROOT / "samples" / "*.txt"), "--output", str(out)), out


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bad_out")
    return ingest("--input", f"{BAD_INPUTS}/*", "--output", str(out), "--max_input_bytes", "100000"), out


def test_samples_give_five_schema_valid_articles(samples_run):
    result, out = samples_run
    assert result.returncode == 0, result.stderr
    articles = read_jsonl(f"{out}/articles-*.jsonl")
    assert len(articles) == 5
    assert read_jsonl(f"{out}/dead_letter-*.jsonl") == []
    for record in articles:
        assert errors("article", record) == [], record["id"]
        for entity in record["entities"]:
            assert record["body"][entity["start"]:entity["end"]] == entity["text"]
    assert sorted(a["language"] for a in articles) == ["en", "id", "id", "id", "id"]


def test_summary_is_printed_and_balanced(samples_run):
    result, _ = samples_run
    assert "records in:     5" in result.stdout
    assert "enriched:       5" in result.stdout
    assert "balanced" in result.stdout and "NOT BALANCED" not in result.stdout
    assert "languages:      id 4, en 1" in result.stdout
    assert "top entities:" in result.stdout
    assert "[ingest] replaying" in result.stderr


def test_bad_inputs_each_end_as_one_dead_letter_with_reason(bad_run):
    result, out = bad_run
    assert result.returncode == 0, result.stderr
    articles = read_jsonl(f"{out}/articles-*.jsonl")
    dead = read_jsonl(f"{out}/dead_letter-*.jsonl")
    for record in articles:
        assert errors("article", record) == []
    for letter in dead:
        assert errors("dead_letter", letter) == []
    assert sorted(a["id"] for a in articles if a["id"].startswith("ok-")) == ["ok-1", "ok-2"]
    where = {(os.path.basename(d["origin"]["path"]), d["origin"].get("line")): (d["stage"], d["reason"]) for d in dead}
    assert where == {
        ("empty.txt", None): ("parse", "empty"),
        ("whitespace.txt", None): ("parse", "empty"),
        ("control_only.txt", None): ("parse", "no_letters"),
        ("undecodable.txt", None): ("parse", "undecodable"),
        ("corrupt.txt.gz", None): ("read", "unreadable"),
        ("huge.txt", None): ("parse", "oversize"),
        ("feed.jsonl", 2): ("parse", "invalid_json"),
        ("feed.jsonl", 3): ("parse", "not_object"),
        ("feed.jsonl", 4): ("parse", "missing_text"),
        ("feed.jsonl", 5): ("parse", "wrong_type"),
        ("feed.jsonl", 6): ("parse", "empty"),
    }
    huge = next(d for d in dead if d["reason"] == "oversize")
    assert huge["raw"] is None and huge["raw_size"] == 150000 and len(huge["raw_sha256"]) == 64
    # every input is accounted for: 7 one-record files + 7 JSONL lines = 14 records
    assert len(articles) == 3 and len(dead) == 11
    assert "records in:     14" in result.stdout and "enriched:       3" in result.stdout
    assert "dead letters:   11" in result.stdout and "balanced" in result.stdout


def test_help_documents_every_option():
    result = ingest("--help")
    assert result.returncode == 0
    for option in ("--input", "--output", "--max_input_bytes", "--progress_every", "--runner", "--streaming",
                   "--direct_num_workers", "--direct_running_mode"):
        assert option in result.stdout, option


def test_missing_input_is_a_usage_error(tmp_path):
    result = ingest("--input", str(tmp_path / "nothing-here-*.txt"), "--output", str(tmp_path / "o"))
    assert result.returncode == 2 and "no file matches" in result.stderr


def test_unwritable_output_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = ingest("--input", str(ROOT / "samples" / "*.txt"), "--output", str(blocker / "sub"))
    assert result.returncode == 2 and "--output" in result.stderr


def test_default_run_replays_samples_into_out(tmp_path):
    result = ingest(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(read_jsonl(f"{tmp_path}/out/articles-*.jsonl")) == 5


def test_local_runs_use_the_fnapi_runner_never_prism():
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    from pipelines.ingest import local_runner

    for argv in ([], ["--runner", "DirectRunner"], ["--streaming"]):
        assert isinstance(local_runner(PipelineOptions(argv)), fn_runner.FnApiRunner), argv
    assert local_runner(PipelineOptions(["--runner", "FlinkRunner"])) is None
