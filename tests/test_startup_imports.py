"""Start-up: a run without PostgreSQL never imports psycopg (a fresh interpreter, so other tests cannot mask it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ingest_without_a_dsn_does_not_import_psycopg():
    code = (
        "import sys\n"
        "import pipelines.ingest, pipelines.migrate\n"
        "from transforms.postgres_sink import describe_dsn, resolve_dsn\n"
        "assert resolve_dsn(None, {}) is None and describe_dsn(None) == '<no DSN>'\n"
        "print('psycopg' in sys.modules)\n"
        "from transforms.postgres_sink import dsn_secrets\n"
        "assert dsn_secrets('host=h password=pw', {}) == ('pw',)\n"  # a DSN in use loads it
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
