"""Clean stage: only the article's own text stays in the body; furniture becomes metadata.

``clean_text(text) -> CleanResult`` is the pure function. It works line by line
(paragraphs) with three kinds of signal, all data-driven (``data/clutter_lines.json``,
``data/function_words.json``, ``data/dates.json``):

* vocabulary patterns per clutter kind (related links, paywall, newsletter,
  comments, ads, cookies, standards, copyright, tags, social embeds, credits,
  captions, page markers), Indonesian and English;
* sentence shape: a line or the tail of a paragraph with no sentence ending
  whose content words are nearly all capitalised is a run of headlines, not
  prose (prose has lower-case content words between its names); lines after a
  "related" marker that do not read as sentences are the linked headlines;
* context: a short label between clutter lines is clutter (UI text), and lines
  at the edges of the text in another language than the article are boilerplate.

Credits, bylines and captions move to metadata; dates in the text (Indonesian
and English forms) are collected as ISO dates. Every regex is bounded and lines
longer than ``MAX_LINE_CHARS_FOR_PATTERNS`` skip the vocabulary patterns, so
cleaning is linear in the input size.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import apache_beam as beam

from schemas.records import Article
from transforms.stage import StageDoFn, StageError, apply_stage

STAGE = "clean"
DATA_DIR = Path(__file__).with_name("data")
MAX_LINE_CHARS_FOR_PATTERNS = 600
MOVED_KINDS = {"credits", "captions"}

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]{0,3}$")
_SENTENCE_BOUNDARY = re.compile(r"[.!?…][\"'”’»)\]]{0,3} ")
_TRAILING_PAGE_MARKER = re.compile(r"\s(?:halaman|page|hal\.) \d{1,3}$", re.IGNORECASE)
_TOKEN_STRIP = "\"'“”‘’()[]{}<>«»,.;:!?…*|/\\-–—"
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class ClutterPattern:
    """One kind of clutter: a fullmatch regex, or regexes that must all be found."""

    kind: str
    match: Optional[re.Pattern] = None
    all: tuple[re.Pattern, ...] = ()
    max_chars: int = MAX_LINE_CHARS_FOR_PATTERNS
    move_to: Optional[str] = None
    no_sentence_end: bool = False

    def matches(self, line: str, ends_sentence: bool) -> bool:
        if len(line) > self.max_chars or (self.no_sentence_end and ends_sentence):
            return False
        if self.match is not None:
            return self.match.fullmatch(line) is not None
        return all(regex.search(line) for regex in self.all)


@dataclass(frozen=True)
class BlockMarker:
    """A "related stories" marker; up to ``max_run`` headline lines follow it."""

    regex: re.Pattern
    max_run: int


@dataclass(frozen=True)
class Rules:
    patterns: tuple[ClutterPattern, ...]
    markers: tuple[BlockMarker, ...]
    share_words: frozenset
    share_required: frozenset
    function_words: dict[str, frozenset]
    all_function_words: frozenset
    months: dict[str, int]
    weekdays: dict[str, int]
    timestamp_words: frozenset
    future_cues: frozenset
    signoff: re.Pattern


@dataclass
class CleanResult:
    """The cleaned body plus what was taken out of it."""

    body: str
    credits: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    byline: Optional[str] = None
    timestamps: list[str] = field(default_factory=list)
    removed_lines: int = 0
    removed_chars: int = 0
    removed_kinds: Counter = field(default_factory=Counter)

    def remove(self, kind: str, text: str, whole_line: bool = True) -> None:
        self.removed_kinds[kind] += 1
        self.removed_lines += 1 if whole_line else 0
        self.removed_chars += len(text)

    def report(self) -> dict[str, Any]:
        return {"removed": {"lines": self.removed_lines, "chars": self.removed_chars,
                            "kinds": dict(sorted(self.removed_kinds.items()))}}


def _read_json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def load_rules() -> Rules:
    """Compile the clutter, function-word and date data once per process."""
    spec = _read_json("clutter_lines.json")
    patterns = []
    for p in spec["patterns"]:
        flags = 0 if p.get("case_sensitive") else re.IGNORECASE
        patterns.append(ClutterPattern(
            kind=p["kind"],
            match=re.compile(p["match"], flags) if "match" in p else None,
            all=tuple(re.compile(r, flags) for r in p.get("all", ())),
            max_chars=p.get("max_chars", MAX_LINE_CHARS_FOR_PATTERNS),
            move_to=p.get("move_to"),
            no_sentence_end=bool(p.get("no_sentence_end")),
        ))
    markers = tuple(BlockMarker(re.compile(m["match"], re.IGNORECASE), m["max_run"]) for m in spec["block_markers"])
    words = _read_json("function_words.json")
    function_words = {lang: frozenset(ws) for lang, ws in words.items() if not lang.startswith("_")}
    dates = _read_json("dates.json")
    agencies = _read_json("agencies.json")["agencies"]
    names = sorted({n for spellings in agencies.values() for n in spellings} | set(agencies), key=len, reverse=True)
    signoff = re.compile(r"[(\[—–-]{0,2}\s{0,2}(?:" + "|".join(re.escape(n) for n in names)
                         + r")(?:\s{0,2}/\s{0,2}[\w .]{1,40})?\s{0,2}[)\]]?\.?", re.IGNORECASE)
    return Rules(
        patterns=tuple(patterns),
        markers=markers,
        share_words=frozenset(spec["share_words"]),
        share_required=frozenset(spec["share_required"]),
        function_words=function_words,
        all_function_words=frozenset().union(*function_words.values()),
        months=dates["months"],
        weekdays=dates["weekdays"],
        timestamp_words=frozenset(dates["timestamp_words"]),
        future_cues=frozenset(dates["future_cues"]),
        signoff=signoff,
    )


# --- sentence shape -------------------------------------------------------------------------

def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends like a sentence (., !, ?, … possibly inside closing quotes)."""
    return _SENTENCE_END.search(text[-8:]) is not None


