"""Pure parts of the Kafka IO (no broker): settings, secrets, event time, message decoding."""

from __future__ import annotations

import hashlib
from dataclasses import FrozenInstanceError

import apache_beam as beam
import orjson
import pytest
from apache_beam.utils.timestamp import Timestamp
from kafka import errors as kafka_errors

from pipelines.options import KafkaOptions, kafka_config
from transforms.kafka_io import (
    END_ESTIMATES, UNBOUNDED_STOP, EndOffsetEstimates, KafkaConfig, KafkaOffsetTracker, PartitionRange,
    TopicNotFoundError, kafka_error_message,
    _PartitionRestrictions, KafkaPartition, ReadFromKafka, ReadSettings, event_time_of, parse_api_version, parse_event_time, range_progress,
    producer_settings, raw_record_of, record_key,
)
from apache_beam.internal import pickler
from apache_beam.io.restriction_trackers import OffsetRange
from apache_beam.options.pipeline_options import PipelineOptions


@pytest.mark.parametrize("text, expected", [
    ("auto", None), ("", None), (None, None), ("0.9", (0, 9)), ("2.3.0", (2, 3, 0)), (" 3.7 ", (3, 7)),
])
def test_api_version(text, expected):
    assert parse_api_version(text) == expected


def test_producer_batches_hold_many_enriched_articles():
    # kafka-python's 16 KB default closed a batch every ~2 enriched articles (5-8 KB each)
    settings = producer_settings(8 << 20)
    assert settings["batch_size"] >= 64 * 8 * 1024
    assert settings["batch_size"] <= settings["max_request_size"]


def test_producer_batch_never_exceeds_the_request_limit():
    settings = producer_settings(100_000)
    assert settings["batch_size"] == 100_000 == settings["max_request_size"]


@pytest.mark.parametrize("text", ["0", "1.2.3.4", "latest", "0.x"])
def test_api_version_rejects(text):
    with pytest.raises(ValueError):
        parse_api_version(text)


def test_sasl_credentials_come_from_the_environment_and_are_not_kept(monkeypatch):
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "svc-news")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cr3t-value")
    options = PipelineOptions(["--kafka_bootstrap_servers", "b1:9093,b2:9093", "--kafka_security_protocol",
                               "SASL_SSL", "--kafka_sasl_mechanism", "SCRAM-SHA-512"]).view_as(KafkaOptions)
    config = kafka_config(options)
    kwargs = config.client_kwargs()
    assert kwargs["bootstrap_servers"] == ["b1:9093", "b2:9093"]
    assert kwargs["sasl_plain_username"] == "svc-news" and kwargs["sasl_plain_password"] == "s3cr3t-value"
    assert "api_version" not in kwargs  # auto-negotiated by default
    # The config (pickled into the pipeline, printed in errors) never holds the secret.
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(options.get_all_options())


