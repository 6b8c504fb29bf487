"""Reading files: formats by extension, gzip, bounded line reads, unreadable files."""

import gzip
import hashlib

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from tests.conftest import _Collector
from transforms.file_io import ReadArticleFiles, format_of, read_file


def test_format_by_extension():
    assert format_of("a/b.txt") == "text" and format_of("x.HTML") == "html" and format_of("x.htm.gz") == "html"
    assert format_of("x.jsonl.gz") == "json" and format_of("x.json") == "json"
    assert format_of("x.pdf") is None and format_of("x.gz") is None


def test_jsonl_is_read_line_by_line_skipping_blank_lines(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"text": "satu"}\n\n{"text": "dua"}\r\n   \n{"text": "tiga"}')
    records = list(read_file(str(path), 1000))
    assert [r.origin.line for r in records] == [1, 3, 5]
    assert [r.data for r in records] == [b'{"text": "satu"}', b'{"text": "dua"}', b'{"text": "tiga"}']


def test_oversize_line_is_cut_with_true_size_and_hash_and_next_line_survives(tmp_path):
    big = b'{"text": "' + b"a" * 5000 + b'"}'
    path = tmp_path / "feed.jsonl"
    path.write_bytes(big + b"\n" + b'{"text": "kecil"}\n')
    first, second = read_file(str(path), 1000)
    assert len(first.data) == 1000 and first.true_size == len(big)
    assert first.sha256 == hashlib.sha256(big).hexdigest()
    assert second.data == b'{"text": "kecil"}' and second.origin.line == 2


def test_gzip_files_are_decompressed(tmp_path):
    path = tmp_path / "a.txt.gz"
    path.write_bytes(gzip.compress("Isi berita.".encode()))
    (record,) = read_file(str(path), 1000)
    assert record.data == "Isi berita.".encode() and record.fmt == "text"


def test_oversize_whole_file_is_cut(tmp_path):
    path = tmp_path / "big.html"
    path.write_bytes(b"<p>" + b"x" * 3000 + b"</p>")
    (record,) = read_file(str(path), 100)
    assert len(record.data) == 100 and record.true_size == 3007


def test_unreadable_and_unsupported_files_become_dead_letters(tmp_path):
    (tmp_path / "good.txt").write_text("Berita baik.")
    (tmp_path / "broken.txt.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    with TestPipeline() as p:
        records, dead = p | ReadArticleFiles([str(tmp_path / "*")], 1000)
        records | "M" >> beam.Map(_Collector.add, "main")
        dead | "D" >> beam.Map(_Collector.add, "dead")
    main, dead = _Collector.take("main"), _Collector.take("dead")
    assert [r.data for r in main] == [b"Berita baik."]
    assert sorted(d.origin.path.rsplit("/", 1)[1] for d in dead) == ["broken.txt.gz", "notes.pdf"]
    assert all(d.stage == "read" and d.reason == "unreadable" and d.error for d in dead)