@dataclass(frozen=True)
class Shape:
    words: int
    content: int
    capitalised: int
    max_lower_run: int

    @property
    def cap_ratio(self) -> float:
        return self.capitalised / self.content if self.content else 0.0


def shape(text: str, rules: Rules) -> Shape:
    """Counts of content words (not function words, with letters) and how many are capitalised."""
    words = text.split()
    content = capitalised = run = max_run = 0
    for raw in words:
        token = raw.strip(_TOKEN_STRIP)
        if not token or not _LETTER.search(token):
            continue
        if token.lower() in rules.all_function_words:
            run = 0
            continue
        content += 1
        first = next((c for c in token if c.isalpha()), "")
        if first.isupper():
            capitalised += 1
            run = 0
        else:
            run += 1
            max_run = max(max_run, run)
    return Shape(len(words), content, capitalised, max_run)


def is_title_like(text: str, rules: Rules, min_content: int = 3) -> bool:
    """Title case: nearly every content word capitalised, never two lower-case ones in a row."""
    s = shape(text, rules)
    return s.content >= min_content and s.cap_ratio >= 0.7 and s.max_lower_run <= 1


def is_headline_like(line: str) -> bool:
    """A line that could be a linked headline: no sentence ending, headline length."""
    n = len(line.split())
    return 2 <= n <= 40 and len(line) <= 300 and not ends_sentence(line)


def line_language(line: str, rules: Rules) -> tuple[Optional[str], int]:
    """The language whose function words dominate ``line`` and how many were seen."""
    counts = Counter()
    for raw in line.lower().split():
        token = raw.strip(_TOKEN_STRIP)
        for lang, words in rules.function_words.items():
            if token in words:
                counts[lang] += 1
    if not counts:
        return None, 0
    (best, n), *rest = counts.most_common(2) + [(None, 0)]
    second = rest[0][1]
    return (best if n >= 2 and n >= 3 * second else None), n


# --- line classification -----------------------------------------------------------------------

def _is_share_line(line: str, rules: Rules) -> bool:
    tokens = [t.strip(_TOKEN_STRIP).lower() for t in line.split()]
    tokens = [t for t in tokens if t]
    return (0 < len(tokens) <= 14 and all(t in rules.share_words or t.isdigit() for t in tokens)
            and any(t in rules.share_required for t in tokens))


