"""Backlog reporting on the real broker: what a runner's autoscaler sees from the Kafka source.

The partition reader is driven here the way the SDK harness drives it: its restriction
tracker wrapped in Beam's ``ThreadsafeRestrictionTracker`` (the object the runner asks for
progress) and ``RestrictionTrackerView`` (what ``process`` gets), each bundle ending in a
checkpoint whose residual is the next bundle's restriction.
"""

from __future__ import annotations

import pytest
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics.execution import MetricsContainer
from apache_beam.metrics.metricbase import MetricName
from apache_beam.runners.worker import statesampler
from apache_beam.utils.counters import CounterFactory
from apache_beam.runners.sdf_utils import RestrictionTrackerView, ThreadsafeRestrictionTracker

from tests.integration.kafka.helpers import (
    API_VERSION, BOOTSTRAP, create_topic, publish, synthetic_article, unique_topic,
)
from transforms.kafka_io import (
    END_ESTIMATES, UNBOUNDED_STOP, KafkaConfig, KafkaPartition, ReadSettings, _PartitionRestrictions,
    _UnboundedReadPartitionFn,
)

pytestmark = pytest.mark.integration


class _NoFinalizer:
    def register(self, callback) -> None:  # offsets are not committed here (no group)
        pass


class _Bundles:
    """Runs one partition reader bundle by bundle, like the SDK harness."""

    def __init__(self, topic: str, bundle_records: int):
        self.provider = _PartitionRestrictions()
        self.element = KafkaPartition(topic, 0, 0, UNBOUNDED_STOP)
        self.restriction = self.provider.initial_restriction(self.element)
        settings = ReadSettings(KafkaConfig(BOOTSTRAP, api_version=API_VERSION), group_id=None, max_bytes=1 << 20,
                                bounded=False, max_bundle_records=bundle_records, max_bundle_seconds=5.0,
                                poll_timeout_ms=200, commit_offsets=False)
        self.reader = _UnboundedReadPartitionFn(settings)
        self.reader.setup()
        self.watermark = ManualWatermarkEstimator(None)
        self.progress: list = []

    def run(self) -> list:
        """One bundle: the records it emitted. After each record, the runner's view of the
        progress (it asks from another thread while ``process`` runs) is kept in ``progress``."""
        tracker = ThreadsafeRestrictionTracker(self.provider.create_tracker(self.restriction))
        out = []
        self.progress = []
        for record in self.reader.process(self.element, _NoFinalizer(), RestrictionTrackerView(tracker),
                                          self.watermark):
            out.append(record)
            self.progress.append(tracker.current_progress())
        residual, _delay = tracker.deferred_status()
        self.restriction = residual
        return out

    def remaining(self) -> float:
        """Remaining work (offsets) the runner saw after the bundle's last record."""
        return self.progress[-1].remaining_work

    def close(self) -> None:
        self.reader.teardown()


def test_backlog_is_reported_and_falls_to_zero_when_caught_up(kafka_broker):
    topic = unique_topic("backlog")
    create_topic(topic, partitions=1)
    publish(topic, [synthetic_article(i, "backlog") for i in range(30)])
    container = MetricsContainer("ReadKafka")  # where the harness collects the step's metrics
    sampler = statesampler.StateSampler("", CounterFactory())
    statesampler.set_current_tracker(sampler)
    step = sampler.scoped_state("ReadKafka", "process", metrics_container=container)
    sampler.start()
    bundles = _Bundles(topic, bundle_records=10)
    try:
        step.__enter__()
        # Before the first fetch nothing is known: size 1 (unknown), remaining 0.
        assert bundles.provider.restriction_size(bundles.element, bundles.restriction) == 1.0
        seen = []
        remaining = []
        for _ in range(6):
            records = bundles.run()
            seen += [r.value.origin.offset for r in records]
            remaining.append(bundles.remaining())
            if remaining[-1] == 0:
                break
        assert seen == list(range(30))
        assert remaining == [20, 10, 0], remaining  # backlog = high-water mark 30 - next offset
        assert bundles.provider.restriction_size(bundles.element, bundles.restriction) == 0
        gauge = container.get_gauge(MetricName("kafka", "backlog_records")).get_cumulative()
        per_partition = container.get_gauge(MetricName("kafka", f"backlog_records.{topic}.0")).get_cumulative()
        assert gauge.value == 0 and per_partition.value == 0

        # The producer goes on: the next fetch raises the estimate, the backlog shows again.
        publish(topic, [synthetic_article(i, "more") for i in range(25)])
        records = bundles.run()
        assert [r.value.origin.offset for r in records] == list(range(30, 40))
        assert bundles.remaining() == 15
        assert bundles.provider.restriction_size(bundles.element, bundles.restriction) == 15
        per_partition = container.get_gauge(MetricName("kafka", f"backlog_records.{topic}.0")).get_cumulative()
        assert per_partition.value == 15
        assert [p.completed_work for p in bundles.progress] == list(range(1, 11))  # from offset 30
        assert [p.remaining_work for p in bundles.progress] == list(range(24, 14, -1))
    finally:
        bundles.close()
        END_ESTIMATES.forget(topic, 0)
        step.__exit__(None, None, None)
        sampler.stop()
        statesampler.set_current_tracker(None)
