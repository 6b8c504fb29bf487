"""The PostgreSQL sink against a real server: samples replay, idempotence, upserts, rejects."""

from __future__ import annotations

import glob
from pathlib import Path

import orjson
import pytest

from pipelines import ingest
from pipelines.migrate import apply_migrations, load_migrations
from tests.integration.postgres.helpers import ROOT, make_article, query, run_sink, snapshot
from transforms.postgres_sink import connect

pytestmark = pytest.mark.integration


def _replay_samples(dsn: str, output: Path, capsys: pytest.CaptureFixture) -> str:
    """Replay the samples into ``dsn``; returns the run's summary."""
    capsys.readouterr()
    code = ingest.run(["--input", str(ROOT / "samples" / "*.txt"), "--output", str(output), "--postgres_dsn", dsn])
    assert code == 0
    return capsys.readouterr().out


def _records(output: Path) -> dict[str, dict]:
    records = {}
    for path in glob.glob(str(output / "articles-*.jsonl")):
        with open(path, "rb") as handle:
            for line in handle:
                record = orjson.loads(line)
                records[record["id"]] = record
    return records


def test_samples_replayed_twice_give_the_same_rows(clean_db: str, tmp_path: Path, capsys) -> None:
    sample_count = len(glob.glob(str(ROOT / "samples" / "*.txt")))
    report = _replay_samples(clean_db, tmp_path / "first", capsys)
    assert "postgres:       5 of 5 stored (5 written, 0 unchanged), 0 dead letters" in report
    assert "enriched = stored + dead letters: balanced" in report
    records = _records(tmp_path / "first")
    assert len(records) == sample_count == 5
    first = snapshot(clean_db)
    articles, entities = first
    assert sorted(row[1] for row in articles) == sorted(records)

    # Each row holds its record (the JSONL output, up to processed_at) and the record's entities.
    for row in articles:
        record = dict(records[row[1]])
        stored = dict(row[10])
        assert stored.pop("processed_at") and record.pop("processed_at")
        assert stored == record
        assert row[5] == record["language"] and row[6] == record["source"].get("publisher")
    expected_entities = sorted(
        (rid, i, e["canonical"], e["label"], e["text"], e["start"], e["end"])
        for rid, record in records.items()
        for i, e in enumerate(record["entities"])
    )
    assert expected_entities, "the samples should yield entities"
    assert sorted(row[1:8] for row in entities) == expected_entities
    # Python offsets are character offsets: substr() finds the same text in SQL.
    mismatched = query(clean_db, 'SELECT count(*) FROM article_entities e JOIN articles a ON a.id = e.article_id'
                                 ' WHERE substr(a.body, e."start" + 1, e."end" - e."start") <> e.text')
    assert mismatched == [(0,)]

    report = _replay_samples(clean_db, tmp_path / "second", capsys)
    assert "postgres:       5 of 5 stored (0 written, 5 unchanged), 0 dead letters" in report
    assert snapshot(clean_db) == first  # same rows, same row versions: nothing was rewritten


def test_changed_article_is_updated_and_its_entities_replaced(clean_db: str) -> None:
    original = make_article(1, "en")
    run_sink([original], clean_db)
    before = query(clean_db, "SELECT processed_at FROM articles WHERE id = %s", (original.id,))

    body = "Sari Wulandari, not anyone else, visited Makassar."
    revised = original.replace(body=body, entities=(
        make_article(2).entities[0].__class__(text="Makassar", label="LOC", start=body.index("Makassar"),
                                              end=body.index("Makassar") + 8, canonical="Makassar"),
    ))
    _, counters = run_sink([revised], clean_db)
    assert counters["articles_written"] == 1
    rows = query(clean_db, "SELECT body, processed_at, record->>'body' FROM articles")
    assert len(rows) == 1 and rows[0][0] == body and rows[0][2] == body
    assert rows[0][1] >= before[0][0]
    assert query(clean_db, 'SELECT canonical, "start", "end" FROM article_entities') == [
        ("Makassar", body.index("Makassar"), body.index("Makassar") + 8)
    ]


def test_an_id_repeated_in_one_batch_keeps_the_last_version(clean_db: str) -> None:
    first = make_article(3, "en")
    last = make_article(3, "id")  # same id, Indonesian text
    _, counters = run_sink([first, make_article(4), last], clean_db, batch_size=10)
    assert query(clean_db, "SELECT id, language FROM articles ORDER BY id") == [
        (first.id, "id"), (make_article(4).id, "en")
    ]
    assert query(clean_db, "SELECT count(*) FROM article_entities WHERE article_id = %s", (first.id,)) == [(3,)]
    # Every input is accounted for: the superseded version counts as stored (its id holds the later one).
    assert (counters["records_in"], counters["records_out"], counters["articles_written"]) == (3, 3, 2)
    assert counters["dead_letters"] == 0  # reported at 0, not absent


