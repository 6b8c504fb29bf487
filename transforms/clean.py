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
from re import _constants as sre_constants
from re import _parser as sre_parser
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any, Iterator, Optional

import apache_beam as beam

from schemas.records import Article
from transforms.dates import timestamp_from_line
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


# --- keyword prefilter ------------------------------------------------------------------------
#
# Each clutter regex needs some literal text to match ("subscribe", "(@", "all rights reserved").
# The literals are read from the compiled regex itself (so the data file stays the single source):
# a literal whose word is bounded on both sides (by \b, the line's edges for fullmatch patterns, or
# punctuation inside the literal) must appear as a whole lower-case token of the line; any other
# literal must appear as a substring of the lower-cased line. A line is only tried against the
# patterns one of whose keys it contains, which is exact: a pattern without a derivable key is
# always tried, and lines with characters whose case folding differs from str.lower() ("İ", "ı",
# "ſ", Kelvin sign) skip the prefilter.

_WORD = re.compile(r"\w+")
# Tokens of a lower-cased line: ASCII word characters kept, every other byte (and every non-ASCII
# character, encoded as "?") a separator. An ASCII key that is a whole \w+ token of the line is a
# whole token here too (the converse need not hold: the check may only let extra lines through).
_ASCII_WORDS = bytes(b if b < 128 and (chr(b).isalnum() or b == 95) else 32 for b in range(256))
_MAX_LITERALS = 256
_FOLD_SPECIAL = ("\u0130", "\u0131", "\u017f", "\u212a")
_C = sre_constants


@dataclass(frozen=True)
class _Key:
    text: str
    token: bool  # True: a whole token of the line; False: a substring of the lower-cased line
    start: bool = False  # the lower-cased line starts with ``text`` (fullmatch patterns)


def _expand(items: list) -> Optional[set[str]]:
    """Every string a purely literal regex sequence matches (None if it is not purely literal)."""
    out = {""}
    for op, av in items:
        if op is _C.LITERAL:
            inner = {chr(av)}
        elif op is _C.BRANCH:
            alts = [_expand(alt) for alt in av[1]]
            if any(a is None for a in alts):
                return None
            inner = set().union(*alts)
        elif op is _C.SUBPATTERN:
            inner = _expand(av[3])
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            inner = _expand(av[2])
            inner = None if inner is None else inner | {""}
        else:
            return None
        if inner is None or len(out) * len(inner) > _MAX_LITERALS:
            return None
        out = {a + b for a in out for b in inner}
    return out


def _key(literal: str, left_bounded: bool, right_bounded: bool) -> _Key:
    words = [m for m in _WORD.finditer(literal) if (m.start() > 0 or left_bounded)
             and (m.end() < len(literal) or right_bounded)]
    if words:
        return _Key(max(words, key=lambda m: len(m.group())).group(), True)
    return _Key(literal, False)


def _keys_score(keys: frozenset) -> tuple:
    return (all(k.token or k.start for k in keys), min(len(k.text) for k in keys), -len(keys))


def _required_keys(items: list, left: bool, right: bool) -> Optional[frozenset]:
    """Keys one of which every match of the regex sequence ``items`` contains, or None."""
    candidates: list[Optional[frozenset]] = []
    run: set[str] = {""}
    run_left = left
    boundary = left
    for i, (op, av) in enumerate(items):
        at_boundary = op is _C.AT and av in (_C.AT_BOUNDARY, _C.AT_BEGINNING, _C.AT_BEGINNING_STRING)
        expanded = None if at_boundary else _expand([(op, av)])
        if expanded is not None and len(run) * len(expanded) <= _MAX_LITERALS:
            if run == {""}:
                run_left = boundary
            run = {a + b for a in run for b in expanded}
            boundary = False
            continue
        next_bounded = _starts_nonword(items[i:], right)
        if run != {""} and all(run):
            candidates.append(frozenset(_key(lit.lower(), run_left, next_bounded) for lit in run))
        run = {""}
        if op is _C.SUBPATTERN:
            candidates.append(_required_keys(av[3], boundary, _next_bounded(items, i, right)))
        elif op is _C.BRANCH:
            alts = [_required_keys(alt, boundary, _next_bounded(items, i, right)) for alt in av[1]]
            if alts and all(alts):
                candidates.append(frozenset().union(*alts))
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT) and av[0] >= 1:
            candidates.append(_required_keys(av[2], False, False))
        boundary = _ends_nonword([(op, av)], boundary)
    if run != {""} and all(run):
        candidates.append(frozenset(_key(lit.lower(), run_left, right) for lit in run))
    usable = [c for c in candidates if c and all(k.text for k in c)]
    return max(usable, key=_keys_score) if usable else None


