"""The shared stage mechanism: one output or one dead letter per element, counters."""

import time

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.testing.test_pipeline import TestPipeline

from schemas.records import DeadLetter, Origin, RawRecord
from tests.conftest import run_stage
from transforms.stage import (
    BatchStageDoFn, StageDoFn, StageError, StageMetrics, apply_batch_stage, apply_stage, dead_letter_for, map_results,
)


def _double_or_fail(x: int) -> int:
    if x < 0:
        raise StageError("negative", f"{x} is negative")
    if x == 13:
        raise KeyError("unlucky")
    return 2 * x


class _Stage(beam.PTransform):
    def expand(self, pcoll):
        return apply_stage(pcoll, "Double", StageDoFn("double", _double_or_fail))


class _BatchStage(beam.PTransform):
    def expand(self, pcoll):
        return apply_batch_stage(pcoll, "Double", BatchStageDoFn("double", map_results(lambda x, _: _double_or_fail(x))))


def _whole_batch_fails(elements, state):
    if any(e == 13 for e in elements):
        raise RuntimeError("batch blew up")
    return [2 * e for e in elements]


class _FragileBatchStage(beam.PTransform):
    def expand(self, pcoll):
        return apply_batch_stage(pcoll, "Double", BatchStageDoFn("double", _whole_batch_fails))


def test_stage_routes_bad_input_and_bugs_to_dead_letters():
    main, dead = run_stage(_Stage(), [1, 2, -1, 13])
    assert sorted(main) == [2, 4]
    reasons = sorted((d.stage, d.reason) for d in dead)
    assert reasons == [("double", "internal_error"), ("double", "negative")]
    internal = next(d for d in dead if d.reason == "internal_error")
    assert "KeyError" in internal.error and "unlucky" in internal.error


def test_batch_stage_keeps_per_element_errors():
    main, dead = run_stage(_BatchStage(), list(range(-2, 20)))
    assert sorted(main) == sorted(2 * x for x in range(0, 20) if x != 13)
    assert len(dead) == 3


def test_failed_batch_is_retried_one_by_one_so_neighbours_survive():
    main, dead = run_stage(_FragileBatchStage(), list(range(20)))
    assert sorted(main) == sorted(2 * x for x in range(20) if x != 13)
    assert [d.reason for d in dead] == ["internal_error"]
    assert "batch blew up" in dead[0].error


def test_stage_outputs_with_assert_that():
    with TestPipeline() as p:
        out = p | beam.Create([3, -4]) | _Stage()
        assert_that(out.main, equal_to([6]), label="main")
        assert_that(out.dead_letter | beam.Map(lambda d: d.reason), equal_to(["negative"]), label="dead")


def test_dead_letter_echoes_small_raw_input_and_hashes_large_input():
    small = RawRecord(origin=Origin(path="a.txt"), fmt="text", data=b"hello")
    letter = dead_letter_for("parse", small, StageError("empty", "nothing"))
    assert letter.raw == "hello" and letter.raw_size == 5 and len(letter.raw_sha256) == 64
    cut = RawRecord(origin=Origin(path="b.txt"), fmt="text", data=b"x" * 10, size=10_000_000, sha256="ab" * 32)
    letter = dead_letter_for("parse", cut, StageError("oversize", "too big"))
    assert letter.raw is None and letter.raw_size == 10_000_000 and letter.raw_sha256 == "ab" * 32
    assert isinstance(letter, DeadLetter)


class _SinkLike(beam.DoFn):
    """A non-stage DoFn (like a sink) reporting through StageMetrics: batches of 4, one failing write."""

    def setup(self):
        self.metrics = StageMetrics("sinklike")

    def process(self, batch):
        metrics = self.metrics
        metrics.records_in.inc(len(batch))
        metrics.batch_size.update(len(batch))
        try:
            with metrics.timed(len(batch)):
                time.sleep(0.02)
                if 13 in batch:
                    raise ValueError("write failed")
        except ValueError:
            for element in batch:
                metrics.dead_letter("write_failed")
            return
        metrics.records_out.inc(len(batch))
        yield from batch


def test_stage_metrics_time_a_batch_per_element_also_when_the_block_raises():
    from apache_beam.metrics.metric import MetricsFilter

    pipeline = TestPipeline()
    batches = [list(range(n, n + 4)) for n in range(0, 16, 4)]  # 12..15 holds the failing 13
    pipeline | beam.Create(batches, reshuffle=False) | beam.ParDo(_SinkLike())
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace("sinklike"))
    counters = {m.key.metric.name: m.committed for m in query["counters"]}
    distributions = {m.key.metric.name: m.committed for m in query["distributions"]}
    assert counters == {"records_in": 16, "records_out": 12, "dead_letters": 4, "dead_letter.write_failed": 4}
    latency = distributions["latency_us"]
    assert latency.count == 16  # one value per element, the failed batch included
    assert latency.min >= 20_000 // 4  # the 20 ms block split over its 4 elements
    batch_size = distributions["batch_size"]
    assert (batch_size.count, batch_size.sum) == (4, 16)


def test_core_counters_are_reported_at_zero_before_the_first_dead_letter():
    from apache_beam.metrics.metric import MetricsFilter

    pipeline = TestPipeline()
    pipeline | beam.Create([1, 2, 3]) | _Stage()  # nothing fails: dead_letters is never incremented
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace("double"))
    counters = {m.key.metric.name: m.committed for m in query["counters"]}
    assert counters == {"records_in": 3, "records_out": 3, "dead_letters": 0}


def test_batch_stage_batches_have_the_fixed_size_within_a_bundle():
    from apache_beam.metrics.metric import MetricsFilter

    pipeline = TestPipeline()
    pipeline | beam.Create(list(range(150)), reshuffle=False) | _BatchStage()  # one bundle of 150
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace("double").with_name("batch_size"))
    batch_size = query["distributions"][0].committed
    assert (batch_size.count, batch_size.sum, batch_size.min, batch_size.max) == (3, 150, 22, 64)


class _TwoStagesWithState(beam.PTransform):
    def expand(self, pcoll):
        added = apply_stage(pcoll, "Add", StageDoFn("add", lambda x, one: x + one, setup_fn=lambda: 1))
        return apply_batch_stage(
            added.main, "Triple", BatchStageDoFn("triple", map_results(lambda x, three: x * three), setup_fn=lambda: 3))


def test_stage_state_is_frozen_once_per_process_not_per_stage(monkeypatch):
    import transforms.stage as stage

    freezes: list[int] = []
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(stage, "_freeze_pending", False)
    monkeypatch.setattr(stage.gc, "freeze", lambda: freezes.append(1))
    monkeypatch.setattr(stage.gc, "get_threshold", lambda: (700, 10, 100))
    monkeypatch.setattr(stage.gc, "set_threshold", lambda *values: thresholds.append(values))
    main, dead = run_stage(_TwoStagesWithState(), [1, 2, 3])
    assert sorted(main) == [6, 9, 12] and dead == []
    assert freezes == [1]  # both stages set up, one freeze before the first bundle
    assert thresholds == [(stage.GC_THRESHOLDS[0], stage.GC_THRESHOLDS[1], max(100, stage.GC_THRESHOLDS[2]))]
    freezes.clear()
    run_stage(_Stage(), [1, 2])  # no per-worker state: nothing to freeze
    assert freezes == [] and len(thresholds) == 1
    stage.apply_worker_gc()  # what the benchmark's plain loop calls: always applies, no pending flag
    assert freezes == [1] and len(thresholds) == 2