def _is_timestamp_line(line: str, rules: Rules) -> bool:
    """A line made only of date/time words: 'Kamis, 26 Okt 2023 14:05 WIB', 'Updated: Oct 26, 2023'."""
    if len(line) > 120:
        return False
    has_date = False
    for raw in line.lower().replace("|", " ").split():
        token = raw.strip(_TOKEN_STRIP)
        if not token:
            continue
        if token in rules.months or token.rstrip(".") in rules.months:
            has_date = True
        elif token in rules.weekdays or token in rules.timestamp_words:
            continue
        elif re.fullmatch(r"\d{1,4}(?:[:./-]\d{1,4}){0,2}(?:am|pm|h)?", token):
            has_date = has_date or bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", token))
        else:
            return False
    return has_date


def classify_line(line: str, rules: Optional[Rules] = None) -> Optional[ClutterPattern]:
    """The clutter pattern a whole line matches, or None for article text."""
    rules = rules or load_rules()
    if len(line) > MAX_LINE_CHARS_FOR_PATTERNS:
        return None
    stripped = line.strip(" .•·*|>-–—")
    if not stripped:
        return _SEPARATOR
    ending = ends_sentence(line)
    for pattern in rules.patterns:
        if pattern.matches(stripped, ending):
            return pattern
    if rules.signoff.fullmatch(stripped):
        return _SIGNOFF
    if _is_share_line(stripped, rules):
        return _SHARE
    if _is_timestamp_line(stripped, rules):
        return _TIMESTAMP
    return None


_SEPARATOR = ClutterPattern("separator")
_SIGNOFF = ClutterPattern("signoff", move_to="credits")
_SHARE = ClutterPattern("share")
_TIMESTAMP = ClutterPattern("timestamp")


def match_marker(line: str, rules: Rules) -> Optional[int]:
    """How many headline lines may follow when ``line`` is a related-stories marker, else None."""
    if len(line) > 320:
        return None
    stripped = line.strip(" .•·*|>-–—")
    for marker in rules.markers:
        found = marker.regex.fullmatch(stripped)
        if found is None:
            continue
        rest = found.groupdict().get("rest")
        return 0 if rest and _LETTER.search(rest) else marker.max_run
    return None


def strip_glued_headlines(line: str, rules: Rules) -> tuple[str, list[tuple[str, str]]]:
    """Cut a trailing run of headlines glued after the paragraph's last sentence."""
    removed: list[tuple[str, str]] = []
    if ends_sentence(line):
        return line, removed
    last = None
    for last in _SENTENCE_BOUNDARY.finditer(line):
        pass
    if last is None:
        return line, removed
    tail, head = line[last.end():], line[:last.end()]
    head_shape = shape(head, rules)
    prose = head_shape.words >= 8 and (head_shape.max_lower_run >= 2 or head_shape.cap_ratio < 0.6)
    if prose and len(tail.split()) >= 6 and is_title_like(tail, rules, min_content=5):
        removed.append(("headline_run", tail))
        line = line[:last.end()].rstrip()
    return line, removed


# --- bylines -----------------------------------------------------------------------------------

_BYLINE_FORMS = (
    re.compile(r"\(\s*[\w.-]{2,40}\s*/\s*(?P<name>[A-Z][\w .,'-]{1,80}?)\s*\)"),
    re.compile(r"(?:penulis|reporter|pewarta|wartawan|writer|author|kontributor|koresponden|correspondent)\s*[:|]\s*(?P<name>.{2,120})",
               re.IGNORECASE),
    re.compile(r"(?:by|oleh|reporting by|reported by|written by|writing by):?\s{1,3}(?P<name>[A-Z].{1,120}?)(?:;.{0,200})?", re.IGNORECASE),
)


def byline_from_credit(credit: str) -> Optional[str]:
    """The author's name in a credit line ('Penulis: X', 'By X', '(Outlet.com/X)'), else None."""
    text = credit.strip(" .")
    if re.match(r"(?:laporan )?(?:diedit|disunting|edited|editing)", text, re.IGNORECASE):
        return None
    for form in _BYLINE_FORMS:
        found = form.fullmatch(text)
        if found:
            name = found.group("name").strip(" .,;|-–—")
            return name if _LETTER.search(name) else None
    return None


