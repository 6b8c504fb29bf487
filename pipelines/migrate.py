"""Apply the versioned DDL in ``deploy/postgres/`` to a PostgreSQL database, idempotently.

    python -m pipelines.migrate [--postgres_dsn DSN] [--ddl_dir DIR]

Files are named ``NNNN_description.sql`` and applied in version order, each in its own transaction
together with its row in ``schema_migrations`` (version, name, SHA-256, applied_at). An applied file
is never run again; if its content changed since, the migration stops with an error (add a new
file instead of editing an applied one). A session advisory lock serialises concurrent migrators
(several workers starting at once). Without ``--postgres_dsn`` the DSN comes from ``$PGDSN`` or
libpq's PG* environment variables.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from transforms.postgres_sink import (
    DSN_ENV, PostgresSinkError, connect, describe_dsn, dsn_secrets, resolve_dsn, scrub,
)

if TYPE_CHECKING:  # psycopg is imported when migrating: a run without PostgreSQL never loads it
    import psycopg

DDL_DIR = Path(__file__).resolve().parents[1] / "deploy" / "postgres"
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# pg_advisory_lock key: any constant shared by all migrators of this project.
_LOCK_KEY = 0x6E657773  # "news"

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    sha256     text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

log = logging.getLogger(__name__)


class MigrationError(RuntimeError):
    """The DDL directory or the database's migration history is inconsistent."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(ddl_dir: Path = DDL_DIR) -> list[Migration]:
    """The migrations in ``ddl_dir``, in version order; other ``.sql`` names are an error."""
    found: dict[int, Migration] = {}
    for path in sorted(ddl_dir.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        version = int(match.group("version"))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        found[version] = Migration(version, match.group("name"), path.read_text(encoding="utf-8"))
    if not found:
        raise MigrationError(f"no migrations in {ddl_dir}")
    return [found[v] for v in sorted(found)]


def apply_migrations(conn: psycopg.Connection, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply the migrations not yet recorded; returns the ones applied now.

    ``conn`` must be in autocommit mode (each migration runs in its own transaction).
    """
    applied_now: list[Migration] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        conn.execute(CREATE_MIGRATIONS_TABLE)
        recorded = {v: (n, s) for v, n, s in conn.execute("SELECT version, name, sha256 FROM schema_migrations")}
        for migration in migrations:
            if migration.version in recorded:
                name, sha = recorded[migration.version]
                if sha != migration.sha256:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{name} was changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            with conn.transaction():
                conn.execute(migration.sql)  # no parameters: several statements are allowed
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, sha256) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.sha256),
                )
            applied_now.append(migration)
            log.info("applied migration %04d_%s", migration.version, migration.name)
    finally:
        if not conn.broken:  # a lost connection has released the lock already
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def migrate(dsn: str, ddl_dir: Path = DDL_DIR) -> list[Migration]:
    """Connect to ``dsn`` and apply pending migrations; errors never show the password."""
    import psycopg

    migrations = load_migrations(ddl_dir)
    secrets = dsn_secrets(dsn)
    try:
        with connect(dsn, secrets) as conn:
            return apply_migrations(conn, migrations)
    except psycopg.Error as error:
        raise MigrationError(
            f"migrating {describe_dsn(dsn)} failed: {scrub(f'{type(error).__name__}: {error}', secrets)}"
        ) from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres_dsn", default=None, help=f"libpq DSN (default: ${DSN_ENV} or PG* variables)")
    parser.add_argument("--ddl_dir", type=Path, default=DDL_DIR, help="directory of NNNN_name.sql files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    dsn = resolve_dsn(args.postgres_dsn)
    if dsn is None:
        print(f"migrate: no DSN: pass --postgres_dsn or set {DSN_ENV} / PG* variables", file=sys.stderr)
        return 2
    try:
        applied = migrate(dsn, args.ddl_dir)
    except (MigrationError, PostgresSinkError) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
    print(f"migrate: {describe_dsn(dsn)}: applied {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
