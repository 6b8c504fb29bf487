"""The DSN's password never appears in error messages or logs."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import traceback

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pipelines.migrate import MigrationError, migrate
from tests.integration.postgres.helpers import ROOT, make_article, run_sink
from transforms.postgres_sink import (
    PostgresSinkError, connect, describe_dsn, dsn_secrets, redact_dsn, resolve_dsn, scrub,
)

PASSWORD = "Tr0ub4dor-and-3-horses"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_password(dsn: str, password: str, **changes) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if k != "passfile"}
    params.update(changes, password=password)
    return make_conninfo(**params)


def _real_password(dsn: str) -> str:
    with open(conninfo_to_dict(dsn)["passfile"]) as handle:
        return handle.read().strip().split(":", 4)[4]


# --- pure functions --------------------------------------------------------------------------

@pytest.mark.parametrize("dsn", [
    f"postgresql://news:{PASSWORD}@db.internal:5432/news",
    f"postgres://news:{PASSWORD}@db.internal/news?sslmode=require",
    f"postgresql://db.internal/news?user=news&password={PASSWORD}&sslmode=disable",
    f"host=db.internal user=news password={PASSWORD} dbname=news",
    f"host=db.internal password = '{PASSWORD} with space' dbname=news",
    f"dbname=news PASSWORD={PASSWORD}",
])
def test_redact_dsn_hides_the_password_in_every_spelling(dsn: str) -> None:
    redacted = redact_dsn(f"could not use {dsn} today")
    assert PASSWORD not in redacted and "***" in redacted
    assert "db.internal" in redacted or "dbname=news" in redacted  # the rest stays readable


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=6, max_size=40))
def test_no_generated_password_survives_in_any_dsn_spelling(password: str) -> None:
    from urllib.parse import quote

    assume(password not in "connect to postgresql://news:@db.internal:5432/news host=db.internal user=news failed")
    kv = make_conninfo(host="db.internal", user="news", password=password, dbname="news")
    uri = f"postgresql://news:{quote(password, safe='')}@db.internal:5432/news"
    for dsn in (kv, uri):
        message = f"connect to {dsn} failed"
        assert password not in scrub(message, dsn_secrets(dsn, {}))
        assert password not in describe_dsn(dsn)
    assert password not in redact_dsn(f"failed: {kv}")


def test_scrub_removes_known_secrets_anywhere() -> None:
    dsn = f"host=h user=u password={PASSWORD}"
    assert dsn_secrets(dsn, {}) == (PASSWORD,)
    assert scrub(f"server said: {PASSWORD!r} is wrong", dsn_secrets(dsn, {})) == "server said: '***' is wrong"
    assert PASSWORD not in describe_dsn(dsn) and "user=u" in describe_dsn(dsn)
    assert dsn_secrets("host=h", {"PGPASSWORD": "from-env"}) == ("from-env",)


def test_resolve_dsn_prefers_flag_then_pgdsn_then_libpq_variables() -> None:
    assert resolve_dsn("host=a", {"PGDSN": "host=b"}) == "host=a"
    assert resolve_dsn(None, {"PGDSN": "host=b", "PGHOST": "c"}) == "host=b"
    assert resolve_dsn(None, {"PGHOST": "c"}) == ""  # libpq reads PG* itself
    assert resolve_dsn(None, {"PGPASSWORD": "x"}) is None  # a password alone names no server
    assert resolve_dsn("", {}) is None


def test_an_unparsable_dsn_is_reported_without_its_content() -> None:
    with pytest.raises(PostgresSinkError) as failure:
        connect(f"host=127.0.0.1 {PASSWORD} password")
    assert PASSWORD not in str(failure.value)


# --- against the real server -----------------------------------------------------------------

@pytest.mark.integration
def test_wrong_password_errors_do_not_echo_it(pg_dsn: str) -> None:
    bad = _with_password(pg_dsn, PASSWORD)
    with pytest.raises(MigrationError) as failure:
        migrate(bad)
    message = "".join(traceback.format_exception(failure.value))
    assert "password authentication failed" in message
    assert PASSWORD not in message


@pytest.mark.integration
def test_sink_failure_and_its_logs_do_not_show_the_password(
    pg_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The right password, in the DSN, but a port where nothing listens: retries, then a failure.
    password = _real_password(pg_dsn)
    unreachable = _with_password(pg_dsn, password, port=str(_free_port()))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as failure:
        run_sink([make_article(1)], unreachable, max_attempts=2, base_delay_s=0.01)
    text = "".join(traceback.format_exception(failure.value)) + caplog.text
    assert "retrying" in caplog.text and "failed after 2 attempts" in text
    assert password not in text and PASSWORD not in text


@pytest.mark.integration
def test_ingest_and_migrate_commands_do_not_print_the_password(pg_dsn: str, tmp_path) -> None:
    uri = f"postgresql://news:{PASSWORD}@127.0.0.1:{conninfo_to_dict(pg_dsn)['port']}/news"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for argv in (
        [sys.executable, "-m", "pipelines.migrate", "--postgres_dsn", uri],
        [sys.executable, "-m", "pipelines.ingest", "--input", str(ROOT / "samples" / "*.txt"),
         "--output", str(tmp_path), "--postgres_dsn", uri],
    ):
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr[-2000:]
        assert "password authentication failed" in done.stderr
        assert PASSWORD not in done.stdout + done.stderr