def _nonword_char(code: int) -> bool:
    return not (chr(code).isalnum() or code == 95)


def _nonword_class(av: list) -> bool:
    """A character class that only holds non-word characters."""
    for op, value in av:
        if op is _C.LITERAL and _nonword_char(value):
            continue
        if op is _C.CATEGORY and value in (_C.CATEGORY_SPACE, _C.CATEGORY_NOT_WORD):
            continue
        return False
    return True


def _starts_nonword(items: list, right: bool) -> bool:
    """Whether every match of ``items`` (followed by a bounded end if ``right``) starts at a word's end:
    with a non-word character, a word boundary or the bounded end."""
    items = list(items)
    for i, (op, av) in enumerate(items):
        if op is _C.AT:
            if av in (_C.AT_BOUNDARY, _C.AT_END, _C.AT_END_STRING):
                return True
            return False
        if op is _C.LITERAL:
            return _nonword_char(av)
        if op is _C.IN:
            return _nonword_class(av)
        rest = items[i + 1:]
        if op is _C.SUBPATTERN:
            return _starts_nonword(list(av[3]) + rest, right)
        if op is _C.BRANCH:
            return all(_starts_nonword(list(alt) + rest, right) for alt in av[1])
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            inner = _starts_nonword(list(av[2]), False)
            if av[0] >= 1:
                return inner
            if not inner:
                return False
            continue  # optional and, when present, starting with a non-word character
        return False
    return right


def _ends_nonword(items: list, left: bool) -> bool:
    """Whether every match of ``items`` (after a token start if ``left``) ends at a token start:
    after a non-word character or at a word boundary."""
    state = left
    for op, av in items:
        if op is _C.AT:
            state = av in (_C.AT_BOUNDARY, _C.AT_BEGINNING, _C.AT_BEGINNING_STRING)
        elif op is _C.LITERAL:
            state = _nonword_char(av)
        elif op is _C.IN:
            state = _nonword_class(av)
        elif op is _C.SUBPATTERN:
            state = _ends_nonword(av[3], state)
        elif op is _C.BRANCH:
            state = all(_ends_nonword(alt, state) for alt in av[1])
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            inner = _ends_nonword(av[2], False)
            state = inner if av[0] >= 1 else (state and inner)
        else:
            state = False
    return state


def _next_bounded(items: list, i: int, right: bool) -> bool:
    return _starts_nonword(items[i + 1:], right)


def _start_literals(items: list) -> Optional[set[str]]:
    """The literals one of which every match of ``items`` starts with, or None."""
    if len(items) == 1 and items[0][0] is _C.BRANCH:
        alts = [_start_literals(alt) for alt in items[0][1][1]]
        return set().union(*alts) if alts and all(alts) else None
    if items and items[0][0] is _C.SUBPATTERN and _expand(items[:1]) is None:
        return _start_literals(items[0][1][3])
    run: set[str] = {""}
    for item in items:
        expanded = _expand([item])
        if expanded is None or len(run) * len(expanded) > _MAX_LITERALS:
            break
        run = {a + b for a in run for b in expanded}
    return run if all(run) else None


def regex_keys(regex: re.Pattern, whole_line: bool) -> Optional[frozenset]:
    """Keys one of which every match of ``regex`` contains (``whole_line``: used with fullmatch).

    A fullmatch pattern that opens with literals gets "starts with" keys.
    """
    items = list(sre_parser.parse(regex.pattern, regex.flags).data)
    if whole_line:
        starts = _start_literals(items)
        if starts:
            return frozenset(_Key(text.lower(), False, start=True) for text in starts)
    return _required_keys(items, whole_line, whole_line)


