"""Hostile input: 1 MB of pathological text must be cleaned and parsed in linear time.

No wall-clock assertion here (speed lives in benchmarks/clean_eval.py); the pytest
timeout is the generous bound that catches catastrophic regex backtracking.
"""

import pytest

from schemas.records import Origin, RawRecord
from transforms.clean import clean_text, find_dates
from transforms.parse import parse_record

MB = 1024 * 1024


def _numbered(line: str, width: int) -> str:
    """About 1 MB of distinct variants of ``line`` (a line number appended), one per line."""
    return "\n".join(f"{line}{i}" for i in range(MB // width))


def _cases() -> dict[str, str]:
    caps = "Berita Terkini Hari Ini " * (MB // 24)
    return {
        "spaces": "Kata" + " " * MB + "akhir.",
        "punctuation": ("-.:;()/|—" * (MB // 9)),
        "capitalised_one_line": caps,
        "capitalised_lines": "\n".join("Baca Juga Berita Terkait Subscribe Now Halaman " + "Kata " * 30 for _ in range(MB // 200)),
        "dateline_like": ("MOSKOW (Reuters " + "A" * 40 + " ") * (MB // 57),
        "mixed": ("Photo: " + " ." * 500 + "(@" + "a" * 50 + "\n") * (MB // 1060),
        "numbers": ("12/12/" * (MB // 6)),
        # the web-boilerplate patterns, on distinct lines (a repeated line is only classified once):
        # e-mail and link shapes, handles, unclosed and nested shortcodes
        "emails": _numbered("Write to " + "a.b.c.d@e.f.g " * 20, 300),
        "email_lines": _numbered("Email " + "a." * 140 + "@" + "b-" * 100, 460),
        "urls": _numbered("Link: https://" + "/" * 280 + " " + "www." * 60, 560),
        "handles": _numbered(("@" + "a" * 29 + " | ") * 6, 210),
        "follow_lines": _numbered("Follow " + "us " * 40 + "x." * 20 + "@", 180),
        "reprint_lines": _numbered("the " * 30 + "for personal, non-commercial use " + "x " * 150, 440),
        "shortcodes": ('[button link="' + "x=" * 140 + "[caption " + "y " * 100 + "]") * (MB // 500),
        "shortcode_pairs": ("[tab a=b]" + "z" * 590 + "[/tab][/tab]") * (MB // 611),
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(_cases()))
def test_pathological_text_finishes(name):
    text = _cases()[name][:MB]
    assert len(text) >= MB * 0.95
    result = clean_text(text)
    assert isinstance(result.body, str)
    assert result.removed_chars + len(result.body) <= len(text) + 2 * text.count("\n") + 10
    find_dates(text[:200_000])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["spaces", "capitalised_one_line", "capitalised_lines", "dateline_like"])
def test_pathological_text_parses(name):
    data = _cases()[name][:MB].encode()
    article = parse_record(RawRecord(origin=Origin(path=name), fmt="text", data=data), max_bytes=2 * MB)
    assert article.body
