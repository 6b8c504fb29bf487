"""The PostgreSQL sink's metrics in a replay run against a real server, checked against the catalogue."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.ingest import build_pipeline, local_runner
from pipelines.options import IngestOptions
from tests.conftest import SAMPLES
from tests.test_metrics_catalogue import catalogue, emitted_metrics, missing_core_names, undocumented
from transforms.postgres_sink import STAGE, PostgresSink

pytestmark = pytest.mark.integration


def test_the_sink_emits_the_core_names_and_only_catalogued_ones(clean_db: str, tmp_path: Path) -> None:
    options = PipelineOptions([])
    pipeline = beam.Pipeline(runner=local_runner(options), options=options)
    build_pipeline(pipeline, options.view_as(IngestOptions), [str(SAMPLES / "*.txt")], str(tmp_path),
                   PostgresSink(clean_db))
    result = pipeline.run()
    result.wait_until_finish()
    kinds, values = emitted_metrics(result)

    stages, _ = catalogue()
    assert stages[STAGE].startswith("processing")
    assert missing_core_names([STAGE], kinds) == []
    assert undocumented(kinds) == []
    assert kinds[f"{STAGE}.batch_size"] == "distribution" and values[f"{STAGE}.articles_written"] == 5
    assert values[f"{STAGE}.records_in"] == values[f"{STAGE}.records_out"] == values["entities.records_out"] == 5
    assert values[f"{STAGE}.dead_letters"] == 0  # reported at 0, so a dead-letter rate has a series
    assert values[f"{STAGE}.latency_us"].count == 5