class PatternIndex:
    """Which clutter patterns a line can possibly match, from its lower-case tokens and substrings.

    Each regex of a pattern with derivable keys is one condition (a fullmatch pattern has one;
    a pattern whose regexes must all be found has one per regex): a line is a candidate for a
    pattern when it holds a key of every one of the pattern's conditions.
    """

    def __init__(self, patterns: tuple[ClutterPattern, ...]):
        self.by_token: dict[bytes, set[int]] = {}  # token -> conditions
        substrings: dict[int, set[str]] = {}
        starts: dict[tuple[str, int], set[str]] = {}
        self.always: set[int] = set()
        self.pattern_of: list[int] = []  # condition -> pattern
        self.conditions: dict[int, frozenset[int]] = {}  # pattern -> its conditions
        for i, pattern in enumerate(patterns):
            options = [regex_keys(pattern.match, True)] if pattern.match is not None else [
                regex_keys(regex, False) for regex in pattern.all]
            options = [o for o in options if o]
            if not options:
                self.always.add(i)
                continue
            conditions = []
            for keys in options:
                condition = len(self.pattern_of)
                self.pattern_of.append(i)
                conditions.append(condition)
                for key in keys:
                    if key.start:
                        starts.setdefault((key.text[0], condition), set()).add(key.text)
                    elif key.token and key.text.isascii():
                        self.by_token.setdefault(key.text.encode("ascii"), set()).add(condition)
                    else:
                        substrings.setdefault(condition, set()).add(key.text)
            self.conditions[i] = frozenset(conditions)
        # substring keys per condition, without those that contain a shorter key of the same condition
        self.substrings = [(tuple(sorted(t for t in texts if not any(o != t and o in t for o in texts))), c)
                           for c, texts in sorted(substrings.items())]
        self.token_keys = frozenset(self.by_token)
        # first character -> (literals, condition): one startswith call per condition opening with it
        self.by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for (first, c), texts in sorted(starts.items(), key=lambda item: item[0][1]):
            self.by_first.setdefault(first, []).append((tuple(sorted(texts)), c))

    def candidates(self, line: str) -> Optional[set[int]]:
        """Indices of the patterns ``line`` may match; None when the prefilter does not apply."""
        if not line.isascii() and any(c in line for c in _FOLD_SPECIAL):
            return None
        lower = line.lower()
        hit: set[int] = set()
        for texts, c in self.by_first.get(lower[:1], ()):
            if lower.startswith(texts):
                hit.add(c)
        by_token = self.by_token
        for token in self.token_keys.intersection(lower.encode("ascii", "replace").translate(_ASCII_WORDS).split()):
            hit |= by_token[token]
        for texts, c in self.substrings:
            if c not in hit and any(text in lower for text in texts):
                hit.add(c)
        found = set(self.always)
        conditions, pattern_of = self.conditions, self.pattern_of
        for c in hit:
            i = pattern_of[c]
            if i not in found and conditions[i] <= hit:
                found.add(i)
        return found


@dataclass(frozen=True)
class Rules:
    patterns: tuple[ClutterPattern, ...]
    index: PatternIndex
    markers: tuple[BlockMarker, ...]
    share_words: frozenset
    share_required: frozenset
    function_words: dict[str, frozenset]
    function_word_languages: dict[str, tuple[str, ...]]
    all_function_words: frozenset
    months: dict[str, int]
    weekdays: dict[str, int]
    month_names: re.Pattern  # a capitalised month name starts here (finds candidates for _MONTH_DAY)
    weekday_names: re.Pattern
    timestamp_words: frozenset
    future_cues: frozenset
    signoff: re.Pattern
    signoff_max_chars: int  # no longer line can fullmatch ``signoff``
    shortcodes: dict[str, str]  # shortcode name -> "drop" | "captions" | "unwrap"
    kind_limits: dict[str, int]  # kind -> above this many lines of it in one text, all of them are kept (content)


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