def test_a_record_the_database_rejects_is_dead_lettered_and_its_batch_written(clean_db: str) -> None:
    good = [make_article(n) for n in range(10, 14)]
    entity = good[0].entities[0]
    broken = make_article(99).replace(entities=(entity.__class__(
        text="x", label="PER", start=5, end=2, canonical="x"),))  # end before start violates a CHECK
    dead, counters = run_sink([*good[:2], broken, *good[2:]], clean_db, batch_size=10)
    assert [(d.stage, d.reason, d.id) for d in dead] == [("postgres_sink", "postgres_rejected", broken.raw.id)]
    assert "check" in dead[0].error.lower()
    assert counters["dead_letter.postgres_rejected"] == counters["dead_letters"] == 1
    assert (counters["records_in"], counters["records_out"], counters["articles_written"]) == (5, 4, 4)
    latency, batches = counters.distributions["latency_us"], counters.distributions["batch_size"]
    assert latency.count == 5 and latency.min >= 0
    assert batches.sum == 5
    assert query(clean_db, "SELECT id FROM articles ORDER BY id") == [(a.id,) for a in good]


def test_a_rejected_newer_version_leaves_the_older_one_stored(clean_db: str) -> None:
    older = make_article(40, "en")
    entity = older.entities[0]
    newer = make_article(40, "id").replace(entities=(entity.__class__(
        text="x", label="PER", start=5, end=2, canonical="x"),))  # same id; violates a CHECK
    other = make_article(41)
    dead, counters = run_sink([older, other, newer], clean_db, batch_size=10)
    # As if written one after another: the older version is stored, the newer one dead-lettered.
    assert [(d.reason, d.id) for d in dead] == [("postgres_rejected", newer.raw.id)]
    assert query(clean_db, "SELECT id, language FROM articles ORDER BY id") == [(older.id, "en"), (other.id, "en")]
    assert (counters["records_in"], counters["records_out"], counters["dead_letters"]) == (3, 2, 1)


def test_a_record_that_cannot_become_a_row_is_dead_lettered_under_its_own_reason(clean_db: str) -> None:
    good = [make_article(n) for n in range(30, 33)]
    entity = good[0].entities[0]
    malformed = make_article(98).replace(entities=(entity.__class__(
        text="x", label="PER", start="five", end=9, canonical="x"),))  # not an offset: no row can be built
    dead, counters = run_sink([good[0], malformed, *good[1:]], clean_db, batch_size=10)
    assert [(d.stage, d.reason, d.id) for d in dead] == [("postgres_sink", "internal_error", malformed.raw.id)]
    assert "ValueError" in dead[0].error
    # Counted under the reason its dead letter carries, with the other stages' dead letters.
    assert counters["dead_letters"] == counters["dead_letter.internal_error"] == 1
    assert "dead_letter.postgres_rejected" not in counters
    assert (counters["records_in"], counters["records_out"]) == (4, 3)
    assert query(clean_db, "SELECT id FROM articles ORDER BY id") == [(a.id,) for a in good]


def test_text_postgres_cannot_store_is_made_storable_not_rejected(clean_db: str) -> None:
    article = make_article(20)
    body = article.body + " tail\x00with NUL and a lone \ud800 surrogate"
    dead, _ = run_sink([article.replace(body=body, title="t\x00")], clean_db)
    assert dead == []
    stored = query(clean_db, "SELECT body, title, record->>'body' FROM articles")[0]
    assert "\x00" not in stored[0] and stored[0] == stored[2]
    assert stored[0].startswith(article.body) and stored[1] == "t\ufffd"


def test_full_text_and_entity_queries_use_their_indexes(clean_db: str) -> None:
    run_sink([make_article(n, "id" if n % 2 else "en") for n in range(40)], clean_db, batch_size=16)
    hits = query(clean_db, "SELECT count(*) FROM articles WHERE to_tsvector('simple', body) @@ "
                           "plainto_tsquery('simple', 'proyek pelabuhan')")
    assert hits == [(20,)]
    people = query(clean_db, "SELECT a.language, count(*) FROM article_entities e JOIN articles a ON a.id = e.article_id"
                             " WHERE e.label = 'PER' AND e.canonical = 'Amara Okafor' GROUP BY 1 ORDER BY 1")
    assert people == [("en", 10)]
    with connect(clean_db) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM articles WHERE to_tsvector('simple', body) @@ to_tsquery('simple', 'pelabuhan')"))
        assert "articles_body_fts" in plan
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT article_id FROM article_entities WHERE canonical = 'Surabaya'"))
        assert "article_entities_canonical" in plan


def test_migrations_are_idempotent_and_refuse_an_edited_file(pg_dsn: str, tmp_path: Path) -> None:
    migrations = load_migrations()
    with connect(pg_dsn) as conn:
        assert apply_migrations(conn, migrations) == []  # already applied by the session fixture
        edited = [m.__class__(m.version, m.name, m.sql + "\n-- edited\n") for m in migrations]
        with pytest.raises(Exception, match="changed after it was applied"):
            apply_migrations(conn, edited)
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in migrations]
