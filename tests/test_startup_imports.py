"""Start-up: heavy optional modules (psycopg, kafka, trafilatura, lxml, lingua, spacy) are imported only by the
stages that need them (a fresh interpreter per check, so other tests cannot mask it)."""

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


# Loaded only by the inputs or sinks that need them (each costs start-up CPU in every worker).
OPTIONAL_MODULES = ("psycopg", "kafka", "trafilatura", "lxml", "lingua", "spacy")


def _loaded_after(code: str) -> list[str]:
    code += f"\nimport sys\nprint(' '.join(m for m in {OPTIONAL_MODULES!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_importing_the_pipeline_loads_no_optional_module():
    assert _loaded_after("import pipelines.ingest") == []


def test_replaying_text_files_loads_neither_the_html_extractor_nor_kafka_nor_postgres(tmp_path):
    replay = (
        "import pipelines.ingest as ingest\n"
        f"assert ingest.run(['--input', 'samples/*.txt', '--output', {str(tmp_path)!r}]) == 0\n"
    )
    loaded = _loaded_after(replay)
    assert not {"trafilatura", "lxml", "kafka", "psycopg", "spacy"} & set(loaded), loaded
    html = (
        "import pipelines.ingest as ingest\n"
        f"assert ingest.run(['--input', 'tests/fixtures/html/tables.html', '--output', {str(tmp_path / 'html')!r}]) == 0\n"
    )
    assert {"trafilatura", "lxml"} <= set(_loaded_after(html))  # the check can see a loaded module
