"""The one mechanism every stage shares: run a pure function, count, dead-letter.

A stage is a pure function ``fn(element) -> result`` (or a batch function
``fn(list) -> list``) wrapped by :class:`StageDoFn` / :class:`BatchStageDoFn`.
Each element ends as exactly one main output or exactly one dead letter on the
``DEAD_LETTER`` tagged output; nothing is logged and dropped.

Pure functions signal bad input by raising :class:`StageError` with a short
machine-readable ``reason`` and a readable message. Any other exception is a
bug, but one record still must not crash the run: it is dead-lettered with
reason ``internal_error`` and the exception type and message.

Metrics (namespace = stage name): ``records_in``, ``records_out``,
``dead_letters``, ``dead_letter.<reason>`` counters and a ``latency_us``
distribution (processing time per element, microseconds); batch stages add a
``batch_size`` distribution. A stage adds its own measures of each successful
result with ``counters={"bytes_removed": fn}`` / ``distributions={"per_article":
fn}``, where ``fn(element, result) -> int``; they are reported as
``<stage>.<name>``. A measure that raises is counted in ``measure_errors`` and
logged; the record itself still goes to the main output. A transform that is
not a stage DoFn (a sink) reports the same names through :class:`StageMetrics`.
The catalogue of names is in deploy/README.md.
"""

from __future__ import annotations

import gc
import logging
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import apache_beam as beam
import orjson
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from schemas.records import Article, DeadLetter, Origin, RawArticle, RawRecord

DEAD_LETTER = "dead_letter"
MAIN = "main"
# fn(element, result) -> int: one measure of a successful result (see the module docstring).
Measure = Callable[[Any, Any], int]
_LOG = logging.getLogger(__name__)


class StageError(Exception):
    """Bad input: the element goes to the dead letters with ``reason`` and the message."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def dead_letter_for(stage: str, element: Any, error: BaseException) -> DeadLetter:
    """A dead letter for ``element`` that failed in ``stage`` with ``error``."""
    if isinstance(error, StageError):
        reason, message = error.reason, error.message
    else:
        reason, message = "internal_error", f"{type(error).__name__}: {error}"[:2000]
    if isinstance(element, RawRecord):
        return DeadLetter.for_payload(
            stage, reason, message, element.origin, element.data,
            record_id=element.key, true_size=element.true_size, true_sha256=element.sha256,
        )
    if isinstance(element, Article):
        element = element.raw
    if isinstance(element, RawArticle):
        payload = orjson.dumps(element.to_dict())
        return DeadLetter.for_payload(stage, reason, message, element.origin, payload, record_id=element.id)
    origin = getattr(element, "origin", None) or Origin()
    return DeadLetter.for_payload(stage, reason, message, origin, repr(element)[:4096])


class StageMetrics:
    """One stage's metrics (namespace = stage); build it in ``DoFn.setup``.

    Public for transforms that are not stage DoFns, e.g. a sink writing batches:
    ``records_in.inc(n)``, ``with metrics.timed(n): ...``, ``records_out.inc()``,
    ``dead_letter(reason)``.
    """

    def __init__(
        self,
        stage: str,
        counters: Optional[Mapping[str, Measure]] = None,
        distributions: Optional[Mapping[str, Measure]] = None,
    ):
        self.stage = stage
        self.records_in = Metrics.counter(stage, "records_in")
        self.records_out = Metrics.counter(stage, "records_out")
        self.dead_letters = Metrics.counter(stage, "dead_letters")
        self.latency_us = Metrics.distribution(stage, "latency_us")
        self.batch_size = Metrics.distribution(stage, "batch_size")
        self.measure_errors = Metrics.counter(stage, "measure_errors")
        self._by_reason: dict[str, Any] = {}
        self._measures = [(name, Metrics.counter(stage, name).inc, fn) for name, fn in (counters or {}).items()]
        self._measures += [
            (name, Metrics.distribution(stage, name).update, fn) for name, fn in (distributions or {}).items()
        ]

    def declare(self) -> None:
        """Report ``records_in``, ``records_out`` and ``dead_letters`` (at 0) so they exist before
        the first event; call it in ``start_bundle`` (metrics are kept per bundle)."""
        for counter in (self.records_in, self.records_out, self.dead_letters):
            counter.inc(0)

    @contextmanager
    def timed(self, count: int = 1) -> Iterator[None]:
        """Time the block as the processing of ``count`` elements: ``latency_us`` gets
        ``count`` values of the block's time split evenly (also when the block raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            per_element_us = int((time.perf_counter() - started) * 1e6 / max(1, count))
            for _ in range(count):
                self.latency_us.update(per_element_us)

    def measure(self, element: Any, result: Any) -> None:
        """Update the stage's own counters/distributions for one successful result."""
        for name, record, fn in self._measures:
            try:
                value = int(fn(element, result))
            except Exception as error:  # a metrics bug must not turn a good record into a dead letter
                self.measure_errors.inc()
                _LOG.warning("%s: measure %s failed: %s: %s", self.stage, name, type(error).__name__, error)
                continue
            record(value)

    def dead_letter(self, reason: str) -> None:
        self.dead_letters.inc()
        counter = self._by_reason.get(reason)
        if counter is None:
            counter = self._by_reason[reason] = Metrics.counter(self.stage, f"dead_letter.{reason}")
        counter.inc()