def test_sasl_without_credentials_is_an_error(monkeypatch):
    monkeypatch.delenv("KAFKA_SASL_USERNAME", raising=False)
    monkeypatch.delenv("KAFKA_SASL_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        KafkaConfig("b:9093", security_protocol="SASL_SSL", sasl_mechanism="PLAIN").client_kwargs()


@pytest.mark.parametrize("value, expected", [
    ("2025-03-04T05:06:07Z", "2025-03-04T05:06:07Z"),
    ("2025-03-04T07:06:07+02:00", "2025-03-04T05:06:07Z"),
    ("2025-03-04T05:06:07", "2025-03-04T05:06:07Z"),  # naive: UTC
    ("2025-03-04", "2025-03-04T00:00:00Z"),
])
def test_event_time(value, expected):
    assert parse_event_time(value) == Timestamp.from_rfc3339(expected)


@pytest.mark.parametrize("value", ["yesterday", "99999-13-45T99:99:99Z", "", 12, None, "2025-02-30T00:00:00Z"])
def test_event_time_rejects(value):
    assert parse_event_time(value) is None


def test_event_time_of_payload_prefers_fetched_at():
    payload = orjson.dumps({"text": "x", "published_at": "2020-01-01T00:00:00Z", "fetched_at": "2021-06-01T12:00:00Z"})
    assert event_time_of(payload, 1000) == Timestamp.from_rfc3339("2021-06-01T12:00:00Z")
    only_published = orjson.dumps({"text": "x", "published_at": "2020-01-01T00:00:00Z"})
    assert event_time_of(only_published, 1000) == Timestamp.from_rfc3339("2020-01-01T00:00:00Z")


@pytest.mark.parametrize("payload", [b"", b"not json", b"[1, 2]", b'{"fetched_at": 5}', b"{" * 3000, None])
def test_event_time_of_bad_payload_is_none(payload):
    assert event_time_of(payload, 1 << 20) is None


def test_event_time_of_oversize_payload_is_not_parsed():
    payload = orjson.dumps({"fetched_at": "2021-06-01T12:00:00Z", "text": "y" * 500})
    assert event_time_of(payload, 100) is None


def test_raw_record_keeps_position_key_and_cuts_oversize_values():
    value = b'{"text": "' + b"z" * 300 + b'"}'
    record = raw_record_of("raw", 3, 42, b"key-1", value, max_bytes=100)
    assert record.origin.topic == "raw" and record.origin.partition == 3 and record.origin.offset == 42
    assert record.key == "key-1" and record.fmt == "json"
    assert len(record.data) == 100 and record.true_size == len(value)
    assert record.sha256 == hashlib.sha256(value).hexdigest()
    small = raw_record_of("raw", 0, 0, None, b"{}", max_bytes=100)
    assert small.key is None and small.data == b"{}" and small.true_size == 2
    tombstone = raw_record_of("raw", 0, 1, b"\xff\xfe", None, max_bytes=100)
    assert tombstone.data == b"" and tombstone.key == "\ufffd\ufffd"


def test_record_key_is_the_id():
    class R:
        id = "abc"
    assert record_key(R()) == b"abc"
    R.id = None
    assert record_key(R()) is None


def test_restrictions_bounded_and_unbounded():
    provider = _PartitionRestrictions()
    bounded = provider.initial_restriction(KafkaPartition("t", 0, 5, 25))
    assert (bounded.start, bounded.stop) == (5, 25)
    assert provider.restriction_size(None, bounded) == 20
    assert provider.create_tracker(bounded).is_bounded()
    assert list(provider.split(None, bounded)) == [bounded]  # a partition is read in order
    unbounded = provider.initial_restriction(KafkaPartition("t", 0, 7, UNBOUNDED_STOP))
    tracker = provider.create_tracker(unbounded)
    assert not tracker.is_bounded()
    assert tracker.try_claim(7) and tracker.try_claim(9)  # offsets may have gaps
    primary, residual = tracker.try_split(0)  # a checkpoint: the rest resumes after the last claim
    assert (primary.stop, residual.start, residual.stop) == (10, 10, UNBOUNDED_STOP)
    assert provider.truncate(None, unbounded) is None
    assert isinstance(KafkaOffsetTracker(OffsetRange(0, 1)), KafkaOffsetTracker)


def test_range_progress_maths():
    bounded = range_progress(start=10, position=14, stop=30, end_estimate=99)  # the estimate is ignored
    assert (bounded.completed_work, bounded.remaining_work) == (4, 16)
    behind = range_progress(start=10, position=14, stop=UNBOUNDED_STOP, end_estimate=50)
    assert (behind.completed_work, behind.remaining_work) == (4, 36)
    assert behind.fraction_completed == pytest.approx(4 / 40)
    caught_up = range_progress(start=10, position=50, stop=UNBOUNDED_STOP, end_estimate=50)
    assert (caught_up.completed_work, caught_up.remaining_work) == (40, 0)
    stale = range_progress(start=10, position=60, stop=UNBOUNDED_STOP, end_estimate=50)  # read past an old estimate
    assert stale.remaining_work == 0
    unknown = range_progress(start=10, position=10, stop=UNBOUNDED_STOP, end_estimate=None)
    assert (unknown.completed_work, unknown.remaining_work) == (0, 0)


def test_tracker_reports_the_backlog_to_the_estimated_end():
    estimates = EndOffsetEstimates()
    tracker = KafkaOffsetTracker(PartitionRange("news", 3, 100, UNBOUNDED_STOP), estimates)
    assert tracker.current_progress().remaining_work == 0  # nothing fetched yet: unknown
    estimates.update("news", 3, 160, 100)
    assert tracker.current_progress().remaining_work == 60
    assert tracker.try_claim(100) and tracker.try_claim(104)  # a gap (compaction) is fine
    progress = tracker.current_progress()
    assert (progress.completed_work, progress.remaining_work) == (5, 55)
    estimates.update("news", 3, 170, 105)  # the producer went on
    assert tracker.current_progress().remaining_work == 65
    assert estimates.backlog("news", 3) == 65 and estimates.backlog("news", 4) is None
    estimates.update("news", 4, 20, 15)
    assert estimates.total_backlog() == 70
    # Another partition's estimate never leaks into this one.
    other = KafkaOffsetTracker(PartitionRange("news", 5, 0, UNBOUNDED_STOP), estimates)
    assert other.current_progress().remaining_work == 0


def test_tracker_refuses_fractional_splits_but_checkpoints():
    for stop in (UNBOUNDED_STOP, 1000):
        tracker = KafkaOffsetTracker(PartitionRange("news", 0, 0, stop), EndOffsetEstimates())
        assert tracker.try_claim(0)
        for fraction in (0.5, 0.01, 1.0):
            assert tracker.try_split(fraction) is None
        assert tracker.current_restriction() == PartitionRange("news", 0, 0, stop)
        primary, residual = tracker.try_split(0)
        assert primary == PartitionRange("news", 0, 0, 1) and residual == PartitionRange("news", 0, 1, stop)


def test_restriction_size_uses_the_estimate():
    provider = _PartitionRestrictions()
    element = KafkaPartition("size-test-topic", 0, 40, UNBOUNDED_STOP)
    restriction = provider.initial_restriction(element)
    assert isinstance(restriction, PartitionRange) and restriction.topic == "size-test-topic"
    END_ESTIMATES.forget("size-test-topic", 0)
    assert provider.restriction_size(element, restriction) == 1.0  # unknown yet
    END_ESTIMATES.update("size-test-topic", 0, 75, 40)
    try:
        assert provider.restriction_size(element, restriction) == 35
        assert provider.create_tracker(restriction).current_progress().remaining_work == 35
        assert provider.restriction_size(element, PartitionRange("size-test-topic", 0, 80, UNBOUNDED_STOP)) == 0
    finally:
        END_ESTIMATES.forget("size-test-topic", 0)


def test_partition_range_pickles_and_splits():
    import pickle
    restriction = PartitionRange("t", 2, 5, 9)
    assert pickle.loads(pickle.dumps(restriction)) == restriction
    assert restriction != PartitionRange("t", 3, 5, 9) and restriction != OffsetRange(5, 9)
    assert restriction.split_at(7) == (PartitionRange("t", 2, 5, 7), PartitionRange("t", 2, 7, 9))


def test_added_partitions_tracker_claims_checkpoints_and_reports_backlog():
    from transforms.kafka_io import AddedPartitions, AddedPartitionsRange, AddedPartitionsTracker
    import pickle

    provider = _PartitionRestrictions()
    restriction = provider.initial_restriction(AddedPartitions("grown", 3))
    assert restriction == AddedPartitionsRange("grown", 3, ())
    estimates = EndOffsetEstimates()
    tracker = AddedPartitionsTracker(restriction, estimates)
    assert not tracker.is_bounded()
    assert tracker.try_claim(("add", ((3, 0), (4, 7))))
    with pytest.raises(ValueError):
        tracker.try_claim(("add", ((3, 0),)))  # a partition is added once
    assert tracker.try_claim((3, 0)) and tracker.try_claim((3, 2)) and tracker.try_claim((4, 7))
    with pytest.raises(ValueError):
        tracker.try_claim((3, 1))  # offsets only move forward
    estimates.update("grown", 3, 10, 3)
    estimates.update("grown", 4, 8, 8)
    progress = tracker.current_progress()
    assert progress.remaining_work == 7  # partition 3: 10 - 3; partition 4: caught up
    assert tracker.try_split(0.5) is None
    with pytest.raises(ValueError):
        tracker.check_done()  # never finishes by itself
    primary, residual = tracker.try_split(0)
    assert residual == AddedPartitionsRange("grown", 5, ((3, 3), (4, 8)))
    assert primary.positions == ()
    assert not tracker.try_claim((3, 3))  # after the checkpoint nothing more is claimed
    tracker.check_done()
    assert pickle.loads(pickle.dumps(residual)) == residual
    assert provider.truncate(None, residual) is None
    assert provider.restriction_size(None, AddedPartitionsRange("grown", 3, ())) == 1.0


def _reader_dofns(transform: ReadFromKafka) -> list:
    """The source's own DoFns in ``transform``'s graph (planner, reader), not ``Create``'s."""
    pipeline = beam.Pipeline()
    pipeline | transform
    found = []

    class Collect(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            if isinstance(node.transform, beam.ParDo) and "Partition" in type(node.transform.fn).__name__:
                found.append(node.transform.fn)

    pipeline.visit(Collect())
    return found


def test_read_settings_reach_planner_and_reader_whole_and_pickle():
    config = KafkaConfig("b1:9092", api_version=(2, 3))
    transform = ReadFromKafka(config, ["raw"], "group-a", bounded=False, max_bytes=12_345, start_from="latest",
                              max_bundle_records=77, max_bundle_seconds=0.5, poll_timeout_ms=40,
                              partition_discovery_seconds=9.0)
    planner, reader = _reader_dofns(transform)
    assert type(planner).__name__ == "_PlanPartitionsFn" and type(reader).__name__ == "_UnboundedReadPartitionFn"
    assert planner.settings is reader.settings is transform.settings
    assert transform.settings == ReadSettings(config, "group-a", 12_345, False, "latest", 77, 0.5, 40, True, 9.0)
    for fn in (planner, reader):
        restored = pickler.loads(pickler.dumps(fn))
        assert type(restored) is type(fn) and restored.settings == transform.settings
    assert pickler.loads(pickler.dumps(planner)).topics == ["raw"]


def test_read_settings_discovery_only_for_unbounded_reads_planned_at_run_time():
    config = KafkaConfig("b1:9092")
    bounded = ReadFromKafka(config, ["raw"], "g", bounded=True, max_bytes=1000, partition_discovery_seconds=5.0)
    planned = ReadFromKafka(config, ["raw"], "g", bounded=False, max_bytes=1000, partition_discovery_seconds=5.0,
                            partitions=[KafkaPartition("raw", 0, 0, UNBOUNDED_STOP)])
    assert bounded.settings.discovery_seconds == 0.0 and planned.settings.discovery_seconds == 0.0
    (reader,) = _reader_dofns(planned)  # a given plan: no planner DoFn
    assert type(reader).__name__ == "_UnboundedReadPartitionFn" and reader.settings.discovery_seconds == 0.0


def test_read_settings_commit_only_with_a_group_and_reject_bad_values():
    config = KafkaConfig("b1:9092")
    assert ReadSettings(config, "g", 10, True).commit_to_group
    assert not ReadSettings(config, None, 10, True).commit_to_group
    assert not ReadSettings(config, "g", 10, True, commit_offsets=False).commit_to_group
    with pytest.raises(ValueError, match="start_from"):
        ReadSettings(config, "g", 10, True, start_from="middle")
    with pytest.raises(ValueError, match="discovery_seconds must be >= 0"):
        ReadFromKafka(config, ["raw"], "g", bounded=True, max_bytes=10, partition_discovery_seconds=-1)
    with pytest.raises(FrozenInstanceError):
        ReadSettings(config, "g", 10, True).max_bytes = 5


@pytest.mark.parametrize("error_name, args, start", [
    ("KafkaTimeoutError", ("Unable to bootstrap from ['k7.invalid:9093']",),
     "error: cannot connect to Kafka at k7.invalid:9093: KafkaTimeoutError: Unable to bootstrap"),
    ("KafkaConnectionError", ("Connection closed during connect",),
     "error: cannot connect to Kafka at k7.invalid:9093: KafkaConnectionError: Connection closed"),
    ("TopicAuthorizationFailedError", ("raw-feeds",),
     "error: Kafka at k7.invalid:9093 denied access: [Error 29] TopicAuthorizationFailedError: raw-feeds"),
    ("GroupAuthorizationFailedError", (), "error: Kafka at k7.invalid:9093 denied access: [Error 30]"),
    ("SaslAuthenticationFailedError", ("bad password for reader",),
     "error: Kafka at k7.invalid:9093 refused the authentication: [Error 58] SaslAuthenticationFailedError"),
    ("UnknownTopicOrPartitionError", (), "error: Kafka at k7.invalid:9093 failed the request: [Error 3] "
                                         "UnknownTopicOrPartitionError"),
])
def test_kafka_error_message_says_what_failed(error_name, args, start):
    from kafka import errors

    error = getattr(errors, error_name)(*args)
    negotiating = kafka_error_message(KafkaConfig("k7.invalid:9093"), error)
    pinned = kafka_error_message(KafkaConfig("k7.invalid:9093", api_version=(2, 3)), error)
    assert negotiating.startswith(start) and pinned.startswith(start)
    assert negotiating.count(error_name) == 1
    connecting = start.startswith("error: cannot connect")
    assert ("--kafka_api_version" in negotiating) is connecting  # the hint only where no broker answered
    assert "--kafka_api_version" not in pinned


def test_kafka_error_message_names_a_foreign_error_class():
    message = kafka_error_message(KafkaConfig("k7.invalid:9093", api_version=(0, 9)), OSError("socket gone"))
    assert message == "error: Kafka at k7.invalid:9093 failed the request: OSError: socket gone"


UNREACHABLE = (kafka_errors.KafkaTimeoutError, "Unable to bootstrap from ['b9.invalid:9092']",
               "error: cannot connect to Kafka at b9.invalid:9092: KafkaTimeoutError: Unable to bootstrap")
REFUSED = (kafka_errors.TopicAuthorizationFailedError, "raw",
           "error: Kafka at b9.invalid:9092 denied access: [Error 29] TopicAuthorizationFailedError: raw")


@pytest.mark.parametrize("failure, api_flags, hinted", [
    (UNREACHABLE, [], True), (UNREACHABLE, ["--kafka_api_version", "2.3"], False), (REFUSED, [], False),
])
def test_publish_that_cannot_reach_kafka_says_so_without_a_traceback(monkeypatch, capsys, tmp_path, failure,
                                                                      api_flags, hinted):
    from pipelines import publish

    error_class, detail, message = failure

    def unreachable(config, max_request_bytes):
        raise error_class(detail)

    monkeypatch.setattr(publish, "make_producer", unreachable)
    articles = tmp_path / "a.jsonl"
    articles.write_text('{"id": "x1", "text": "Harbour ferries resumed on Sunday."}\n')
    status = publish.run(["--kafka_bootstrap_servers", "b9.invalid:9092", *api_flags, str(articles)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith(message)
    assert "Traceback" not in err
    assert ("--kafka_api_version" in err) is hinted


MISSING_TOPIC = (TopicNotFoundError, "Kafka topic 'raw' not found (waited 30 s for it to be created)",
                 "error: Kafka at b9.invalid:9092: Kafka topic 'raw' not found (waited 30 s")


def test_kafka_error_message_names_a_missing_topic():
    message = kafka_error_message(KafkaConfig("k7.invalid:9093"), TopicNotFoundError("Kafka topic 'x' not found"))
    assert message == "error: Kafka at k7.invalid:9093: Kafka topic 'x' not found"


@pytest.mark.parametrize("failure", [UNREACHABLE, REFUSED, MISSING_TOPIC], ids=lambda failure: failure[0].__name__)
def test_ingest_that_cannot_reach_kafka_says_so_without_a_traceback(monkeypatch, capsys, tmp_path, failure):
    from pipelines import ingest

    error_class, detail, message = failure

    def unreachable(*args, **kwargs):
        raise error_class(detail)

    monkeypatch.setattr(ingest, "plan_bounded_read", unreachable)
    status = ingest.run(["--kafka_bootstrap_servers", "b9.invalid:9092", "--input_topic", "raw",
                         "--output", str(tmp_path / "out"), "--kafka_api_version", "0.9"])
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert "Traceback" not in err
    assert not any((tmp_path / "out").rglob("*.jsonl"))  # nothing written