def _names_regex(names: dict[str, int]) -> re.Pattern:
    return re.compile("|".join(re.escape(n.capitalize()) for n in sorted(names, key=len, reverse=True)))


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
        index=PatternIndex(tuple(patterns)),
        markers=markers,
        share_words=frozenset(spec["share_words"]),
        share_required=frozenset(spec["share_required"]),
        function_words=function_words,
        function_word_languages={w: tuple(lang for lang, ws in function_words.items() if w in ws)
                                 for w in frozenset().union(*function_words.values())},
        all_function_words=frozenset().union(*function_words.values()),
        months=dates["months"],
        weekdays=dates["weekdays"],
        month_names=_names_regex(dates["months"]),
        weekday_names=_names_regex(dates["weekdays"]),
        timestamp_words=frozenset(dates["timestamp_words"]),
        future_cues=frozenset(dates["future_cues"]),
        signoff=signoff,
        signoff_max_chars=max(map(len, names)) + 60,
        kind_limits=kind_limits(spec["kind_limits"], patterns),
        shortcodes={name: action for action in ("drop", "captions", "unwrap") for name in spec["shortcodes"][action]},
    )


def kind_limits(spec: dict, patterns: list[ClutterPattern]) -> dict[str, int]:
    """The data file's ``kind_limits`` (kind -> per-text limit), checked: every kind is some pattern's
    kind and every limit a positive integer (a misspelt kind would otherwise be ignored silently)."""
    if not isinstance(spec, dict):
        raise ValueError("clutter kind_limits: expected an object of kind -> limit")
    kinds = {p.kind for p in patterns}
    for kind, limit in spec.items():
        if kind not in kinds:
            raise ValueError(f"clutter kind_limits: unknown kind {kind!r}")
        if type(limit) is not int or limit < 1:
            raise ValueError(f"clutter kind_limits: limit of {kind!r} must be a positive integer, not {limit!r}")
    return dict(spec)


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
    get = rules.function_word_languages.get
    counts: dict[str, int] = {}
    for langs in map(get, map(str.strip, line.lower().split(), repeat(_TOKEN_STRIP))):
        if langs is not None:
            for lang in langs:
                counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None, 0
    ranked = sorted(counts.values(), reverse=True)
    n, second = ranked[0], (ranked[1] if len(ranked) > 1 else 0)
    best = next(lang for lang, count in counts.items() if count == n)
    return (best if n >= 2 and n >= 3 * second else None), n


# --- line classification -----------------------------------------------------------------------

def _is_share_line(line: str, rules: Rules) -> bool:
    """Up to 14 share-widget words (or counts), at least one of them a required one."""
    count = 0
    required = False
    share_words, share_required = rules.share_words, rules.share_required
    head = line.split(None, 1)[:1]  # most lines fail on their first word: no need to split the rest
    for raw in head:
        token = raw.strip(_TOKEN_STRIP).lower()
        if token and not (token in share_words or token.isdigit()):
            return False
    for raw in line.split():
        token = raw.strip(_TOKEN_STRIP).lower()
        if not token:
            continue
        count += 1
        if count > 14 or not (token in share_words or token.isdigit()):
            return False
        required = required or token in share_required
    return required


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
    candidates = rules.index.candidates(stripped)
    patterns = rules.patterns
    for i in range(len(patterns)) if candidates is None else sorted(candidates):
        if patterns[i].matches(stripped, ending):
            return patterns[i]
    if len(stripped) <= rules.signoff_max_chars and rules.signoff.fullmatch(stripped):
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


# --- shortcodes --------------------------------------------------------------------------------

# An unrendered CMS shortcode: "[name attr=value]inner[/name]" or a lone "[name ...]" / "[/name]" tag.
# Neither class crosses a bracket, so every attempt stops at the next "[" or "]": linear in the line.
_SHORTCODE_PAIR = re.compile(r"\[(?P<name>[a-z][\w-]{0,30})(?P<attrs>\s[^\[\]]{0,300})?\](?P<inner>[^\[\]]{0,600})\[/(?P=name)\]",
                             re.IGNORECASE)
_SHORTCODE_TAG = re.compile(r"\[/?(?P<name>[a-z][\w-]{0,30})(?P<attrs>\s[^\[\]]{0,300})?\]", re.IGNORECASE)


def _shortcode_action(match: re.Match, rules: Rules) -> Optional[str]:
    """What to do with a shortcode tag: its listed action, "unwrap" for an unlisted tag with an
    attribute (name=value), None for bracketed text that is not a shortcode ("[Updated]")."""
    action = rules.shortcodes.get(match.group("name").lower())
    if action is None and "=" in (match.group("attrs") or ""):
        action = "unwrap"
    return action


