"""Timestamp lines -> published_at (transforms.dates) and weekday references against the anchor date."""

from datetime import date

import pytest

from tests.conftest import article
from transforms.clean import clean_article, find_dates
from transforms.dates import timestamp_from_line, zone_offset


@pytest.mark.parametrize("line, day, expected", [
    ("Jumat, 22 November 2024 | 16:40 WIB", date(2024, 11, 22), "2024-11-22T16:40:00+07:00"),
    ("Diperbarui 03/01/2025, 07.05 WITA", date(2025, 1, 3), "2025-01-03T07:05:00+08:00"),
    ("Senin, 5 Mei 2025 - 20:30:15 WIT", date(2025, 5, 5), "2025-05-05T20:30:15+09:00"),
    ("Published Tuesday, July 2, 2024 11:20 p.m. EDT", date(2024, 7, 2), "2024-07-02T23:20:00-04:00"),
    ("Updated Jan. 8, 2025 12:05 AM ET", date(2025, 1, 8), "2025-01-08T00:05:00-05:00"),  # ET in winter: EST
    ("Aug 19, 2024 3:45 PM ET", date(2024, 8, 19), "2024-08-19T15:45:00-04:00"),  # ET in summer: EDT
    ("19 August 2024, 14:02 GMT", date(2024, 8, 19), "2024-08-19T14:02:00+00:00"),
    ("Posted 10.06.2024 08.30 (UTC)", date(2024, 6, 10), "2024-06-10T08:30:00+00:00"),
])
def test_timestamp_line_gives_rfc3339_in_its_zone(line, day, expected):
    assert timestamp_from_line(line, day) == expected


@pytest.mark.parametrize("line", [
    "Rabu, 12 Juni 2024",                       # no time of day
    "12 June 2024 10:15",                        # no zone: a local time cannot be placed
    "June 12, 2024 10:15 XYZ",                   # unknown zone
    "12.06.2024",                                # a date with dots is not a time
    "Kamis, 13 Juni 2024 25:10 WIB",             # not a time
    "June 12, 2024 10:15 WIBU",                  # a word that starts like a zone
])
def test_timestamp_line_without_time_and_known_zone_gives_none(line):
    assert timestamp_from_line(line, date(2024, 6, 12)) is None


def test_daylight_rules_switch_on_the_right_sundays():
    assert str(zone_offset("ET", date(2024, 3, 9))) == "UTC-05:00"   # Saturday before the 2nd Sunday of March
    assert str(zone_offset("ET", date(2024, 3, 10))) == "UTC-04:00"
    assert str(zone_offset("pt", date(2024, 11, 3))) == "UTC-08:00"  # first Sunday of November
    assert str(zone_offset("UK", date(2024, 3, 31))) == "UTC+01:00"  # last Sunday of March
    assert str(zone_offset("UK", date(2024, 10, 27))) == "UTC"
    assert zone_offset("wib", date(2024, 1, 1)).utcoffset(None).total_seconds() == 7 * 3600


STORY_ID = ("Tim SAR gabungan melanjutkan pencarian dua nelayan yang hilang di perairan selatan.\n\n"
            "Kapal mereka terakhir terlihat pada Selasa sore sebelum cuaca memburuk.")
STORY_EN = ("Negotiators said talks would resume on Wednesday after a pause.\n\n"
            "The last round ended on Sunday (lalu) without a deal, officials said.")


def test_timestamp_line_sets_published_at_when_the_feed_gave_none():
    body = f"Sabtu, 7 September 2024 | 06:10 WIB\n\n{STORY_ID}"
    cleaned = clean_article(article(body))
    assert cleaned.published_at == "2024-09-07T06:10:00+07:00"
    assert cleaned.clean["published_date"] == "2024-09-07"
    assert "2024-09-03" in cleaned.dates  # "pada Selasa": the Tuesday before Saturday 7 September
    assert "06:10" not in cleaned.body


def test_feed_published_at_is_kept():
    body = f"Sabtu, 7 September 2024 | 06:10 WIB\n\n{STORY_ID}"
    cleaned = clean_article(article(body, published_at="2024-09-07T00:05:00Z"))
    assert cleaned.published_at == "2024-09-07T00:05:00Z"


def test_weekday_resolves_against_fetch_date_and_same_day_counts():
    # fetched on Wednesday 2024-06-12: "on Wednesday" is that day (future cue "resume ... on" is not a cue word),
    # "on Sunday" the Sunday before
    cleaned = clean_article(article(STORY_EN, fetched_at="2024-06-12T10:00:00Z"))
    assert {"2024-06-12", "2024-06-09"} <= set(cleaned.dates)


def test_weekday_resolves_against_dateline_date():
    body = "BANDUNG, Kamis (20/6/2024) - Pemerintah kota menutup sementara jalan layang karena retak pada Senin."
    cleaned = clean_article(article(body, dateline={"text": "BANDUNG, Kamis (20/6/2024) -", "place": "Bandung"}))
    assert "2024-06-17" in cleaned.dates  # Monday before Thursday 20 June


def test_no_anchor_no_weekday_date():
    assert clean_article(article(STORY_EN)).dates == ()
    assert find_dates("Pertemuan berlangsung Jumat lalu.") == []
    assert find_dates("Pertemuan berlangsung Jumat lalu.", date(2024, 2, 14)) == [date(2024, 2, 9)]
    assert find_dates("Hasilnya diumumkan Jumat depan.", date(2024, 2, 14)) == [date(2024, 2, 16)]
