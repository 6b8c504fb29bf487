"""A real PostgreSQL server for the sink's integration tests.

The session starts the throwaway cluster with ``deploy/local/postgres.sh start`` (which installs
the ``postgresql`` package when missing) unless it is already running, and stops it at the end
only if it started it. The tests use their own database (created and dropped here), so a
developer's data in the default database is never touched.
"""

from __future__ import annotations

import secrets
from typing import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pipelines.migrate import migrate
from tests.integration.postgres.helpers import ensure_running, postgres_sh


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The DSN of the cluster's default database (no password in it: it names a passfile)."""
    status = postgres_sh("status", check=False)
    started = status.returncode != 0
    if started:
        result = postgres_sh("start", check=False)
        if result.returncode != 0:
            pytest.fail(f"deploy/local/postgres.sh start failed:\n{result.stderr[-2000:]}")
        dsn = result.stdout.strip().splitlines()[-1]
    else:
        dsn = status.stdout.strip().splitlines()[-1]
    yield dsn
    if started:
        postgres_sh("stop", check=False)


@pytest.fixture(scope="session")
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh migrated database for this test session, dropped at the end."""
    name = f"news_test_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = make_conninfo(pg_server, dbname=name)
    migrate(dsn)
    yield dsn
    ensure_running()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clean_db(pg_dsn: str) -> str:
    """``pg_dsn`` with empty tables."""
    ensure_running()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE articles, article_entities")
    return pg_dsn
