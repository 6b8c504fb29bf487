"""Each enrichment stage as a PTransform on the DirectRunner (TestPipeline + assert_that)."""

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import article, run_stage
from transforms.clean import CleanArticles
from transforms.entities import ExtractEntities
from transforms.language import TagLanguage
from transforms.source import TagSource

INDONESIAN = ("Pemerintah provinsi mengumumkan bahwa jalan tol baru akan dibuka untuk umum pada akhir bulan ini, "
              "setelah pembangunan yang tertunda selama dua tahun karena pembebasan lahan.")
ENGLISH = ("The city council voted on Tuesday to expand the bus network to the northern suburbs, "
           "a plan that residents had demanded for more than a decade.")


def test_clean_stage_removes_read_also_line_and_keeps_story():
    body = f"{INDONESIAN}\nBaca juga: Lima Tips Mudik Aman Saat Libur Panjang\nWarga menyambut baik rencana tersebut dan berharap tarifnya terjangkau."
    main, dead = run_stage(CleanArticles(), [article(body)])
    assert dead == [] and len(main) == 1
    cleaned = main[0]
    assert "Baca juga" not in cleaned.body and "Lima Tips Mudik" not in cleaned.body
    assert INDONESIAN in cleaned.body and "Warga menyambut baik" in cleaned.body
    assert cleaned.clean["removed"]["lines"] >= 1


def test_clean_stage_dead_letters_an_article_of_clutter_only():
    main, dead = run_stage(CleanArticles(), [article("Subscribe now\nAdvertisement:")])
    assert main == [] and [d.stage for d in dead] == ["clean"]


def test_language_stage_tags_each_article():
    with TestPipeline() as p:
        out = (p | beam.Create([article(INDONESIAN), article(ENGLISH), article("OK")], reshuffle=False)
               | TagLanguage())
        assert_that(out.main | beam.Map(lambda a: a.language), equal_to(["id", "en", "und"]))
        assert_that(out.dead_letter, equal_to([]), label="no dead letters")


def test_source_stage_uses_outlet_registry():
    main, dead = run_stage(TagSource(), [article(ENGLISH, url="https://www.kompas.com/read/2024/01/01/x"),
                                          article(ENGLISH, url="https://unknown-outlet.example.org/a")])
    assert dead == []
    by_domain = {a.source["domain"]: a.source for a in main}
    assert by_domain["kompas.com"]["publisher"] == "Kompas"
    assert by_domain["example.org"]["publisher"] is None


def test_entity_stage_offsets_point_into_body():
    body = "Menteri luar negeri Jerman tiba di Jepang, lalu terbang ke Brasil untuk bertemu mitranya."
    main, dead = run_stage(ExtractEntities(), [article(body)])
    assert dead == [] and len(main) == 1
    entities = main[0].entities
    assert {"Germany", "Japan", "Brazil"} <= {e.canonical for e in entities}
    for e in entities:
        assert body[e.start:e.end] == e.text
    assert sum(s["count"] for s in main[0].entity_summary) == len(entities)