def strip_shortcodes(line: str, rules: Rules) -> tuple[str, int, list[str]]:
    """``line`` without shortcodes, the number of pieces removed, and the texts of caption shortcodes."""
    if "[" not in line:
        return line, 0, []
    removed = 0
    captions: list[str] = []

    def pair(found: re.Match) -> str:
        nonlocal removed
        action = _shortcode_action(found, rules)
        if action is None:
            return found.group()
        removed += 1
        inner = found.group("inner")
        if action == "unwrap":
            return inner
        if action == "captions" and _LETTER.search(inner):
            captions.append(inner.strip())
        return " "

    def tag(found: re.Match) -> str:
        nonlocal removed
        if _shortcode_action(found, rules) is None:
            return found.group()
        removed += 1
        return " "

    kept = _SHORTCODE_TAG.sub(tag, _SHORTCODE_PAIR.sub(pair, line))
    if not removed:
        return line, 0, []
    return " ".join(kept.split()), removed, captions


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
        kept, removed, captions = strip_shortcodes(line, rules)
        result.captions.extend(captions)
        if not kept:
            kinds[i] = "shortcode"
            continue
        if removed:  # a removed tag may leave a space between words: count what the line lost
            result.removed_kinds["shortcode"] += removed
            result.removed_chars += max(0, len(line) - len(kept))
            lines[i] = line = kept
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
    _keep_content_lists(kinds, rules)
    _mark_labels_between_clutter(lines, kinds)
    _mark_trailing_headlines(lines, kinds, rules)
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


def _keep_content_lists(kinds: list[Optional[str]], rules: Rules) -> None:
    """A kind with a per-text limit (bare links) seen more often than that is the article's own list: keep it."""
    counts = Counter(kinds)
    for kind, limit in rules.kind_limits.items():
        if counts[kind] > limit:
            for i, found in enumerate(kinds):
                if found == kind:
                    kinds[i] = None


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


TRAILING_RUN_MIN = 3
TRAILING_RUN_MAX = 15
_LIST_ITEM = re.compile(r"[-–—•·*▪►✓]|\d{1,2}[.)]\s|[^\W\d_][\w'’-]{0,24}(?:\s[\w'’-]{1,24}){0,2}\s?:\s")


def _is_trailing_headline(line: str, rules: Rules) -> bool:
    """A line that reads as a linked headline: 4-20 words, no sentence ending, title case."""
    n = len(line.split())
    return 4 <= n <= 20 and len(line) <= 160 and not ends_sentence(line) and is_title_like(line, rules)


def _mark_trailing_headlines(lines: list[str], kinds: list[Optional[str]], rules: Rules) -> None:
    """A run of headlines ending the text, with no marker line, is a related-links list.

    Conservative: at least ``TRAILING_RUN_MIN`` such lines after a paragraph that ends a
    sentence (so a list introduced by 'Berikut ...:' stays), none of them a list item
    (bullet, number, 'Label: value'), not all opening with the same word (a list of the
    article's own points), and each sharing at most one content word with the others.
    """
    run: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if kinds[i] is not None:
            continue  # clutter already marked between the headlines
        if not _is_trailing_headline(lines[i], rules) or len(run) == TRAILING_RUN_MAX:
            break
        run.append(i)
    before = [i for i in range(min(run, default=0)) if kinds[i] is None]
    if len(run) < TRAILING_RUN_MIN or not before or not ends_sentence(lines[before[-1]]):
        return
    texts = [lines[i] for i in run]
    if any(_LIST_ITEM.match(text) for text in texts):
        return
    if len({text.split()[0].lower() for text in texts}) == 1:
        return
    words = [{w.strip(_TOKEN_STRIP).lower() for w in text.split()} - rules.all_function_words - {""} for text in texts]
    for k, own in enumerate(words):
        others = set().union(*(w for j, w in enumerate(words) if j != k))
        if len(own & others) > 1:
            return
    for i in run:
        kinds[i] = "related"


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

