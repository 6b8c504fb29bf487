"""The example queries in README.md's "PostgreSQL sink" section run and answer correctly."""

from __future__ import annotations

import re

import pytest

from tests.integration.postgres.helpers import ROOT, make_article, query, run_sink

pytestmark = pytest.mark.integration


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## PostgreSQL sink", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_example_queries(clean_db: str) -> None:
    people_query, publisher_query, search_query = readme_queries()
    articles = [
        make_article(n, "en" if n < 4 else "id", publisher="Harian Contoh" if n % 2 else "Example Daily")
        for n in range(8)
    ]
    truce = make_article(50, "id", publisher="Harian Contoh", entities=())
    truce = truce.replace(body="Kedua pihak akhirnya menyepakati gencatan senjata di wilayah perbatasan utara.")
    run_sink([*articles, truce], clean_db)

    people = {(row[0], row[1], row[2]) for row in query(clean_db, people_query)}
    names = {e.canonical for a in articles for e in a.entities if e.label == "PER"}
    assert people == {(name, language, 1) for name in names for language in ("en", "id")}

    assert query(clean_db, publisher_query) == [
        ("Harian Contoh", "id", 3), ("Example Daily", "en", 2), ("Example Daily", "id", 2), ("Harian Contoh", "en", 2),
    ]

    hits = query(clean_db, search_query)
    assert [(row[0], row[2]) for row in hits] == [(truce.id, "id")]
    assert "gencatan" in hits[0][4]
