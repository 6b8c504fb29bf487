"""Transient faults: the server crashes mid-stream; nothing is lost, nothing is duplicated."""

from __future__ import annotations

import threading
import time

import apache_beam as beam
import psycopg
import pytest

from tests.integration.postgres.helpers import ensure_running, make_article, postgres_sh, query, run_sink

pytestmark = pytest.mark.integration

ARTICLES = 240


class CrashServerAt(beam.DoFn):
    """Passes elements through; at the ``at``-th one crashes the server (restarted ``down_s`` later).

    It waits until the server really refuses connections before letting more elements through, so
    the sink's open connection is dead and its next batches meet a server that is down.
    """

    def __init__(self, at: int, down_s: float, dsn: str):
        self.at, self.down_s, self.dsn = at, down_s, dsn
        self.seen = 0
        self.thread: threading.Thread | None = None

    def process(self, element):
        self.seen += 1
        if self.seen == self.at:
            CrashServerAt.thread = threading.Thread(target=self._crash_and_restart, daemon=True)
            postgres_sh("stop", mode="immediate")
            self._wait_until_refused()
            CrashServerAt.thread.start()
        yield element

    def _crash_and_restart(self) -> None:
        time.sleep(self.down_s)
        postgres_sh("start")

    def _wait_until_refused(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                psycopg.connect(self.dsn, connect_timeout=1).close()
            except psycopg.OperationalError:
                return
            time.sleep(0.05)
        raise AssertionError("the server did not go down")


def test_a_server_crash_mid_stream_loses_nothing(clean_db: str) -> None:
    CrashServerAt.thread = None
    articles = [make_article(n, "id" if n % 3 else "en") for n in range(ARTICLES)]
    try:
        dead, counters = run_sink(
            articles, clean_db, beam.ParDo(CrashServerAt(at=70, down_s=1.5, dsn=clean_db)),
            batch_size=25, base_delay_s=0.2, max_delay_s=1.0, max_attempts=30,
        )
    finally:
        if CrashServerAt.thread is not None:
            CrashServerAt.thread.join(timeout=60)
        ensure_running()
    assert dead == []
    assert counters["retries"] >= 1, "the sink never met the outage: the test did not test anything"
    assert counters["records_in"] == counters["records_out"] == ARTICLES
    latency = counters.distributions["latency_us"]
    assert latency.count == ARTICLES
    # The retries' backoff (>= 0.8 x 0.2 s for one batch of <= 25) is part of the sink's latency.
    assert latency.max >= 0.16e6 / 25
    assert query(clean_db, "SELECT count(*), count(DISTINCT id) FROM articles") == [(ARTICLES, ARTICLES)]
    assert query(clean_db, "SELECT count(*) FROM article_entities") == [(3 * ARTICLES,)]
    missing = {a.id for a in articles} - {r[0] for r in query(clean_db, "SELECT id FROM articles")}
    assert missing == set()


def test_an_outage_longer_than_the_retries_fails_the_bundle_and_a_rerun_completes(clean_db: str) -> None:
    articles = [make_article(n) for n in range(60)]
    run_sink(articles[:20], clean_db)  # written before the outage
    postgres_sh("stop", mode="immediate")
    try:
        with pytest.raises(Exception) as failure:
            run_sink(articles, clean_db, batch_size=10, base_delay_s=0.05, max_delay_s=0.1, max_attempts=3)
        assert "PostgresSinkError" in repr(failure.value) or "after 3 attempts" in str(failure.value)
    finally:
        ensure_running()
    # The runner retries a failed bundle; here the rerun plays that part. Upserts make it safe.
    dead, counters = run_sink(articles, clean_db, batch_size=10)
    assert dead == []
    assert counters["articles_written"] == 40 and counters["articles_unchanged"] == 20
    assert query(clean_db, "SELECT count(*) FROM articles") == [(60,)]
    assert query(clean_db, "SELECT count(*) FROM article_entities") == [(180,)]
