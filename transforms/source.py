"""Source stage: who published the page, which wire agency wrote it, which outlets it cites.

``identify_source(article) -> dict`` is the pure function. Output keys:

* ``domain``: registered domain of the URL (tldextract, offline suffix list).
* ``publisher`` / ``country``: the outlet, first found of: the URL's domain in
  the outlet registry (``data/outlets.json``), the page's ``og:site_name``,
  the feed's ``source`` field, the parsed dateline's outlet ("TRIBUNNEWS.COM -"),
  a lead line of the body in that form, a credit tag "(Tribunnews.com/Name)".
  Names are canonicalised through the registry (name, aliases, domains).
  ``publisher_from`` says which of these decided (``domain``, ``site_name``,
  ``feed``, ``dateline``, ``lead``, ``credit``).
* ``agency``: the wire agency behind the story (``data/agencies.json``), first
  found of: the dateline's "(Reuters)", a lead line "CITY (AFP) -", the credits
  ("Reporting by ... Reuters", "(ANTARA/Name)"), a sign-off line at the end of
  the body ("Reuters", "- AFP"), photo captions ("Picture: .../REUTERS", also
  caption lines still in the body), and
  the publisher itself when it is an agency. ``agencies`` lists every agency
  found this way.
* ``cited``: canonical names of outlets and agencies the text quotes as
  sources ("TASS melaporkan", "according to Russia's RIA news agency",
  "dilansir Sputnik"), each once, in order of first mention, excluding the
  publisher and the story's own agencies. Cues are data (``data/citations.json``).

All text scanning is over bounded windows with patterns that cannot backtrack
catastrophically (fixed alternations, bounded repeats).

Speed: the body scans run their regexes only where a trigger occurs. The text's
whitespace-separated chunks are classified once (remembered, bounded): does a
chunk hold the first word of a known spelling, end with an outlet noun ("media",
"kantor berita") or start with a postfix noun ("newspaper")? Names are then
tokenised only in the chunks of the first kind, and the unknown-outlet patterns
tried only at offsets those nouns allow. Both give exactly the matches a scan
of the whole text gives (``tests/test_source.py`` checks this against the plain
scans).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import filterfalse, islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import apache_beam as beam

from schemas.records import Article
from transforms.stage import StageDoFn, apply_stage

STAGE = "source"
DATA = Path(__file__).with_name("data")
MAX_BODY_CHARS = 100_000  # citations are looked for in at most this much body text
LEAD_LINES = 3            # body lines examined for an outlet or agency dateline
SIGNOFF_LINES = 12        # last body lines examined for an agency sign-off (clutter may follow it)
MAX_NAME_WORDS = 5        # longest alias, in words
BEFORE_WINDOW = 70        # characters before a name searched for a cue
AFTER_WINDOW = 50         # characters after a name searched for a cue
NAME_WORD_CHARS = 30      # an unknown outlet name: up to 1 + NAME_MORE_WORDS capitalised words of 2..31 chars
NAME_MORE_WORDS = 3
NAME_MAX_CHARS = (1 + NAME_WORD_CHARS) + NAME_MORE_WORDS * (2 + NAME_WORD_CHARS)
CHUNK_CACHE_MAX = 100_000  # classified chunks remembered (each cache cleared when full)
CHUNK_CACHE_CHARS = 64     # longer chunks are not remembered
MAX_FLAGGED_CHUNKS = 256   # distinct chunks with a trigger; beyond, the whole text is scanned
SHORT_TEXT_CHARS = 200     # shorter texts (datelines, credits) are tokenised whole
# Chunk flags: holds a first word of a spelling / ends with an outlet noun's last word /
# starts with a postfix noun's first word / lower-casing would move offsets.
NAME, PREFIX, POSTFIX, UNFOLDABLE = 1, 2, 4, 8

_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f0-9][\w.&'’-]{0,40}")
_DOMAIN_LIKE = re.compile(r"[\w-]{2,40}(?:\.[a-z]{2,6}){1,2}", re.IGNORECASE)
_LEAD_DATELINE = re.compile(
    r"(?:(?P<place>[A-Z][\w.'’-]{0,30}(?: [A-Z][\w.'’-]{0,30}){0,3})(?:, ?|\s+))?"
    r"(?P<name>[A-Za-z][\w.]{1,40}(?: [A-Z][\w.]{1,20})?)"
    r"(?:, ?[A-Z][\w]{1,30}(?: [A-Z][\w]{1,30}){0,2})?"
    r"(?: ?\((?P<agency>[^()\n]{2,40})\))? ?[-–—]{1,2}\s"
)
_AGENCY_DATELINE = re.compile(r"[A-Z][^\n()]{0,60}\((?P<agency>[^()\n]{2,40})\)\s{0,3}[-–—]{1,2}")
_CREDIT_TAG = re.compile(r"\((?P<name>[\w .]{2,40})/[^()\n]{2,80}\)")
_SIGNOFF = re.compile(r"[\s(\[–—-]{0,4}(?P<names>[A-Za-z][\w .&/,-]{1,60}?)[\s)\].]{0,4}")
_CAPITAL = re.compile(r"[A-Z]")
# Characters that re.IGNORECASE matches to an ASCII letter but str.lower() does not map to it.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_CAPTION_CREDIT = re.compile(r"(?:picture|photo|foto|image|gambar|credit)s?\s{0,3}:\s{0,3}(?P<credit>[^\n]{1,120})", re.IGNORECASE)


@dataclass(frozen=True)
class Registry:
    """Outlets and agencies with their spellings, and the citation cues."""

    outlets: dict[str, dict[str, Any]]          # domain -> entry
    outlet_names: dict[str, dict[str, Any]]     # spelling -> entry (case-sensitive + UPPER)
    outlet_names_folded: dict[str, dict[str, Any]]  # casefolded spelling -> entry
    agency_names: dict[str, str]                # spelling -> canonical agency
    cited_names: dict[str, str]                 # outlet and agency spellings -> canonical name
    first_words: frozenset[str]                 # first words of every spelling above
    before: re.Pattern
    noun_before: re.Pattern
    after: re.Pattern
    unknown_prefix: re.Pattern
    unknown_postfix: re.Pattern
    not_names: frozenset[str]
    # first word -> "first second" of every spelling with more than one word
    multi_starts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    prefix_nouns: Optional[tuple[tuple[str, ...], ...]] = None  # outlet nouns as lower-case words
    postfix_triggers: Optional[tuple[str, ...]] = None  # lower-case first words of the postfix nouns
    prefix_last_words: tuple[str, ...] = ()  # the outlet nouns' last words
    plain_chunks: set[str] = field(default_factory=set, compare=False, repr=False)
    chunk_flags: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


def _phrases(words: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any whitespace."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in ordered)


def _ascii_words(phrases: Iterable[str]) -> Optional[tuple[tuple[str, ...], ...]]:
    """``phrases`` as tuples of lower-case words; None unless every word is ASCII letters
    (then their case-insensitive matches are found by lower-casing the text)."""
    nouns = tuple(sorted({tuple(phrase.lower().split()) for phrase in phrases}))
    if not all(word.isascii() and word.isalpha() for noun in nouns for word in noun):
        return None
    return nouns


def _postfix_triggers(phrases: Iterable[str]) -> Optional[tuple[str, ...]]:
    nouns = _ascii_words(phrases)
    return None if nouns is None else tuple(sorted({noun[0] for noun in nouns}))


def _multi_starts(spellings: Iterable[str]) -> dict[str, tuple[str, ...]]:
    starts: dict[str, set[str]] = {}
    for spelling in spellings:
        words = spelling.split(" ")
        if len(words) > 1:
            starts.setdefault(words[0], set()).add(f"{words[0]} {words[1]}")
    return {first: tuple(sorted(pairs)) for first, pairs in starts.items()}


@lru_cache(maxsize=1)
def registry() -> Registry:
    outlets = json.loads((DATA / "outlets.json").read_text(encoding="utf-8"))["outlets"]
    agencies = json.loads((DATA / "agencies.json").read_text(encoding="utf-8"))["agencies"]
    cues = json.loads((DATA / "citations.json").read_text(encoding="utf-8"))
    names: dict[str, dict[str, Any]] = {}
    folded: dict[str, dict[str, Any]] = {}
    for domain, entry in outlets.items():
        entry = {**entry, "domain": domain}
        for spelling in (entry["name"], domain, *entry.get("aliases", ())):
            names.setdefault(spelling, entry)
            names.setdefault(spelling.upper(), entry)
            folded.setdefault(spelling.casefold(), entry)
    agency_names: dict[str, str] = {}
    for canonical, spellings in agencies.items():
        for spelling in (canonical, *spellings):
            agency_names.setdefault(spelling, canonical)
            agency_names.setdefault(spelling.upper(), canonical)
    cited_names = {**{k: v["name"] for k, v in names.items()}, **agency_names}
    first_words = frozenset(spelling.split(" ")[0] for spelling in cited_names)
    before, after, nouns = _phrases(cues["before"]), _phrases(cues["after"]), _phrases(cues["nouns"])
    helpers = _phrases(cues["helpers"])
    word = r"[\w'’.-]{1,30}"
    cap_word = rf"[A-Z][\w&'’.-]{{1,{NAME_WORD_CHARS}}}"
    cap_name = rf"{cap_word}(?:\s{cap_word}){{0,{NAME_MORE_WORDS}}}"
    return Registry(
        outlets=outlets,
        outlet_names=names,
        outlet_names_folded=folded,
        agency_names=agency_names,
        cited_names=cited_names,
        first_words=first_words,
        before=re.compile(rf"(?:^|\W)(?:{before})\s+(?:(?:{nouns})\s+)?(?:{word}\s+){{0,3}}$", re.IGNORECASE),
        noun_before=re.compile(rf"(?:^|\W)(?:{nouns})\s+(?:{word}\s+)?$", re.IGNORECASE),
        after=re.compile(
            rf"^\s*(?:\([^()\n]{{1,30}}\)\s*)?,?\s*(?:(?:{_phrases(cues['conjunctions'])})\s+{cap_name}\s+)?"
            rf"(?:(?:{_phrases(cues['postfix_nouns'])})\s+)?"
            rf"(?:(?:{helpers})\s+){{0,2}}(?:{after})\b", re.IGNORECASE),
        unknown_prefix=re.compile(rf"\b(?i:{nouns})\s+(?P<name>{cap_name})"),
        unknown_postfix=re.compile(rf"(?P<name>{cap_name})\s+(?i:{_phrases(cues['postfix_nouns'])})\b"),
        not_names=frozenset(cues["not_names"]),
        multi_starts=_multi_starts(cited_names),
        prefix_nouns=_ascii_words(cues["nouns"]),
        prefix_last_words=tuple(sorted({noun[-1] for noun in _ascii_words(cues["nouns"]) or ()})),
        postfix_triggers=_postfix_triggers(cues["postfix_nouns"]),
    )


# ---------------------------------------------------------------- names


_UNSCANNED: Any = object()  # _find_names: the caller has no chunk scan of the text


def _find_names(text: str, table: dict[str, Any],
                chunks: Optional[list[tuple[int, int, str, int]]] = _UNSCANNED) -> list[tuple[int, int, Any]]:
    """Non-overlapping (start, end, value) of the longest spellings of ``table`` in ``text``.

    Reads ``text`` as ``_TOKEN`` words: a name starts at a word that is (up to
    trailing ``.'’``) the first word of a spelling and spans up to
    ``MAX_NAME_WORDS`` single-spaced words. ``table``'s spellings must start
    with a word of ``registry().first_words``. ``chunks``: ``_flagged_chunks(text)``
    when the caller has it (short texts are tokenised whole).
    """
    reg = registry()
    multi = reg.multi_starts
    found: list[tuple[int, int, Any]] = []
    consumed = 0  # words before this offset belong to a name already found
    if chunks is _UNSCANNED:
        chunks = _flagged_chunks(text, reg) if len(text) > SHORT_TEXT_CHARS else None
    for first in _first_word_tokens(text, reg, chunks):
        start = first.start()
        if start < consumed:
            continue
        words = [first]
        pairs = multi.get(first.group())
        if pairs and text.startswith(pairs, start):  # only then can a spelling of several words start here
            words += islice(_TOKEN.finditer(text, first.end()), MAX_NAME_WORDS - 1)
        for n in range(len(words), 0, -1):
            span = text[start:words[n - 1].end()]
            key = span if span in table else span.rstrip(".,'’")
            value = table.get(key)
            if value is not None and (n == 1 or _single_spaced(text, words[:n])):
                found.append((start, start + len(key), value))
                consumed = words[n - 1].end()
                break
    return found


def _is_first_word(word: str, first_words: frozenset[str]) -> bool:
    return word in first_words or word.rstrip(".,'’") in first_words


def _first_word_tokens(text: str, reg: Registry,
                       chunks: Optional[list[tuple[int, int, str, int]]]) -> list[re.Match]:
    """The ``_TOKEN`` words of ``text`` that are (up to trailing ``.'’``) first words, in order.

    Words never contain whitespace, so ``text``'s words are its chunks' words:
    only chunks flagged ``NAME`` are tokenised (all of ``text`` when ``chunks`` is None).
    """
    spans = [(0, len(text))] if chunks is None else [(start, end) for start, end, _, flags in chunks if flags & NAME]
    return [token for start, end in spans for token in _TOKEN.finditer(text, start, end)
            if _is_first_word(token.group(), reg.first_words)]


def _fold(text: str) -> str:
    """Lower-cased so that a lower-case ASCII word ``re`` matches case-insensitively is a substring."""
    if not text.isascii():
        text = text.translate(_FOLD)
    return text.lower()


def _chunk_flags(chunk: str, reg: Registry) -> int:
    flags = NAME if any(_is_first_word(word, reg.first_words) for word in _TOKEN.findall(chunk)) else 0
    folded = _fold(chunk)
    if len(folded) != len(chunk):
        return flags | UNFOLDABLE
    if reg.prefix_nouns is not None and folded.endswith(reg.prefix_last_words):
        flags |= PREFIX
    if reg.postfix_triggers is not None and folded.startswith(reg.postfix_triggers):
        flags |= POSTFIX
    return flags


def _flagged_chunks(text: str, reg: Registry) -> Optional[list[tuple[int, int, str, int]]]:
    """(start, end, chunk, flags) of ``text``'s whitespace-separated chunks with a trigger, in order.

    None when more than ``MAX_FLAGGED_CHUNKS`` distinct chunks have one (the callers then scan all of ``text``).
    """
    flagged: dict[str, int] = {}
    for chunk in set(filterfalse(reg.plain_chunks.__contains__, text.split())):
        flags = reg.chunk_flags.get(chunk)
        if flags is None:
            flags = _chunk_flags(chunk, reg)
            if len(chunk) <= CHUNK_CACHE_CHARS:
                cache = reg.chunk_flags if flags else reg.plain_chunks
                if len(cache) >= CHUNK_CACHE_MAX:
                    cache.clear()
                if flags:
                    reg.chunk_flags[chunk] = flags
                else:
                    reg.plain_chunks.add(chunk)
        if flags:
            flagged[chunk] = flags
    if len(flagged) > MAX_FLAGGED_CHUNKS:
        return None
    return sorted((start, end, chunk, flags) for chunk, flags in flagged.items()
                  for start, end in _whole_chunks(text, chunk))


def _whole_chunks(text: str, chunk: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every occurrence of ``chunk`` in ``text`` with whitespace (or an edge) on both sides."""
    size, at = len(text), text.find(chunk)
    while at != -1:
        end = at + len(chunk)
        if (at == 0 or text[at - 1].isspace()) and (end == size or text[end].isspace()):
            yield at, end
        at = text.find(chunk, at + 1)


def _single_spaced(text: str, tokens: list[re.Match]) -> bool:
    return all(text[a.end():b.start()] == " " for a, b in zip(tokens, tokens[1:]))


def agency_in(text: Optional[str]) -> Optional[str]:
    """The first canonical agency named in a short text such as a dateline, credit or caption."""
    if not text:
        return None
    hits = _agencies_in(text)
    return hits[0] if hits else None


def outlet_named(name: Optional[str]) -> Optional[dict[str, Any]]:
    """The registry entry for an outlet name, alias or domain as written in text (any case)."""
    if not name:
        return None
    name = name.strip(" .,:;-–—")
    reg = registry()
    entry = reg.outlet_names.get(name) or reg.outlet_names_folded.get(name.casefold())
    if entry is None and _DOMAIN_LIKE.fullmatch(name):
        entry = reg.outlets.get(name.lower())
    return entry


@lru_cache(maxsize=1)
def _domain_extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled suffix list, offline


def registered_domain(url: Optional[str]) -> Optional[str]:
    """'https://news.detik.com/x' -> 'detik.com'; None for no or unparseable URL."""
    return _registered_domain(url[:2048]) if url else None


@lru_cache(maxsize=64)  # the stage asks twice per article
def _registered_domain(url: str) -> Optional[str]:
    parts = _domain_extractor()(url)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}".lower()


# ---------------------------------------------------------------- publisher


@lru_cache(maxsize=4)  # the publisher and agency steps read the same body
def _lines(body: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in body[:MAX_BODY_CHARS].split("\n") if line.strip())


def _outlet_candidate(name: Optional[str]) -> Optional[tuple[str, Optional[dict[str, Any]]]]:
    """(publisher name, registry entry) for a name found in text; unknown names only when domain-like."""
    entry = outlet_named(name)
    if entry is not None:
        return entry["name"], entry
    if name and _DOMAIN_LIKE.fullmatch(name.strip()):
        return name.strip(), None
    return None


def publisher_signals(article: Article) -> Iterable[tuple[str, str, Optional[dict[str, Any]]]]:
    """(how, name, entry) candidates for the publisher, best first."""
    domain = registered_domain(article.url)
    reg = registry()
    if domain and domain in reg.outlets:
        yield "domain", reg.outlets[domain]["name"], {**reg.outlets[domain], "domain": domain}
    for how, value in (("site_name", (article.source or {}).get("site_name")), ("feed", article.raw.source)):
        if value and value.strip():
            entry = outlet_named(value)
            yield how, (entry["name"] if entry else value.strip()[:200]), entry
    outlet = (article.dateline or {}).get("outlet")
    candidate = _outlet_candidate(outlet)
    if candidate:
        yield "dateline", *candidate
    for line in _lines(article.body)[:LEAD_LINES]:
        match = _LEAD_DATELINE.match(line[:160])
        if match:
            for name in (match.group("name"), match.group("place")):
                candidate = _outlet_candidate(name)
                if candidate:
                    yield "lead", *candidate
    tail = _lines(article.body)[-SIGNOFF_LINES:]
    for text in (*article.credits, *tail):
        for match in _CREDIT_TAG.finditer(text[:400]):
            candidate = _outlet_candidate(match.group("name"))
            if candidate and not agency_in(match.group("name")):
                yield "credit", *candidate


# ---------------------------------------------------------------- agency


def agency_signals(article: Article, publisher: Optional[dict[str, Any]]) -> Iterable[str]:
    """Canonical agencies behind the story, best evidence first."""
    dateline = article.dateline or {}
    for text in (dateline.get("agency"), dateline.get("text")):
        name = agency_in(text)
        if name:
            yield name
    lines = _lines(article.body)
    for line in lines[:LEAD_LINES]:
        match = _AGENCY_DATELINE.match(line[:160]) if "(" in line[:160] else None
        if match:
            name = agency_in(match.group("agency"))
            if name:
                yield name
    for credit in article.credits:
        for name in _agencies_in(credit[:400]):
            yield name
    for line in lines[-SIGNOFF_LINES:]:
        name = _signoff_agency(line)
        if name:
            yield name
    # The patterns need a ':' (caption credit) or a '/' (credit tag): lines without one are skipped.
    captions = [*article.captions,
                *(line for line in lines if line.find(":", 0, 600) >= 0 and _CAPTION_CREDIT.search(line[:600]))]
    for caption in captions:
        caption = caption[:600]
        if ":" in caption:
            for match in _CAPTION_CREDIT.finditer(caption):
                yield from _agencies_in(match.group("credit"))
        if "/" in caption:
            for match in _CREDIT_TAG.finditer(caption):
                yield from _agencies_in(match.group("name"))
    if publisher and publisher.get("agency"):
        yield publisher["agency"]


def _agencies_in(text: str) -> tuple[str, ...]:
    """Canonical agencies named in ``text``, in order (datelines, credits and captions repeat: cached)."""
    if len(text) > SHORT_TEXT_CHARS:
        return tuple(value for _, _, value in _find_names(text, registry().agency_names))
    return _agencies_in_short(text)


@lru_cache(maxsize=4096)
def _agencies_in_short(text: str) -> tuple[str, ...]:
    return tuple(value for _, _, value in _find_names(text, registry().agency_names))


def _signoff_agency(line: str) -> Optional[str]:
    """'Reuters', '— AFP', '(AP)', 'Reuters/AFP' as a whole line -> the first agency."""
    if len(line) > 64:
        return None
    match = _SIGNOFF.fullmatch(line)
    if not match:
        return None
    parts = [p.strip() for p in re.split(r"[/,&]| and ", match.group("names")) if p.strip()]
    names = [registry().agency_names.get(p) for p in parts]
    return names[0] if names and all(names) else None


# ---------------------------------------------------------------- cited


def cited_outlets(text: str, exclude: Iterable[str] = ()) -> list[str]:
    """Canonical names of outlets and agencies ``text`` cites as sources, each once, in order."""
    reg = registry()
    text = text[:MAX_BODY_CHARS]
    table = reg.cited_names
    chunks = _flagged_chunks(text, reg)
    found: list[tuple[int, str]] = []
    for start, end, name in _find_names(text, table, chunks):
        if _is_cited(text, start, end):
            found.append((start, name))
    for matches in (_prefix_matches(text, chunks, reg), _postfix_matches(text, chunks, reg)):
        for match in matches:
            name = _strip_not_names(match.group("name"), reg.not_names)
            if not name:
                continue
            canonical = table.get(name) or name
            offset = match.start("name") + match.group("name").rfind(name)
            if _is_cited(text, match.start(), match.end()) or _is_cited(text, offset, offset + len(name)):
                found.append((offset, canonical))
    excluded = set(exclude)
    out: list[str] = []
    for _, name in sorted(found):
        if name not in out and name not in excluded:
            out.append(name)
    return out


def _whitespace_before(text: str, at: int) -> int:
    """Start of the run of whitespace that ends at ``at`` (``at`` when there is none)."""
    while at > 0 and text[at - 1].isspace():
        at -= 1
    return at


def _matches_from(pattern: re.Pattern, text: str, starts: Iterable[int]) -> Iterator[re.Match]:
    """What ``pattern.finditer(text)`` yields, given every offset where a match could start."""
    end = 0
    for start in sorted(set(starts)):
        if start >= end:
            match = pattern.match(text, start)
            if match:
                yield match
                end = match.end()


def _prefix_matches(text: str, chunks: Optional[list[tuple[int, int, str, int]]],
                    reg: Registry) -> Iterator[re.Match]:
    """``reg.unknown_prefix.finditer(text)``: a match is an outlet noun, whitespace, a name.

    The noun's last word therefore ends a chunk (flagged ``PREFIX``); a noun of several
    words has its last word as a whole chunk and the others end the chunks before it.
    """
    if chunks is None or reg.prefix_nouns is None or any(flags & UNFOLDABLE for *_, flags in chunks):
        return reg.unknown_prefix.finditer(text)
    starts: list[int] = []
    for start, end, chunk, flags in chunks:
        if not flags & PREFIX:
            continue
        folded = _fold(chunk)
        for noun in reg.prefix_nouns:
            if len(noun) == 1:
                if folded.endswith(noun[0]):
                    starts.append(end - len(noun[0]))
                continue
            if folded != noun[-1]:
                continue
            at = start
            for word in reversed(noun[:-1]):
                at = _whitespace_before(text, at) - len(word)
            if at >= 0:
                starts.append(at)
    return _matches_from(reg.unknown_prefix, text, starts)


def _postfix_matches(text: str, chunks: Optional[list[tuple[int, int, str, int]]],
                     reg: Registry) -> Iterator[re.Match]:
    """``reg.unknown_postfix.finditer(text)``: a match is a capitalised name of at most
    ``NAME_MAX_CHARS`` characters, whitespace, then a postfix noun (starting a chunk
    flagged ``POSTFIX``)."""
    if chunks is None or reg.postfix_triggers is None or any(flags & UNFOLDABLE for *_, flags in chunks):
        return reg.unknown_postfix.finditer(text)
    starts: list[int] = []
    for start, _, _, flags in chunks:
        if flags & POSTFIX:
            name_end = _whitespace_before(text, start)
            if name_end < start:
                starts += (m.start() for m in _CAPITAL.finditer(text, max(0, name_end - NAME_MAX_CHARS), name_end))
    return _matches_from(reg.unknown_postfix, text, starts)


def _is_cited(text: str, start: int, end: int) -> bool:
    reg = registry()
    before = text[max(0, start - BEFORE_WINDOW):start]
    if reg.before.search(before) or reg.noun_before.search(before):
        return True
    return bool(reg.after.match(text[end:end + AFTER_WINDOW]))


def _strip_not_names(name: str, not_names: frozenset[str]) -> str:
    words = name.split()
    while words and (words[0] in not_names or words[0].rstrip("'’s") in not_names):
        words.pop(0)
    while words and words[-1] in not_names:
        words.pop()
    return " ".join(words)


# ---------------------------------------------------------------- the stage


def identify_source(article: Article) -> dict[str, Any]:
    """Publisher, domain, country, agency and cited outlets of an article (see module doc)."""
    source: dict[str, Any] = {"publisher": None, "publisher_from": None, "domain": registered_domain(article.url),
                              "country": None, "agency": None, "agencies": [], "cited": []}
    entry = None
    for how, name, entry in publisher_signals(article):
        source.update(publisher=name, publisher_from=how, country=(entry or {}).get("country"))
        break
    agencies: list[str] = []
    for name in agency_signals(article, entry):
        if name not in agencies:
            agencies.append(name)
    source["agency"] = agencies[0] if agencies else None
    source["agencies"] = agencies
    exclude = set(agencies) | ({source["publisher"]} if source["publisher"] else set())
    source["cited"] = cited_outlets(article.body, exclude)
    return source


def tag_source(article: Article) -> Article:
    return article.replace(source=identify_source(article))


class TagSource(beam.PTransform):
    """Articles -> Articles with ``source`` filled in."""

    def expand(self, articles):
        return apply_stage(articles, "TagSource", StageDoFn(STAGE, tag_source))
