"""Publication timestamps from a site's timestamp line ('Kamis, 14 Maret 2024 | 09:15 WIB').

``timestamp_from_line(line, day)`` turns the time of day and time-zone abbreviation of a
timestamp line, whose calendar date the cleaner has already read (``day``), into an RFC 3339
timestamp in the line's own offset: '2024-03-14T09:15:00+07:00'. The zone table
(``data/dates.json``, ``time_zones``) maps an abbreviation to a fixed offset or to a pair of
standard/daylight offsets with the rule deciding between them (US or EU, by date). A line
without a time of day or without a known zone gives None: a local time cannot be placed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

DATA = Path(__file__).with_name("data") / "dates.json"

# '09:15', '9.15', '21:05:30', '9:15 AM', '9:15 p.m.'; not a piece of a date ('14.03.2024', '2024-03-14')
_TIME = re.compile(r"(?<![\d./-])(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?![\d./-]?\d)"
                   r"(?:\s{0,2}(a\.?m\.?|p\.?m\.?)(?![a-z]))?", re.IGNORECASE)
_ZONE = re.compile(r"[A-Za-z]{1,5}")


@lru_cache(maxsize=1)
def time_zones() -> dict[str, Union[str, dict[str, str]]]:
    return json.loads(DATA.read_text(encoding="utf-8"))["time_zones"]


def _offset(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _nth_sunday(year: int, month: int, n: int) -> date:
    """The n-th Sunday of a month (n = -1: the last one)."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _daylight(rule: str, day: date) -> bool:
    if rule == "us":
        return _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    if rule == "eu":
        return _nth_sunday(day.year, 3, -1) <= day < _nth_sunday(day.year, 10, -1)
    raise ValueError(f"unknown daylight-saving rule {rule!r}")


def zone_offset(abbreviation: str, day: date) -> Optional[timezone]:
    """The UTC offset of a zone abbreviation ('WIB', 'ET') on ``day``, or None if unknown."""
    entry = time_zones().get(abbreviation.lower())
    if entry is None:
        return None
    if isinstance(entry, str):
        return _offset(entry)
    return _offset(entry["daylight"] if _daylight(entry["rule"], day) else entry["standard"])


def timestamp_from_line(line: str, day: date) -> Optional[str]:
    """RFC 3339 timestamp for the time and zone in ``line`` on ``day``; None without both."""
    if len(line) > 200:
        return None
    for found in _TIME.finditer(line):
        hour, minute = int(found.group(1)), int(found.group(2))
        second = int(found.group(3) or 0)
        meridiem = (found.group(4) or "").lower().replace(".", "")
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        if hour > 23 or minute > 59 or second > 59:
            continue
        rest = line[found.end():]
        zone = _ZONE.match(line, found.end() + len(rest) - len(rest.lstrip(" ,|(")))
        if zone is None or (zone.end() < len(line) and line[zone.end()].isalnum()):
            return None
        offset = zone_offset(zone.group(), day)
        if offset is None:
            return None
        stamp = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=offset)
        return stamp.isoformat()
    return None