# --- the cleaner -------------------------------------------------------------------------------

def clean_text(text: str, rules: Optional[Rules] = None) -> CleanResult:
    """Remove clutter from ``text``; paragraphs of the result are separated by blank lines."""
    rules = rules or load_rules()
    result = CleanResult(body="")
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    kinds: list[Optional[str]] = [None] * len(lines)  # None = article text
    seen: set[str] = set()
    run_left = 0
    for i, line in enumerate(lines):
        if line in seen:
            kinds[i] = "duplicate"
            continue
        seen.add(line)
        pattern = classify_line(line, rules)
        if pattern is not None:
            kinds[i] = pattern.kind
            if pattern.move_to == "credits":
                result.credits.append(line)
            elif pattern.move_to == "captions":
                result.captions.append(line)
            elif pattern.kind == "timestamp":
                result.timestamps.append(line)
            continue
        allowed = match_marker(line, rules)
        if allowed is not None:
            kinds[i] = "related"
            run_left = allowed
            continue
        if run_left and is_headline_like(line):
            kinds[i] = "related"
            run_left -= 1
            continue
        run_left = 0
        page = _TRAILING_PAGE_MARKER.search(line[-16:])
        if page is not None:
            cut = len(line) - 16 + page.start() if len(line) > 16 else page.start()
            result.remove("page_marker", line[cut:].strip(), whole_line=False)
            lines[i] = line = line[:cut].rstrip()
        if not ends_sentence(line) and len(line.split()) >= 14 and is_title_like(line, rules, min_content=12):
            kinds[i] = "headline_run"
            continue
        kept, cut = strip_glued_headlines(line, rules)
        for kind, piece in cut:
            result.remove(kind, piece, whole_line=False)
        if not kept:
            kinds[i] = cut[-1][0] if cut else "empty"
        lines[i] = kept
    _mark_labels_between_clutter(lines, kinds)
    _mark_foreign_edges(lines, kinds, rules)
    kept_lines = []
    for line, kind in zip(lines, kinds):
        if kind is None:
            kept_lines.append(line)
        else:
            result.remove(kind, line)
    for credit in result.credits:
        result.byline = result.byline or byline_from_credit(credit)
    result.body = "\n\n".join(kept_lines)
    return result


def _mark_labels_between_clutter(lines: list[str], kinds: list[Optional[str]]) -> None:
    """A short non-sentence line with clutter (or the text's edge) on both sides is a UI label."""
    n = len(lines)
    for i in range(n):
        if kinds[i] is not None or ends_sentence(lines[i]) or len(lines[i].split()) > 6:
            continue
        before = i == 0 or kinds[i - 1] is not None
        after = i == n - 1 or kinds[i + 1] is not None
        if before and after and (i > 0 or i < n - 1):
            kinds[i] = "ui_label"


def _mark_foreign_edges(lines: list[str], kinds: list[Optional[str]], rules: Rules) -> None:
    """Lines at the start or end of the text in another language than the rest are boilerplate."""
    langs = [line_language(line, rules) if kinds[i] is None else (None, 0) for i, line in enumerate(lines)]
    votes = Counter()
    for lang, n in langs:
        if lang:
            votes[lang] += n
    if not votes:
        return
    main = votes.most_common(1)[0][0]
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        for i in order:
            if kinds[i] is not None:
                continue
            lang = langs[i][0]
            if lang is None or lang == main:
                break
            kinds[i] = "foreign_language"


# --- dates -------------------------------------------------------------------------------------

