"""Candidate runs: maximal sequences of capitalised words on one line (title phrases cut out,
gazetteer tags and trusted aliases attached), and the stage's value types Token, Run and Span."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple, Optional, Sequence

from transforms.entities.tables import (
    AliasEntry,
    Tables,
    _alias_key,
    cache_store,
    fold,
    lookup_alias,
)


MAX_RUN_TOKENS = 12  # candidate runs are cut into pieces of at most this many tokens
MAX_ALIAS_TOKENS = 6  # longest gazetteer alias matched, in tokens

_SENTENCE_END = frozenset(".!?:;\"“”'‘’()[]|•–—-…")
_EDGE_PUNCT = ".,;:!?\"“”'‘’()[]{}«»"
_HAS_DIGIT = re.compile(r"\d")
# Abbreviations that keep their dot inside a name ("Dr. Dre", "St. Louis", "Jr.").
_ABBREVIATIONS = frozenset(
    "Dr Mr Mrs Ms Mt St Ste Sr Jr Prof Gen Lt Col Sgt Capt Rev Ft Inc Ltd Co Corp Bros Hj H Ir Drs Gov Sen Rep Sens Reps".split()
)


class Token(NamedTuple):
    """A word of a run, with character offsets into the text."""

    text: str
    start: int
    end: int


class Run:
    """A candidate run: capitalised tokens (and inner connectors) plus their context.

    ``known`` is the trusted alias the whole run spells, if any (then no model call is needed
    and the context words are never computed). ``hits`` are gazetteer matches (start, end, alias
    key, ...) at offset ``base``. A run keeps its tokens as a flat tuple (text, start, end, ...)
    relative to ``base`` (``words``: their texts, ``folded``: their :func:`fold`) and makes
    :class:`Token` objects only when asked; :meth:`from_tokens` builds one from tokens."""

    __slots__ = ("text", "sentence_start", "gaz", "known", "hits", "base", "folded", "start", "end", "words",
                 "_flat", "_tokens", "_context")

    def __init__(
        self, text: str, sentence_start: bool, gaz: Sequence[str], known: Optional[AliasEntry],
        hits: tuple[Any, ...], base: int, folded: tuple[str, ...], flat: tuple[Any, ...],
        words: tuple[str, ...],
    ):
        self.text, self.sentence_start, self.gaz, self.known = text, sentence_start, gaz, known
        self.hits, self.base, self.folded, self._tokens, self._context = hits, base, folded, None, None
        self._flat, self.words = flat, words
        self.start, self.end = (base + flat[1], base + flat[-1]) if flat else (base, base)

    @classmethod
    def from_tokens(
        cls, text: str, tokens: list[Token], sentence_start: bool, gaz: Sequence[str], tables: Tables,
        known: Optional[AliasEntry] = None,
    ) -> Run:
        """A run of ``tokens`` at absolute offsets (``base`` 0), its gazetteer matches (of the tags
        ``gaz``) and folded words computed here."""
        run = cls(
            text, sentence_start, gaz, known, tuple(_gazetteer_hits(text, tokens, gaz, tables)), 0,
            tuple([fold(t.text) for t in tokens]), tuple([x for t in tokens for x in t]), tuple([t.text for t in tokens]),
        )
        run._tokens = tokens
        return run

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            flat, base = self._flat, self.base
            self._tokens = [Token(flat[j], base + flat[j + 1], base + flat[j + 2]) for j in range(0, len(flat), 3)]
        return self._tokens

    @property
    def left(self) -> tuple[str, ...]:
        """Up to 3 preceding words on the same line (casefolded), nearest last."""
        return self._words()[0]

    @property
    def right(self) -> tuple[str, ...]:
        """Up to 2 following words on the same line (casefolded)."""
        return self._words()[1]

    def _words(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._context is None:
            start, end, text = self.start, self.end, self.text
            before = text[max(0, start - 50) : start].rsplit("\n", 1)[-1]
            after = text[end : end + 40].split("\n", 1)[0]
            self._context = (
                tuple(map(_context_word, before.rsplit(None, 3)[-3:])),  # == before.split()[-3:]
                tuple(map(_context_word, after.split(None, 2)[:2])),
            )
        return self._context


_WORD_IN_RUN = re.compile(r"\S+")


def _abbreviation(word: str) -> bool:
    """An initial or a short abbreviation that keeps its dot ("J.", "Dr.", "R.H.", "U.S.")."""
    core = word[:-1]
    return len(core) == 1 or core in _ABBREVIATIONS or ("." in core and len(core) <= 8)


def _split_run(words: list[Token], tables: Tables) -> list[tuple[list[Token], bool]]:
    """Cut a matched run into candidate pieces.

    Cuts at sentence-final dots and at words with digits, takes out title phrases followed
    by a name ("Presiden", "Deputy Foreign Minister": they become the next piece's left
    context, i.e. its ``title`` feature) and a leading article ("The"), and drops connectors
    at the edges. Returns pieces as (tokens, starts_after_a_full_stop)."""
    pieces: list[tuple[list[Token], bool]] = []
    cur: list[Token] = []
    after_stop = False

    def flush(next_after_stop: bool) -> None:
        nonlocal cur, after_stop
        while cur and cur[-1].text in tables.connectors:
            cur.pop()
        while cur and (cur[0].text in tables.connectors or (len(cur) > 1 and fold(cur[0].text) in tables.run_prefixes)):
            cur.pop(0)
        if cur:
            pieces.append((cur, after_stop))
        cur, after_stop = [], next_after_stop

    i, n = 0, len(words)
    while i < n:
        tok = words[i]
        if _HAS_DIGIT.search(tok.text) or tok.text.casefold() in tables.run_breakers:
            flush(False)
            i += 1
            continue
        title = _title_at(words, i, tables)
        if title:
            flush(False)
            i += title
            continue
        if tok.text.endswith(".") and not _abbreviation(tok.text):
            cur.append(Token(tok.text[:-1], tok.start, tok.end - 1))
            flush(True)
            i += 1
            continue
        cur.append(tok)
        i += 1
    flush(False)
    return pieces


def _title_at(words: Sequence[Token], i: int, tables: Tables) -> int:
    """Length in words of a title phrase starting at ``words[i]`` and followed by a word, else 0."""
    if words[i].text.rstrip(".").casefold() not in tables.title_first_words:
        return 0
    for k in range(min(tables.title_max_words, len(words) - i - 1), 0, -1):
        phrase = " ".join(w.text for w in words[i : i + k])
        if fold(phrase.rstrip(".")) in tables.titles:
            return k
    return 0


# Cached values are flat tuples of strings, numbers, booleans and such flat tuples (alias entries by
# their key): the garbage collector stops tracking a tuple once it has stopped tracking its items,
# one level per pass, so cached values at most two levels deep are untracked before they reach the
# oldest generation and add nothing to full collections (named tuples, objects and deeper nesting
# would stay tracked there and make full collections frequent and slow).
# A run text's value: _PART_FIELDS items per part of each piece, in order:
#   start of the piece's first token relative to the run (-1 for a piece's later parts),
#   the piece starts after a full stop, it is one common lower-case word no alias knows (dropped
#   at a sentence start), tokens (text, start, end, text, start, end, ...), gazetteer tags,
#   key of the trusted alias the part spells or None, gazetteer matches (start, end, alias key,
#   ...), fold() of each token, the tokens' texts.
_PART_FIELDS = 9


def _run_pieces(run_text: str, tables: Tables) -> tuple[Any, ...]:
    """The pieces of one matched run, computed from its text alone (so cached per run text)."""
    words = [Token(m.group(), m.start(), m.end()) for m in _WORD_IN_RUN.finditer(run_text)]
    out: list[Any] = []
    for piece, after_stop in _split_run(words, tables):
        first = piece[0]
        common_word = False
        for k in range(0, len(piece), MAX_RUN_TOKENS):
            part = piece[k : k + MAX_RUN_TOKENS]
            gaz = tuple(gazetteer_tags([t.text for t in part], tables))
            hits = tuple(_gazetteer_hits(run_text, part, gaz, tables))
            known = None  # the part is one match, of a trusted alias
            if len(hits) == 3 and hits[0] == part[0].start and hits[1] == part[-1].end and tables.aliases[hits[2]].trusted:
                known = hits[2]
            if k == 0:
                common_word = len(piece) == 1 and gaz[0] == "O" and fold(first.text) in tables.lowercase_words
            out += (
                first.start if k == 0 else -1, after_stop, common_word, tuple([x for t in part for x in t]), gaz, known,
                hits, tuple([fold(t.text) for t in part]), tuple([t.text for t in part]),
            )
    return tuple(out)


def candidate_runs(text: str, tables: Tables, document: bool = False) -> list[Run]:
    """Candidate runs of capitalised words with their context (see :func:`run_pattern`).

    A common lower-case word alone at a sentence start ("Kantor", "Asked") is dropped. With
    ``document`` (the stage's rules over a whole article; the model is trained without them),
    it stays when it is an acronym ("NASA said") or when the same text also capitalises it where
    no sentence starts ("Apple is ..." after "shares of Apple"): evidence that it is a name."""
    runs: list[Run] = []
    held: list[Run] = []  # sentence-initial common words, kept if the text capitalises them elsewhere
    cache = tables.run_pieces
    aliases = tables.aliases
    for match in tables.run_pattern.finditer(text):
        run_text = match.group()
        parts = cache.get(run_text)
        if parts is None:
            parts = _run_pieces(run_text, tables)
            cache_store(cache, run_text, parts)
        base = match.start()
        for i in range(0, len(parts), _PART_FIELDS):
            first, after_stop, common_word, tokens, gaz, known, hits, folded, words = parts[i : i + _PART_FIELDS]
            sentence_start = False  # a piece's later parts
            if first >= 0:
                start = base + first
                tail = text[max(0, start - 8) : start].rstrip(" \t")
                sentence_start = after_stop or not tail or tail[-1] in _SENTENCE_END or tail[-1] == "\n"
            run = Run(
                text, sentence_start, gaz, aliases[known] if known is not None else None, hits, base, folded,
                tokens, words,
            )
            if sentence_start and document and len(words) > 1 and gaz[0] == "O":
                run = _drop_initial_common_word(run, tables)
            if sentence_start and common_word:
                held.append(run)  # a common word capitalised only because it starts a sentence, unless ...
            else:
                runs.append(run)
    if held and document:
        runs = _names_at_sentence_start(runs, held, tables)
    return runs


def _drop_initial_common_word(run: Run, tables: Tables) -> Run:
    """A run without its sentence-initial number word or verb (sentence_openers.txt) when the rest
    is exactly one gazetteer name (states included; "Imagine New Mexico without ..." -> "New Mexico",
    "Three Gulf States ..."): the word is only capitalised because it starts the sentence. Runs
    whose rest is no known name stay whole ("Meet the Press" is no run; "Enter Shikari")."""
    first, flat, hits = run.folded[0], run._flat, run.hits
    if first not in tables.sentence_openers or not run.words[0][1:].islower():
        return run
    if len(hits) != 3 or hits[0] != flat[4] or hits[1] != flat[-1]:
        return run
    entry = tables.aliases[hits[2]]
    return Run(
        run.text, False, run.gaz[1:], entry if entry.trusted else None, hits, run.base,
        run.folded[1:], flat[3:], run.words[1:],
    )


def _names_at_sentence_start(runs: list[Run], held: list[Run], tables: Tables) -> list[Run]:
    """``runs`` plus the ``held`` sentence-initial common words that are acronyms or that the
    same text also writes capitalised alone away from a sentence start (a word of a longer name,
    "Police" of "New South Wales Police", or a function word never counts), in text order."""
    elsewhere = {run.folded[0] for run in runs if len(run.folded) == 1 and not run.sentence_start}
    kept = [
        run for run in held
        if (run.words[0].isupper() and len(run.words[0]) > 1)
        or (run.folded[0] in elsewhere and run.folded[0] not in tables.function_words)
    ]
    if not kept:
        return runs
    return sorted(runs + kept, key=_start)


@lru_cache(maxsize=1 << 15)  # context words recur; hits stay in C (bounded: words come from 50-character windows)
def _context_word(word: str) -> str:
    """A context word for features: casefolded, edge punctuation stripped (kept when alone)."""
    return (word.strip(_EDGE_PUNCT) or word[:1]).casefold()


def gazetteer_tags(words: Sequence[str], tables: Tables) -> list[str]:
    """Longest-match gazetteer BIO tags over a run's words ("B-LOC", "I-ORG", "O")."""
    tags = ["O"] * len(words)
    i = 0
    while i < len(words):
        longest = tables.first_words.get(words[i].casefold(), 0)
        for n in range(min(longest, MAX_ALIAS_TOKENS, len(words) - i), 0, -1):
            entry = lookup_alias(" ".join(words[i : i + n]), tables)
            if entry is not None:
                tags[i] = "B-" + entry.label
                for k in range(i + 1, i + n):
                    tags[k] = "I-" + entry.label
                i += n
                break
        else:
            i += 1
    return tags


@dataclass(slots=True)
class Span:
    start: int  # character offsets into the text
    end: int
    label: str
    title: bool = False  # a title word ("Presiden", "spokesperson") announces it


class SpanIndex:
    """Spans in text order (sorted by start) indexed for overlap queries by bisection: with the
    starts and the running maximum of the ends, the spans starting before a range's end that reach
    past its start begin where that maximum first passes the start (built on first use)."""

    __slots__ = ("spans", "_starts", "_reach")

    def __init__(self, spans: Sequence[Span]):
        self.spans = spans
        self._starts: Optional[list[int]] = None
        self._reach: list[int] = []

    def first_overlap(self, start: int, end: int) -> Optional[Span]:
        """The first span (in text order) overlapping ``[start, end)``, else None."""
        if self._starts is None:
            self._starts = [s.start for s in self.spans]
            self._reach = list(accumulate((s.end for s in self.spans), max))
        j = bisect_right(self._reach, start)
        return self.spans[j] if j < bisect_left(self._starts, end) else None


def _gazetteer_hits(text: str, tokens: Sequence[Token], gaz: Sequence[str], tables: Tables) -> list[Any]:
    """The gazetteer matches that ``gaz`` tags over ``tokens``: start, end, alias key, start, ..."""
    hits = []
    for i, tag in enumerate(gaz):
        if tag[0] == "B":
            j = i + 1
            while j < len(gaz) and gaz[j][0] == "I":
                j += 1
            start, end = tokens[i].start, tokens[j - 1].end
            key = _alias_key(text[start:end], tables)
            if key is not None:
                hits += (start, end, key)
    return hits


def _start(item: Span | Run) -> int:
    return item.start