_freeze_pending = False  # a stage built per-worker state that is not frozen yet
# Collector thresholds for a worker once its state is built (CPython's default: 700, 10, 10).
# A stage allocates thousands of short-lived objects per article; with the default the
# 20,000-article replay spent ~1.8 CPU-s in ~4,300 collections (24 full ones), with these
# ~0.4 CPU-s in ~20 (peak RSS unchanged). Only ever raised, never lowered.
GC_THRESHOLDS = (50_000, 20, 20)


def _freeze_setup_state() -> None:
    """``gc.freeze()`` once per process after the stages' set-up (not once per stage).

    A runner sets up every DoFn of a fused stage before its first bundle, so the first
    ``start_bundle`` freezes the state of all of them at once; a DoFn set up later (a new
    fused stage, a re-created instance) freezes again. The state lives as long as the
    worker: out of the collector's generations, full collections stop re-scanning it
    (~2% less CPU on the 20,000-article replay). The collector thresholds are raised to
    ``GC_THRESHOLDS`` at the same time.
    """
    global _freeze_pending
    if _freeze_pending:
        _freeze_pending = False
        apply_worker_gc()


def apply_worker_gc() -> None:
    """Freeze what the process holds now and raise the collector thresholds to ``GC_THRESHOLDS``
    (what a worker does after its stages' set-up; the benchmark's plain loop calls it directly)."""
    gc.freeze()
    gc.set_threshold(*(max(now, wanted) for now, wanted in zip(gc.get_threshold(), GC_THRESHOLDS)))


class _StageDoFnBase(beam.DoFn):
    """Stage name, optional per-worker state (``setup_fn``) and the stage's metrics."""

    def __init__(
        self,
        stage: str,
        setup_fn: Optional[Callable[[], Any]] = None,
        counters: Optional[Mapping[str, Measure]] = None,
        distributions: Optional[Mapping[str, Measure]] = None,
    ):
        self.stage = stage
        self.setup_fn = setup_fn
        self.counters = dict(counters or {})
        self.distributions = dict(distributions or {})
        self._state: Any = None
        self._metrics: Optional[StageMetrics] = None

    def setup(self) -> None:
        global _freeze_pending
        self._metrics = StageMetrics(self.stage, self.counters, self.distributions)
        if self.setup_fn is not None:
            self._state = self.setup_fn()
            _freeze_pending = True

    def start_bundle(self) -> None:
        _freeze_setup_state()
        self._metrics.declare()