_NUMERIC_DATE = re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s{1,2}([A-Z][a-z]{2,9})\.?(?:,?\s{1,2}(\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b([A-Z][a-z]{2,9})\.?\s{1,2}(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s{1,2}(\d{4}))?")
_WEEKDAY = re.compile(r"\b([A-Z][a-z']{3,8})\b")
_ABBREVIATED_WEEKDAYS = {"mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun"}


def _valid(year: int, month: int, day: int) -> Optional[date]:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, anchor: Optional[date] = None, rules: Optional[Rules] = None) -> list[date]:
    """Calendar dates mentioned in ``text``, in order of appearance (duplicates kept).

    Full dates: '27/10/2023', '2023-10-27', '27 Oktober 2023', 'October 27, 2023'.
    Partial ones ('23 Maret', 'October 7') take the year of ``anchor``, else the most
    frequent explicit year; weekdays ('pada Kamis', 'on Thursday') resolve to the latest
    such day on or before ``anchor`` (the publication date, else the first full date), or on
    or after it after a future cue ('until Tuesday', 'Selasa depan').
    """
    rules = rules or load_rules()
    found: list[tuple[int, date]] = []
    partial: list[tuple[int, int, int]] = []  # position, month, day
    taken: list[tuple[int, int]] = []
    for m in _NUMERIC_DATE.finditer(text):
        d1, d2, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        value = _valid(year, d2, d1) or _valid(year, d1, d2)
        if value:
            found.append((m.start(), value))
            taken.append(m.span())
    for m in _ISO_DATE.finditer(text):
        value = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value:
            found.append((m.start(), value))
            taken.append(m.span())
    for regex, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for m in regex.finditer(text):
            month = rules.months.get(m.group(month_group).lower())
            if month is None or any(a <= m.start() < b for a, b in taken):
                continue
            day = int(m.group(day_group))
            if m.group(3):
                value = _valid(int(m.group(3)), month, day)
                if value:
                    found.append((m.start(), value))
            elif 1 <= day <= 31:
                partial.append((m.start(), month, day))
            taken.append(m.span())
    first_full = min(found)[1] if found else None
    years = Counter(d.year for _, d in found)
    year = anchor.year if anchor else (years.most_common(1)[0][0] if years else None)
    if year is not None:
        for position, month, day in partial:
            value = _valid(year, month, day)
            if value:
                found.append((position, value))
    reference = anchor or first_full
    if reference is not None:
        for m in _WEEKDAY.finditer(text):
            word = m.group(1).lower()
            weekday = rules.weekdays.get(word)
            if weekday is None or word in _ABBREVIATED_WEEKDAYS or any(a <= m.start() < b + 3 for a, b in taken):
                continue
            if any(0 <= p - m.end() <= 3 for p, _ in found):  # 'Jumat (27/10/2023)': the date is explicit
                continue
            context = text[max(0, m.start() - 12):m.start()].lower().split()[-2:] + text[m.end():m.end() + 14].lower().split()[:2]
            if any(word in rules.future_cues for word in context):
                found.append((m.start(), reference + timedelta(days=(weekday - reference.weekday()) % 7)))
            else:
                found.append((m.start(), reference - timedelta(days=(reference.weekday() - weekday) % 7)))
    return [d for _, d in sorted(found)]


def _anchor_date(*timestamps: Optional[str]) -> Optional[date]:
    for value in timestamps:
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
            except ValueError:
                continue
    return None


def clean_article(article: Article) -> Article:
    """The clean stage for one article; an article with no text left is a dead letter."""
    rules = load_rules()
    result = clean_text(article.body, rules)
    if not result.body:
        raise StageError("empty_after_clean", f"no article text left after removing {result.removed_lines} clutter lines")
    report = result.report()
    published_date = None  # from a removed timestamp line; a date without time/zone, so not published_at
    for line in result.timestamps:
        stamped = find_dates(line, rules=rules)
        if stamped:
            published_date = stamped[0]
            report["published_date"] = published_date.isoformat()
            break
    anchor = _anchor_date(article.published_at, article.fetched_at) or published_date
    context = " ".join(filter(None, [(article.dateline or {}).get("text"), result.body]))
    dates = sorted({d.isoformat() for d in find_dates(context, anchor, rules)})
    return article.replace(
        body=result.body,
        byline=article.byline or result.byline,
        credits=tuple(dict.fromkeys(article.credits + tuple(result.credits))),
        captions=tuple(dict.fromkeys(article.captions + tuple(result.captions))),
        dates=tuple(dates),
        clean=report,
    )


class CleanArticles(beam.PTransform):
    """Articles -> cleaned Articles (``main``) and dead letters (``dead_letter``)."""

    def expand(self, articles):
        return apply_stage(articles, "Clean", StageDoFn(STAGE, clean_article))