# "\d(?<!\w\d)" is "\b\d" written so that the regex opens with a digit class, which the regex
# engine uses to skip to the next digit instead of trying every position.
_NUMERIC_DATE = re.compile(r"(\d(?<!\w\d)\d?)([/.-])(\d{1,2})\2(\d{4})\b")
_ISO_DATE = re.compile(r"(\d(?<!\w\d)\d{3})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(r"(\d(?<!\w\d)\d?)\s{1,2}([A-Z][a-z]{2,9})\.?(?:,?\s{1,2}(\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b([A-Z][a-z]{2,9})\.?\s{1,2}(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s{1,2}(\d{4}))?")
_WEEKDAY = re.compile(r"\b([A-Z][a-z']{3,8})\b")
_ABBREVIATED_WEEKDAYS = {"mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun"}


def _matches_at(regex: re.Pattern, names: re.Pattern, text: str) -> Iterator[re.Match]:
    """``regex.finditer(text)`` restricted to matches that start with a capitalised name.

    Exact for regexes whose matches start with ``[A-Z]`` and hold no other capital letter
    (so no match can hide another); the name search skips every other capitalised word.
    """
    for candidate in names.finditer(text):
        found = regex.match(text, candidate.start())
        if found is not None:
            yield found


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
    frequent explicit year; weekdays ('pada Kamis', 'on Thursday', 'Kamis (lalu)') resolve to
    the latest such day on or before ``anchor`` (the anchor's own weekday is the anchor), or
    on or after it after a future cue ('until Tuesday', 'Selasa depan'); without an anchor
    weekdays are not resolved (a date elsewhere in the text need not be "today").
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
    # both forms only count with a capitalised month name: no name, nothing to find
    named = ((_DAY_MONTH.finditer(text), 1, 2), (_matches_at(_MONTH_DAY, rules.month_names, text), 2, 1))
    for matches, day_group, month_group in named if rules.month_names.search(text) else ():
        for m in matches:
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
    years = Counter(d.year for _, d in found)
    year = anchor.year if anchor else (years.most_common(1)[0][0] if years else None)
    if year is not None:
        for position, month, day in partial:
            value = _valid(year, month, day)
            if value:
                found.append((position, value))
    reference = anchor
    if reference is not None:
        for m in _matches_at(_WEEKDAY, rules.weekday_names, text):
            word = m.group(1).lower()
            weekday = rules.weekdays.get(word)
            if weekday is None or word in _ABBREVIATED_WEEKDAYS or any(a <= m.start() < b + 3 for a, b in taken):
                continue
            if any(0 <= p - m.end() <= 3 for p, _ in found):  # 'Jumat (27/10/2023)': the date is explicit
                continue
            context = text[max(0, m.start() - 12):m.start()].lower().split()[-2:] + text[m.end():m.end() + 14].lower().split()[:2]
            if any(word.strip(_TOKEN_STRIP) in rules.future_cues for word in context):
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
    published_date = None  # from a removed timestamp line
    published_at = article.published_at
    for line in result.timestamps:
        stamped = find_dates(line, rules=rules)
        if stamped:
            published_date = stamped[0]
            report["published_date"] = published_date.isoformat()
            if published_at is None:  # with a time of day and a known zone: a full timestamp
                published_at = timestamp_from_line(line, published_date)
            break
    dateline_text = (article.dateline or {}).get("text")
    anchor = _anchor_date(published_at) or published_date
    if anchor is None and dateline_text:
        anchor = next(iter(find_dates(dateline_text, rules=rules)), None)
    anchor = anchor or _anchor_date(article.fetched_at)
    context = " ".join(filter(None, [dateline_text, result.body]))
    dates = sorted({d.isoformat() for d in find_dates(context, anchor, rules)})
    return article.replace(
        body=result.body,
        published_at=published_at,
        byline=article.byline or result.byline,
        credits=tuple(dict.fromkeys(article.credits + tuple(result.credits))),
        captions=tuple(dict.fromkeys(article.captions + tuple(result.captions))),
        dates=tuple(dates),
        clean=report,
    )


def bytes_removed(article: Article, cleaned: Article) -> int:
    """The ``clean.bytes_removed`` measure: how many UTF-8 bytes the body shrank by (never negative)."""
    return max(0, len(article.body.encode("utf-8", "surrogatepass")) - len(cleaned.body.encode("utf-8", "surrogatepass")))


class CleanArticles(beam.PTransform):
    """Articles -> cleaned Articles (``main``) and dead letters (``dead_letter``)."""

    def expand(self, articles):
        return apply_stage(articles, "Clean", StageDoFn(STAGE, clean_article, counters={"bytes_removed": bytes_removed}))