class StageDoFn(_StageDoFnBase):
    """Applies ``fn`` to each element; results to the main output, failures to dead letters.

    ``fn`` may return one result or raise.  ``setup_fn`` (optional) builds heavy
    state once per worker and is passed as ``fn(element, state)``.
    """

    def __init__(
        self,
        stage: str,
        fn: Callable[..., Any],
        setup_fn: Optional[Callable[[], Any]] = None,
        counters: Optional[Mapping[str, Measure]] = None,
        distributions: Optional[Mapping[str, Measure]] = None,
    ):
        super().__init__(stage, setup_fn, counters, distributions)
        self.fn = fn

    def process(self, element: Any) -> Iterable[Any]:
        metrics = self._metrics
        metrics.records_in.inc()
        started = time.perf_counter()
        try:
            result = self.fn(element, self._state) if self.setup_fn is not None else self.fn(element)
        except Exception as error:  # routed to the dead letters, never swallowed
            metrics.dead_letter(getattr(error, "reason", "internal_error"))
            yield pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for(self.stage, element, error))
            return
        finally:
            metrics.latency_us.update(int((time.perf_counter() - started) * 1e6))
        metrics.records_out.inc()
        metrics.measure(element, result)
        yield result


class BatchStageDoFn(_StageDoFnBase):
    """Like :class:`StageDoFn` for a batch function over lists (for model calls).

    ``batch_fn(elements, state) -> list`` returns one entry per element: a
    result, or an exception instance for an element that failed. If the whole
    batch call raises, each element is retried alone so one bad record does not
    dead-letter its neighbours.
    """

    def __init__(
        self,
        stage: str,
        batch_fn: Callable[[Sequence[Any], Any], list[Union[Any, BaseException]]],
        setup_fn: Optional[Callable[[], Any]] = None,
        counters: Optional[Mapping[str, Measure]] = None,
        distributions: Optional[Mapping[str, Measure]] = None,
    ):
        super().__init__(stage, setup_fn, counters, distributions)
        self.batch_fn = batch_fn

    def _run(self, elements: Sequence[Any]) -> list[Any]:
        try:
            results = self.batch_fn(elements, self._state)
            if len(results) != len(elements):
                raise RuntimeError(f"{self.stage}: batch returned {len(results)} results for {len(elements)} inputs")
            return results
        except Exception as error:  # fall back to one at a time, keep the error per element
            if len(elements) == 1:
                return [error]
            return [self._run([e])[0] for e in elements]

    def process(self, batch: Sequence[Any]) -> Iterable[Any]:
        metrics = self._metrics
        metrics.records_in.inc(len(batch))
        metrics.batch_size.update(len(batch))
        with metrics.timed(len(batch)):
            results = self._run(batch)
        for element, result in zip(batch, results):
            if isinstance(result, BaseException):
                metrics.dead_letter(getattr(result, "reason", "internal_error"))
                yield pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for(self.stage, element, result))
            else:
                metrics.records_out.inc()
                metrics.measure(element, result)
                yield result


def apply_stage(pcoll: beam.PCollection, label: str, dofn: beam.DoFn) -> pvalue.DoOutputsTuple:
    """Apply a stage DoFn; returns outputs with ``.main`` and ``.dead_letter``."""
    return pcoll | label >> beam.ParDo(dofn).with_outputs(DEAD_LETTER, main=MAIN)


def apply_batch_stage(
    pcoll: beam.PCollection, label: str, dofn: BatchStageDoFn, max_batch_size: int = 64
) -> pvalue.DoOutputsTuple:
    """Batch elements (within a bundle) and apply a :class:`BatchStageDoFn`.

    Batches have a fixed size, ``max_batch_size`` (the last of a bundle may be smaller):
    Beam's adaptive batch-size estimator (a regression over timings, per batch) cost
    ~0.05 ms per article and only ever grew batches towards this cap.
    """
    batches = pcoll | f"{label}Batch" >> beam.BatchElements(min_batch_size=max_batch_size,
                                                            max_batch_size=max_batch_size)
    return apply_stage(batches, label, dofn)


def map_results(batch_fn: Callable[[Any, Any], Any]) -> Callable[[Sequence[Any], Any], list[Any]]:
    """Turn a per-element ``fn(element, state)`` into a batch function catching per element."""

    def run(elements: Sequence[Any], state: Any) -> list[Any]:
        out: list[Any] = []
        for element in elements:
            try:
                out.append(batch_fn(element, state))
            except Exception as error:  # kept as that element's result, dead-lettered by the DoFn
                out.append(error)
        return out

    return run
