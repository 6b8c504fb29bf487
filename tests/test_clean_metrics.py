"""The clean stage's own measure, ``clean.bytes_removed``, read back from a DirectRunner run."""

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter

from tests.conftest import article
from transforms.clean import CleanArticles

STORY = ("Pemerintah kota menambah armada bus listrik untuk rute pinggiran mulai bulan depan.\n\n"
         "Warga berharap waktu tunggu di halte menjadi lebih singkat.")
CLUTTER = "Baca juga: Tarif Bus Naik — Ini Rinciannya"  # the em dash is 3 bytes in UTF-8


def test_bytes_removed_counts_utf8_bytes_of_the_removed_clutter():
    first, second = STORY.split("\n\n")
    with_clutter = f"{first}\n\n{CLUTTER}\n\n{second}"
    articles = [article(with_clutter), article(STORY), article("Advertisement\n\nSubscribe now")]  # last: dead letter
    pipeline = beam.Pipeline()
    pipeline | beam.Create(articles, reshuffle=False) | CleanArticles()
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter().with_namespace("clean"))["counters"]}
    # the clutter line plus one paragraph separator; the clean article and the dead letter add nothing
    assert len(CLUTTER.encode("utf-8")) + 2 == 46
    assert counters["bytes_removed"] == 46
    assert counters["records_in"] == 3 and counters["records_out"] == 2 and counters["dead_letters"] == 1
