"""Entities stage: people, organisations and places (PER/ORG/LOC) with canonical names.

Design (measured in ``benchmarks/ner_eval.py``): proper names are capitalised in both
Indonesian and English news, so only *candidate runs* (maximal sequences of capitalised
words on one line, with connectors such as "of"/"bin" inside; title phrases such as
"Wakil Menteri Luar Negeri" are cut out and become context) are classified. A linear-chain
CRF (python-crfsuite, trained by ``ner/train.py``, model in ``transforms/models/``) tags the
tokens of each run with BIO labels, using word, shape, context-word, title-word, gazetteer
and word-cluster features. Rules then add what the model is weak at: curated aliases and
countries fix the type and are found without a model call ("gazetteer hits for free"), a
title word ("Presiden", "spokesperson") before a name makes it a person, a first or last
name alone ("Zakharova") resolves to the full name used in the same article, and a name
keeps one type within an article.

Pure functions do the work (:func:`find_entities`, :func:`summarize`,
:func:`extract_entities`); :class:`ExtractEntities` wraps them in a batched stage whose
heavy state (:class:`EntityResources`: tables + CRF tagger) is built once per worker.
Everything read at run time lives in ``transforms/data/entities/`` and ``transforms/models/``.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Optional, Sequence

import apache_beam as beam

from schemas.records import Article, Entity
from transforms.stage import BatchStageDoFn, apply_batch_stage, map_results

STAGE = "entities"
LABELS = ("PER", "ORG", "LOC")
DATA_DIR = Path(__file__).resolve().parent / "data" / "entities"
MODEL_PATH = Path(__file__).resolve().parent / "models" / "entities.crfsuite"
MAX_BODY_CHARS = 400_000  # longer bodies are tagged up to this many characters
MAX_RUN_TOKENS = 12  # candidate runs are cut into pieces of at most this many tokens
MAX_ALIAS_TOKENS = 6  # longest gazetteer alias matched, in tokens
MAX_ENTITIES = 2_000  # per article
RUN_CACHE_SIZE = 10_000  # run texts (and mentions) whose analysis is kept per worker: names recur
WORD_CACHE_SIZE = 30_000  # words whose CRF features are kept per worker (all caches: < 50 MB)
CACHED_KEY_CHARS = 200  # longer texts are never cache keys (bounded memory on hostile input)
# Languages the model was trained for (Malay is close to Indonesian; "und" = not determined).
# Other languages get only the trusted gazetteer hits: German, for one, capitalises every noun.
MODEL_LANGUAGES = frozenset({"id", "en", "ms", "und"})
ORG_UNSURE = 0.2  # a place with an organisation cue word becomes ORG if the model gives ORG this much

# Words (with inner hyphens/apostrophes/dots, but not a possessive 's) or single symbols.
# Separators are non-word characters, so the pattern cannot backtrack badly.
_TOKEN = re.compile(r"\w+(?:[-'’.](?!s\b)\w+)*|[^\w\s]")
_SENTENCE_END = frozenset(".!?:;\"“”'‘’()[]|•–—-…")
_EDGE_PUNCT = ".,;:!?\"“”'‘’()[]{}«»"
_HAS_DIGIT = re.compile(r"\d")
_NO_CLUSTER = ("-", "-")
_POSSESSIVE = re.compile(r"(?:['’]s?)$")
# Abbreviations that keep their dot inside a name ("Dr. Dre", "St. Louis", "Jr.").
_ABBREVIATIONS = frozenset(
    "Dr Mr Mrs Ms Mt St Ste Sr Jr Prof Gen Lt Col Sgt Capt Rev Ft Inc Ltd Co Corp Bros Hj H Ir Drs Gov Sen Rep Sens Reps".split()
)


# ----------------------------------------------------------------------------- data tables


@dataclass(frozen=True)
class AliasEntry:
    canonical: str
    label: str
    wikidata: Optional[str]
    trusted: bool  # curated (aliases.tsv) or a country: found even where the model finds nothing


@dataclass(repr=False)
class Tables:
    """Alias table, title words, connectors and common lower-case words (all data files)."""

    aliases: dict[str, AliasEntry]  # casefolded alias -> entry
    exact_case: frozenset[str]  # keys of short all-capital aliases ("as", "un") that must match case
    titles: frozenset[str]  # casefolded title phrases
    title_first_words: frozenset[str]
    title_last_words: frozenset[str]
    title_fragments: frozenset[str]  # tails of multi-word titles ("luar negeri" of "menteri luar negeri")
    title_max_words: int
    connectors: frozenset[str]
    lowercase_words: frozenset[str]
    not_entities: frozenset[str]  # not names alone: always-capitalised words + compass words
    demonyms: frozenset[str]  # nationality/people words, not names alone (rules only, no CRF feature)
    capitalised_common: frozenset[str]  # weekdays, months, nationalities (not_entities.txt)
    run_prefixes: frozenset[str]  # articles dropped from the start of a run ("the")
    run_breakers: frozenset[str]  # capitalised words never in a name ("I")
    function_words: frozenset[str]  # closed-class words of each language (../function_words.json), connectors
    clusters: dict[str, tuple[str, str]]  # casefolded word -> (cluster of 64, cluster of 256)
    org_first: frozenset[str]  # words heading an organisation's name ("pt", "partai"; org_cues.tsv)
    org_last: frozenset[str]  # words ending one, or heading it before "of" ("university", "news")
    org_suffix: frozenset[str]  # legal forms ending a company's name ("ltd", "tbk")
    org_words: frozenset[str]  # all cue words, also with a final dot ("ltd.")
    place_heads: frozenset[str]  # words ending a facility's or street's name ("stadium"; place_heads.txt)
    state_codes: frozenset[str]  # US postal codes ("OR", "DC"; us_states.tsv)
    event_heads: frozenset[str]  # words ending an event's name ("festival"; event_heads.txt)
    doctrine_endings: tuple[str, ...]  # endings of doctrine words ("ism"; doctrine_endings.txt)
    sentence_openers: frozenset[str]  # number words and verbs glued onto a name at a sentence start
    place_particle_pattern: re.Pattern[str]  # " am Main", " an der Saale" (place_particles.txt)
    state_names: frozenset[str]  # casefolded US state names (us_states.tsv)
    org_context: dict[str, frozenset[str]]  # where ("after", "possessive", "before") -> phrases (org_context.tsv)
    first_words: dict[str, int]  # casefolded first word of an alias -> its longest alias, in words
    run_pattern: re.Pattern[str]
    word_features: dict[str, tuple[str, bool, tuple[str, ...]]] = field(default_factory=dict, repr=False)  # cache
    run_pieces: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)  # cache: run text -> pieces
    mentions: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)  # cache: see _mention_info
    span_facts: dict[str, Any] = field(default_factory=dict, repr=False)  # cache: see _span_facts
    sports: Optional[SportsTeams] = None  # sports_teams.tsv + sports_cues.tsv (see sports_teams)


def _data_lines(path: Path) -> Iterable[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line


def _folded_set(path: Path) -> frozenset[str]:
    """A one-word-per-line data file, casefolded."""
    return frozenset(fold(w) for w in _data_lines(path))


def _read_clusters(path: Path) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for line in _data_lines(path):
        word, coarse, fine = line.split("\t")
        out[word] = (coarse, fine)
    return out


def _read_function_words(path: Path) -> frozenset[str]:
    """All languages' closed-class words (the shared ``function_words.json``, lower case)."""
    lists = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(w for key, words in lists.items() if not key.startswith("_") for w in words)


def fold(text: str) -> str:
    """Matching key: NFC, casefolded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@lru_cache(maxsize=1)
def load_tables(data_dir: Path = DATA_DIR) -> Tables:
    """Read the curated ``aliases.tsv`` (wins) and the generated ``gazetteer.tsv``."""
    aliases: dict[str, AliasEntry] = {}
    capitals: set[str] = set()  # keys with an all-capital short spelling ("AS", "UN")
    mixed: set[str] = set()  # keys also spelled otherwise ("Tass" next to "TASS")
    for name in ("aliases.tsv", "news_outlets.tsv", "gazetteer.tsv"):
        for line in _data_lines(data_dir / name):
            cols = line.split("\t") + ["", ""]
            alias, canonical, label, wikidata, source = cols[:5]
            key = fold(alias)
            if alias.isupper() and len(alias.replace(".", "")) <= 4:
                capitals.add(key)
            else:
                mixed.add(key)
            if key in aliases or label not in LABELS:
                continue
            trusted = name != "gazetteer.tsv" or source.startswith("pycountry")
            aliases[key] = AliasEntry(canonical, label, wikidata or None, trusted)
    capitals |= _add_dotted_abbreviations(aliases, capitals - mixed)
    first_words: dict[str, int] = {}
    for key in aliases:
        words = key.split()
        first_words[words[0]] = max(first_words.get(words[0], 0), len(words))
    titles = frozenset(fold(t) for t in _data_lines(data_dir / "titles.txt"))
    connectors = frozenset(fold(c) for c in _data_lines(data_dir / "connectors.txt"))
    capitalised_common = _folded_set(data_dir / "not_entities.txt")
    org_cues = [tuple(fold(col) for col in line.split("\t")) for line in _data_lines(data_dir / "org_cues.tsv")]
    us_states = [tuple(line.split("\t")[:2]) for line in _data_lines(data_dir / "us_states.tsv")]
    return Tables(
        aliases=aliases,
        exact_case=frozenset(capitals - mixed),
        titles=titles,
        title_max_words=max(len(t.split()) for t in titles),
        title_first_words=frozenset(t.split()[0] for t in titles),
        title_last_words=frozenset(t.split()[-1] for t in titles),
        title_fragments=frozenset(
            " ".join(t.split()[k:]) for t in titles for k in range(1, len(t.split()) - 1)
        ),
        connectors=connectors,
        lowercase_words=frozenset(_data_lines(data_dir / "lowercase_words.txt")),
        first_words=first_words,
        not_entities=capitalised_common | _folded_set(data_dir / "compass_words.txt"),
        capitalised_common=capitalised_common,
        demonyms=_folded_set(data_dir / "demonyms.txt"),
        run_prefixes=_folded_set(data_dir / "run_prefixes.txt"),
        run_breakers=_folded_set(data_dir / "run_breakers.txt"),
        function_words=_read_function_words(data_dir.parent / "function_words.json") | connectors,
        clusters=_read_clusters(data_dir / "word_clusters.tsv"),
        org_first=frozenset(cue for cue, where in org_cues if where == "first"),
        org_last=frozenset(cue for cue, where in org_cues if where == "last"),
        org_suffix=frozenset(cue for cue, where in org_cues if where == "suffix"),
        org_words=frozenset(cue + dot for cue, _ in org_cues for dot in ("", ".")),
        place_heads=_folded_set(data_dir / "place_heads.txt"),
        state_codes=frozenset(code for _, code in us_states),
        event_heads=_folded_set(data_dir / "event_heads.txt"),
        doctrine_endings=tuple(fold(w) for w in _data_lines(data_dir / "doctrine_endings.txt")),
        sentence_openers=_folded_set(data_dir / "sentence_openers.txt"),
        place_particle_pattern=_place_particle_pattern(_data_lines(data_dir / "place_particles.txt")),
        state_names=frozenset(fold(name) for name, _ in us_states),
        org_context=_read_org_context(data_dir / "org_context.tsv"),
        run_pattern=run_pattern(connectors),
        sports=read_sports_teams(data_dir),
    )


_LETTERS_ONLY = re.compile(r"[a-z]{2,4}")


def _add_dotted_abbreviations(aliases: dict[str, AliasEntry], capitals: set[str]) -> set[str]:
    """Add the dotted spelling of each curated all-capital abbreviation ("U.K." for "UK", "U.N."
    for "UN"; English news style) where the table lacks it; returns the keys added (they match
    only in capitals, as their undotted forms do)."""
    added: set[str] = set()
    for key in sorted(capitals):
        entry = aliases.get(key)
        if entry is None or not entry.trusted or not _LETTERS_ONLY.fullmatch(key):
            continue
        dotted = "".join(c + "." for c in key)
        if dotted not in aliases:
            aliases[dotted] = entry
            added.add(dotted)
    return added


def clear_caches(tables: Tables) -> None:
    """Empty the per-worker caches (results are the same with or without them)."""
    for cache in (tables.word_features, tables.run_pieces, tables.mentions, tables.span_facts):
        cache.clear()
    _shape.cache_clear()
    _context_word.cache_clear()
    _RUN_FEATURES.clear()


def lookup_alias(text: str, tables: Tables) -> Optional[AliasEntry]:
    """The alias entry for a mention (short all-capital aliases only in capitals)."""
    key = fold(text)
    entry = tables.aliases.get(key)
    if entry is None:
        return None
    if text.isupper() or key not in tables.exact_case:
        return entry
    return None


def _alias_key(text: str, tables: Tables) -> Optional[str]:
    """The key of ``lookup_alias(text)``'s entry in ``tables.aliases``, or None."""
    key = fold(text)
    if key in tables.aliases and (text.isupper() or key not in tables.exact_case):
        return key
    return None


# ----------------------------------------------------------------------------- candidates


class Token(NamedTuple):
    """A word of a run, with character offsets into the text."""

    text: str
    start: int
    end: int


class Run:
    """A candidate run: capitalised tokens (and inner connectors) plus their context.

    ``known`` is the trusted alias the whole run spells, if any (then no model call is needed
    and the context words are never computed). ``hits`` are gazetteer matches (start, end, alias
    key, ...) at offset ``base``. Runs of :func:`candidate_runs` keep their tokens as a flat tuple
    (text, start, end, ...) relative to ``base`` and make :class:`Token` objects only when asked."""

    __slots__ = ("text", "sentence_start", "gaz", "known", "hits", "base", "folded", "start", "end", "words",
                 "_flat", "_flat_base", "_tokens", "_context")

    def __init__(
        self, text: str, tokens: Optional[list[Token]], sentence_start: bool, gaz: Sequence[str],
        known: Optional[AliasEntry] = None, hits: Optional[tuple[Any, ...]] = None, base: int = 0,
        folded: Optional[tuple[str, ...]] = None, flat: Optional[tuple[Any, ...]] = None,
        words: Optional[tuple[str, ...]] = None,
    ):
        self.text, self.sentence_start, self.gaz, self.known = text, sentence_start, gaz, known
        self.hits, self.base, self.folded, self._tokens, self._context = hits, base, folded, tokens, None
        if tokens is not None:  # absolute offsets
            self._flat, self._flat_base = tuple([x for t in tokens for x in t]), 0
            self.words = tuple([t.text for t in tokens])
            self.start, self.end = (tokens[0].start, tokens[-1].end) if tokens else (0, 0)
        else:  # ``flat`` relative to ``base``, ``words`` its texts
            self._flat, self._flat_base, self.words = flat, base, words
            self.start, self.end = base + flat[1], base + flat[-1]

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            flat, base = self._flat, self._flat_base
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


def _char_class(predicate: Any, limit: int = 0x2000) -> str:
    """A regex character class of the characters below ``limit`` satisfying ``predicate``."""
    chars = [c for c in map(chr, range(limit)) if predicate(c)]
    ranges: list[list[str]] = []
    for c in chars:
        if ranges and ord(c) == ord(ranges[-1][1]) + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "[" + "".join(re.escape(a) if a == b else f"{re.escape(a)}-{re.escape(b)}" for a, b in ranges) + "]"


_UPPER = _char_class(str.isupper)
# A capitalised word (inner hyphens/apostrophes/dots; not a possessive 's), optional final dot.
_CAP_TAIL = r"\w*(?:[-'’.](?!s\b)\w+)*\.?"
_CAP_WORD = _UPPER + _CAP_TAIL
_WORD_IN_RUN = re.compile(r"\S+")


def run_pattern(connectors: Iterable[str]) -> re.Pattern[str]:
    """Maximal runs of capitalised words on one line, a connector allowed between two of them.

    Words and separators are disjoint character classes and the connector branch starts
    lower-case while a word starts upper-case, so matching is linear (no catastrophic
    backtracking)."""
    conn = "|".join(sorted((re.escape(c) for c in connectors), key=len, reverse=True))
    # The first capital comes before the look-behind (is the character before it not a word
    # character, apostrophe, hyphen or dot?) so the regex engine scans for capitals in C.
    return re.compile(rf"{_UPPER}(?<![\w'’\-.].){_CAP_TAIL}(?:[ \t]+(?:(?:{conn})[ \t]+)?{_CAP_WORD})*")


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
            known = None
            if gaz[0][0] == "B" and all(t[0] == "I" for t in gaz[1:]):
                key = _alias_key(run_text[part[0].start : part[-1].end], tables)
                known = key if key is not None and tables.aliases[key].trusted else None
            if k == 0:
                common_word = len(piece) == 1 and gaz[0] == "O" and fold(first.text) in tables.lowercase_words
            out += (
                first.start if k == 0 else -1, after_stop, common_word, tuple([x for t in part for x in t]), gaz, known,
                tuple(_gazetteer_hits(run_text, part, gaz, tables)), tuple([fold(t.text) for t in part]),
                tuple([t.text for t in part]),
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
            if len(run_text) <= CACHED_KEY_CHARS:
                if len(cache) >= RUN_CACHE_SIZE:
                    cache.clear()
                cache[run_text] = parts
        base = match.start()
        for i in range(0, len(parts), _PART_FIELDS):
            first, after_stop, common_word, tokens, gaz, known, hits, folded, words = parts[i : i + _PART_FIELDS]
            sentence_start = False  # a piece's later parts
            if first >= 0:
                start = base + first
                tail = text[max(0, start - 8) : start].rstrip(" \t")
                sentence_start = after_stop or not tail or tail[-1] in _SENTENCE_END or tail[-1] == "\n"
            run = Run(
                text, None, sentence_start, gaz, aliases[known] if known is not None else None, hits, base, folded,
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
    is exactly one gazetteer name or a US state ("Imagine New Mexico without ..." -> "New Mexico",
    "Three Gulf States ..."): the word is only capitalised because it starts the sentence. Runs
    whose rest is no known name stay whole ("Meet the Press" is no run; "Enter Shikari")."""
    first, flat, hits = run.folded[0], run._flat, run.hits
    if first not in tables.sentence_openers or not run.words[0][1:].islower():
        return run
    entry = None
    if hits is not None and len(hits) == 3 and hits[0] == flat[4] and hits[1] == flat[-1]:
        entry = tables.aliases[hits[2]]
    elif " ".join(run.folded[1:]) not in tables.state_names:
        return run
    return Run(
        run.text, None, False, run.gaz[1:], entry if entry is not None and entry.trusted else None, hits, run.base,
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


@lru_cache(maxsize=1 << 15)
def _shape(word: str) -> str:
    out = []
    for ch in word[:6]:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


_POSITIONS = {1: ("pos=S",)} | {n: ("pos=F",) + ("pos=M",) * (n - 2) + ("pos=L",) for n in range(2, MAX_RUN_TOKENS + 1)}
_RUN_FEATURES: dict[tuple[tuple[str, ...], str], tuple[tuple[str, ...], ...]] = {}  # see _run_level_features


def _run_level_features(gaz: tuple[str, ...], runlc: str) -> tuple[tuple[str, ...], ...]:
    """Per token: the features that depend only on the run's gazetteer tags and its count of
    common words (runlc=, n=, pos=, g=, g-1=, g+1=); few distinct ones occur, so kept (bounded)."""
    n = len(gaz)
    padded = ("^", *gaz, "$")
    shared = ("runlc=" + runlc, "n=" + str(min(n, 4)))
    positions = _POSITIONS.get(n) or ("pos=F",) + ("pos=M",) * (n - 2) + ("pos=L",)
    out = tuple(
        (*shared, positions[i], "g=" + padded[i + 1], "g-1=" + padded[i], "g+1=" + padded[i + 2]) for i in range(n)
    )
    if len(_RUN_FEATURES) < 10_000:
        _RUN_FEATURES[(gaz, runlc)] = out
    return out


def run_features(run: Run, tables: Tables) -> list[list[str]]:
    """CRF features for each token of a run (strings; crfsuite weights them 1.0)."""
    cache = tables.word_features
    infos = [cache.get(w) or _word_info(w, tables) for w in run.words]
    n = len(infos)
    left, right = run._words()
    context = ["^", "^", *left, *[info[0] for info in infos], *right, "$", "$"]
    offset = len(left) + 2
    common = 0
    for info in infos:
        common += info[1]
    runlc = "0" if not common else "all" if common == n else "some"
    gaz = tuple(run.gaz)
    static = _RUN_FEATURES.get((gaz, runlc)) or _run_level_features(gaz, runlc)
    feats: list[list[str]] = []
    c = offset
    for info, fixed in zip(infos, static):
        lw, prev, nxt = context[c], context[c - 1], context[c + 1]
        feats.append([
            *info[2],
            *fixed,
            "-1=" + prev,
            "+1=" + nxt,
            "-2=" + context[c - 2],
            "+2=" + context[c + 2],
            "-1w=" + prev + "|" + lw,
            "w+1=" + lw + "|" + nxt,
        ])
        c += 1
    if not feats:
        return feats
    first = feats[0]
    if run.sentence_start:
        first.append("sent")
        if infos[0][1]:
            first.append("lc_sent")
    if _title_before(context, offset, tables):  # titles inside runs were cut out
        first.append("title")
    return feats


def _word_info(word: str, tables: Tables) -> tuple[str, bool, tuple[str, ...]]:
    """(casefolded word, a common lower-case word?, features of the word itself); cached per
    worker, bounded."""
    lw = word.casefold()
    common = lw in tables.lowercase_words
    feats = ("w=" + lw, "s3=" + lw[-3:], "s4=" + lw[-4:], "p3=" + lw[:3], "sh=" + _shape(word[:6]))
    if common:
        feats += ("lc",)
    if lw in tables.not_entities:
        feats += ("ne",)
    coarse, fine = tables.clusters.get(lw, _NO_CLUSTER)
    feats += ("c=" + coarse, "cc=" + fine)
    info = (lw, common, feats)
    if len(word) <= 40:
        cache = tables.word_features
        if len(cache) >= WORD_CACHE_SIZE:
            cache.clear()
        cache[word] = info
    return info


def org_cue_at(folded_words: Sequence[str], tables: Tables) -> bool:
    """Does a name (its casefolded words) carry an organisation cue ("PT ...", "Partai ...",
    "University of ...", "... Council", "... Tbk", "... Inc.")? One word alone never does."""
    if len(folded_words) < 2:
        return False
    first, last = folded_words[0].rstrip("."), folded_words[-1].rstrip(".")
    return (
        first in tables.org_first or (first in tables.org_last and folded_words[1] == "of")
        or last in tables.org_last or last in tables.org_suffix
    )


def _title_before(context: Sequence[str], c: int, tables: Tables) -> bool:
    if context[c - 1] not in tables.title_last_words:
        return False
    for k in range(1, min(tables.title_max_words, c) + 1):
        if " ".join(context[c - k : c]) in tables.titles:
            return True
    return False


# ----------------------------------------------------------------------------- tagging


@dataclass(slots=True)
class Span:
    start: int  # character offsets into the text
    end: int
    label: str
    title: bool = False  # a title word ("Presiden", "spokesperson") announces it


def _bio_spans(run: Run, tags: Sequence[str], feats: Sequence[Sequence[str]]) -> list[Span]:
    flat, base = run._flat, run._flat_base
    if len(tags) == 1:  # most runs are one word
        tag = tags[0]
        return [] if tag == "O" else [Span(base + flat[1], base + flat[2], tag[2:], "title" in feats[0])]
    spans: list[Span] = []
    cur: Optional[Span] = None
    for j, tag in zip(range(0, len(flat), 3), tags):
        if tag == "O" or tag.startswith("B-") or (cur is not None and cur.label != tag[2:]):
            if cur is not None:
                spans.append(cur)
                cur = None
            if tag == "O":
                continue
        if cur is None:
            cur = Span(base + flat[j + 1], base + flat[j + 2], tag[2:], j == 0 and "title" in feats[0])  # only there
        else:
            cur.end = base + flat[j + 2]
    if cur is not None:
        spans.append(cur)
    return spans


def model_spans(run: Run, tables: Tables, tagger: Any) -> list[Span]:
    """The CRF's BIO tags over one candidate run, as spans."""
    feats = run_features(run, tables)
    return _bio_spans(run, tagger.tag(feats), feats)


def gazetteer_spans(text: str, run: Run, tables: Tables, trusted_only: bool = True) -> list[Span]:
    """Longest trusted-alias matches inside one run (curated aliases and countries; with
    ``trusted_only=False`` also the generated gazetteer's places)."""
    hits = run.hits if run.hits is not None else _gazetteer_hits(text, run.tokens, run.gaz, tables)
    base = run.base if run.hits is not None else 0
    spans = []
    for i in range(0, len(hits), 3):
        entry = tables.aliases[hits[i + 2]]
        if entry.trusted or not trusted_only:
            spans.append(Span(base + hits[i], base + hits[i + 1], entry.label))
    return spans


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


def combine(
    text: str, model: list[Span], gazetteer: list[Span], tables: Tables, sentence_start: int = -1
) -> list[Span]:
    """Model spans corrected by rules, plus trusted gazetteer hits the model did not cover.

    * a leading title word is cut off and announces a person ("Presiden Vladimir Putin"), and so
      is the tail of a title whose head is lower case ("menteri Luar Negeri Rusia": "Rusia" only);
    * a sentence-initial participle alone is not a name ("Reflecting concerns ..."; a span
      starting at ``sentence_start``);
    * a span that is a trusted alias takes the alias's type ("Israel" is LOC);
    * a span made of two known names side by side is split ("Hamas Abu Marzouk");
    * a known place or organisation heading a span is split off when a person's name follows
      ("Rusia Vladimir Putin"; "Jawa Timur" stays one place);
    * a span made only of weekday/month/nationality words is dropped ("Thursday", "Russian").
    """
    out: list[Span] = []
    span_facts = tables.span_facts
    for span in model:
        if span.start == sentence_start:
            span = _strip_participle(text, span, tables)
        if span is None:
            continue
        mention = text[span.start : span.end]
        facts = span_facts.get(mention) or _span_facts(mention, tables)
        if facts[3] is not None:  # a leading title (see _strip_title)
            cut, person = facts[3]
            span = Span(span.start + cut, span.end, "PER" if person else span.label, True)
            mention = text[span.start : span.end]
            facts = span_facts.get(mention) or _span_facts(mention, tables)
        key, junk, shouting, _ = facts
        entry = tables.aliases[key] if key is not None else None
        inner = [g for g in gazetteer if span.start <= g.start and g.end <= span.end] if gazetteer else []
        if entry is not None and entry.trusted:
            span.label = entry.label
        elif junk:
            continue
        elif shouting:
            continue  # an all-capitals kicker or headline ("LOOK WHAT YOU MADE ME DO")
        elif len(inner) >= 2 and inner[0].start == span.start and inner[-1].end == span.end and _adjacent(text, inner):
            out.extend(inner)
            continue
        elif (
            inner and inner[0].start == span.start and inner[0].end < span.end and inner[0].label != "PER"
            and _rest_is_person(text, inner[0], span, tables)
        ):
            out.append(inner[0])  # "Iran Ali Bagheri Kani": a country, then a person
            span = Span(_next_token_start(text, inner[0].end), span.end, "PER", span.title)
        elif span.title and span.label != "PER" and entry is None and _looks_like_name(mention, tables):
            span.label = "PER"
        out.append(span)
    if gazetteer:
        taken = [(s.start, s.end) for s in out]
        for g in gazetteer:
            if not any(a < g.end and g.start < b for a, b in taken):
                out.append(g)
    if len(out) > 1:
        out.sort(key=_start)
    return out


def _rest_is_person(text: str, head: Span, span: Span, tables: Tables) -> bool:
    """Is the rest of a model span after a known place or organisation ``head`` a person's name
    ("Rusia Vladimir Putin")? Otherwise the model's one span stands: a compass word or a common
    word after a place is part of its name ("Jawa Timur", "Kalimantan Selatan")."""
    rest = text[_next_token_start(text, head.end) : span.end]
    return (
        (span.label == "PER" or head.label == "LOC")
        and _looks_like_name(rest, tables)
        and not any(_not_entity_word(w, tables) for w in rest.split())
    )


def _start(item: Span | Run) -> int:
    return item.start


def _not_entity_word(word: str, tables: Tables) -> bool:
    """A weekday/month/nationality word, also in a compound such as "Iranian-backed"."""
    folded = fold(word)
    if folded in tables.not_entities or folded in tables.demonyms:
        return True
    head, _, tail = folded.partition("-")
    return (
        bool(tail) and (head in tables.not_entities or head in tables.demonyms) and word.partition("-")[2].islower()
    )


def _strip_participle(text: str, span: Span, tables: Tables) -> Optional[Span]:
    """None for a lone English participle ("Reflecting", "Citing") whose stem is a common
    lower-case word and which no alias knows; else the span ("Reading Football Club" stays)."""
    word = text[span.start : span.end]
    lw = word.casefold()
    if (
        lw.endswith("ing") and len(lw) > 5 and word[1:].islower()
        and (lw[:-3] in tables.lowercase_words or lw[:-3] + "e" in tables.lowercase_words)
        and lookup_alias(word, tables) is None
    ):
        return None
    return span


def _span_facts(mention: str, tables: Tables) -> tuple[Optional[str], bool, bool, Optional[tuple[int, bool]]]:
    """What the rules of :func:`combine` ask of a span's text (cached per text, bounded; a plain
    tuple, see ``_Piece``): its alias key; only weekday/month/nationality words or one character;
    several words in capitals, all common words ("LOOK WHAT YOU MADE ME DO"); a leading title
    (characters to cut, the rest is a person) or None."""
    facts = tables.span_facts.get(mention)
    if facts is None:
        key = _alias_key(mention, tables)
        if key is not None and tables.aliases[key].trusted:  # the alias decides: no other rule asked
            facts = (key, False, False, _title_cut(mention, tables))
        else:
            words = mention.split()
            facts = (
                key,
                all(_not_entity_word(w, tables) for w in words) or len(mention) == 1,
                mention.isupper() and len(words) > 1 and all(fold(w) in tables.lowercase_words for w in words),
                _title_cut(mention, tables),
            )
        if len(mention) <= CACHED_KEY_CHARS:
            if len(tables.span_facts) >= RUN_CACHE_SIZE:
                tables.span_facts.clear()
            tables.span_facts[mention] = facts
    return facts


def _title_cut(mention: str, tables: Tables) -> Optional[tuple[int, bool]]:
    """Leading title words ("Presiden", "Wakil Menteri Luar Negeri") or the tail of a title
    ("Luar Negeri" of "Menteri Luar Negeri"): (their length with the space, the rest looks
    like a person's name no alias knows), else None."""
    words = mention.split(" ")
    for k in range(min(tables.title_max_words, len(words) - 1), 0, -1):
        head = fold(" ".join(words[:k]))
        if head in tables.titles or head in tables.title_fragments:
            cut = len(" ".join(words[:k])) + 1
            rest = mention[cut:]
            return cut, lookup_alias(rest, tables) is None and _looks_like_name(rest, tables)
    return None


def _strip_title(text: str, span: Span, tables: Tables) -> Optional[Span]:
    """Cut leading title words ("Presiden", "Wakil Menteri Luar Negeri") or the tail of a
    title ("Luar Negeri" of "Menteri Luar Negeri") off a span."""
    cut = _span_facts(text[span.start : span.end], tables)[3]
    if cut is None:
        return span
    return Span(span.start + cut[0], span.end, "PER" if cut[1] else span.label, True)


def _adjacent(text: str, spans: Sequence[Span]) -> bool:
    return all(not text[a.end : b.start].strip() for a, b in zip(spans, spans[1:]))


def _next_token_start(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _looks_like_name(text: str, tables: Tables) -> bool:
    """One to four capitalised words, none a common word or a known name of a place/organisation."""
    words = text.split()
    return (
        1 <= len(words) <= 4
        and all(w[0].isupper() and fold(w) not in tables.lowercase_words for w in words)
        and not any(tables.aliases.get(fold(w), None) and tables.aliases[fold(w)].label != "PER" for w in words)
    )


# ----------------------------------------------------------------------------- canonical names


def _strip_possessive(text: str) -> str:
    if len(text) > 3 and text[-1] in "'’s\n":  # only then can the pattern match
        return _POSSESSIVE.sub("", text)
    return text


def canonicalize(text: str, spans: Sequence[Span], tables: Tables) -> list[Entity]:
    """Entities with canonical names: alias table first, then same-article full names."""
    full_names: dict[str, list[tuple[int, tuple[str, ...], str, Optional[str]]]] = {}  # by first and last word
    resolved: list[tuple[Span, str, Optional[str], str, tuple[str, ...], Optional[AliasEntry]]] = []
    cache = tables.mentions
    for span in spans:
        mention = _strip_possessive(text[span.start : span.end])
        key, canonical, words = cache.get(mention) or _mention_info(mention, tables)
        entry = tables.aliases[key] if key is not None else None
        wikidata, label = None, span.label
        if entry is not None and (entry.trusted or entry.label == label):
            canonical, wikidata, label = entry.canonical, entry.wikidata, entry.label
        if label == "PER" and len(words) >= 2:
            name = (span.start, words, canonical, wikidata)
            full_names.setdefault(words[-1], []).append(name)
            if words[0] != words[-1]:
                full_names.setdefault(words[0], []).append(name)
        resolved.append((span, canonical, wikidata, label, words, entry))
    entities: list[Entity] = []
    for span, canonical, wikidata, label, words, entry in resolved:
        if full_names and (entry is None or not entry.trusted):
            candidates = full_names.get(words[-1]) if words else None
            full = _full_name(words, span.start, candidates) if candidates else None
            if full is not None and (label == "PER" or len(words) == 1):
                canonical, wikidata, label = full[2], full[3], "PER"
        entities.append(Entity(text[span.start : span.end], label, span.start, span.end, canonical, wikidata))
    return _consistent_labels(entities, tables)


def _mention_info(mention: str, tables: Tables) -> tuple[Optional[str], str, tuple[str, ...]]:
    """(alias key, the mention with single spaces, its folded words); cached per worker, bounded."""
    info = (_alias_key(mention, tables), " ".join(mention.split()), tuple(fold(mention).split()))
    if len(mention) <= CACHED_KEY_CHARS:
        if len(tables.mentions) >= RUN_CACHE_SIZE:
            tables.mentions.clear()
        tables.mentions[mention] = info
    return info


def _consistent_labels(entities: list[Entity], tables: Tables) -> list[Entity]:
    """One type per name within an article: mentions of a name the alias table does not type
    take the type most of its mentions have (the earliest wins a tie)."""
    labels: dict[str, str] = {}
    mixed = False
    for e in entities:
        if labels.setdefault(e.canonical, e.label) != e.label:
            mixed = True
            break
    if not mixed:
        return entities
    votes: dict[str, dict[str, int]] = {}
    for e in entities:
        vote = votes.setdefault(e.canonical, {})
        vote[e.label] = vote.get(e.label, 0) + 1
    winner = {name: max(vote.items(), key=_count)[0] for name, vote in votes.items() if len(vote) > 1}
    out = []
    for e in entities:
        label = winner.get(e.canonical, e.label)
        if label != e.label:
            entry = lookup_alias(e.text, tables)
            if entry is None or not entry.trusted:
                e = dataclasses.replace(e, label=label)
        out.append(e)
    return out


def _count(item: tuple[str, int]) -> int:
    return item[1]


def _full_name(words: tuple[str, ...], start: int, full_names: Sequence[tuple]) -> Optional[tuple]:
    """The nearest earlier (else the first later) longer person name ending with ``words``
    (or, for one word, starting with it: Indonesian news often shortens to the first name).
    ``full_names`` are the person names containing the mention's last word."""
    best = None
    for name in full_names:  # in text order
        if len(name[1]) > len(words) and (name[1][-len(words) :] == words or (len(words) == 1 and name[1][0] == words[0])):
            if name[0] < start:
                best = name  # keeps the nearest earlier one
            elif best is None:
                return name
    return best


# ----------------------------------------------------------------------------- the stage


@dataclass
class EntityResources:
    """Heavy per-worker state: the data tables and the CRF tagger."""

    tables: Tables = field(repr=False)
    tagger: Any = field(repr=False)


def load_resources(model_path: Path = MODEL_PATH) -> EntityResources:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    return EntityResources(load_tables(), tagger)


def find_entities(
    text: str, resources: EntityResources, use_rules: bool = True, use_model: bool = True
) -> list[Entity]:
    """PER/ORG/LOC mentions in ``text`` with offsets (``text[start:end] == entity.text``).

    ``use_rules=False`` gives the CRF alone (for the benchmark); ``use_model=False`` only the
    trusted alias table (curated names and countries)."""
    text = text[:MAX_BODY_CHARS]
    tables = resources.tables
    spans: list[Span] = []
    runs = candidate_runs(text, tables, document=use_rules)
    headlines = HeadlineIndex(text, tables)
    on_headlines: list[tuple[Run, list[Span]]] = []
    for run in runs:
        if use_rules and run.known is not None:  # a known name alone: no model call needed
            spans.append(Span(run.start, run.end, run.known.label))
            continue
        if not use_model:
            spans.extend(gazetteer_spans(text, run, tables))
            continue
        found = model_spans(run, tables, resources.tagger)
        if use_rules:
            start = run.start if run.sentence_start else -1
            gazetteer = gazetteer_spans(text, run, tables) if run.hits is None or run.hits else []
            found = combine(text, found, gazetteer, tables, start)
            if len(run.words) > 1 and (run.folded is None or not tables.org_words.isdisjoint(run.folded)):
                # an organisation cue word in the run (the tagger still holds the run's marginals)
                found = organisation_cues(text, run, found, tables, resources.tagger)
            if headlines.on_headline(run.start):
                on_headlines.append((run, found))
                continue
        spans.extend(found)
    if on_headlines:
        spans = sorted(spans + confirmed_headline_spans(text, on_headlines, spans, tables), key=lambda s: s.start)
    if use_rules:
        spans = sports_teams(text, runs, spans, tables)
        spans = dateline_places(text, spans, tables)
        spans = head_words(text, spans, tables)
        spans = state_codes_after_cities(text, spans, tables)
        spans = places_with_particles(text, spans, tables)
        spans = outside_quoted_titles(text, spans, tables)
        spans = _add_name_parts(text, runs, spans[:MAX_ENTITIES], tables)
    entities = canonicalize(text, spans[:MAX_ENTITIES], tables)
    return organisations_by_context(text, entities, tables) if use_rules else entities


HEADLINE_SAMPLE_CHARS = 400  # a line's first characters decide whether it is title case


def line_shape(line: str, tables: Tables) -> Optional[bool]:
    """True for a title-case line (two words or more, every content word capitalised, at most
    one in eight not; the first words decide), False for prose (six words or more), else None."""
    words = line[:HEADLINE_SAMPLE_CHARS].split()
    limit = len(words) // 8  # lower-case content words allowed (a bound: content <= words)
    lower = capitalised = n = 0
    function_words = tables.function_words
    for token in words:
        w = token.strip(_EDGE_PUNCT)
        first = w[:1]
        if not first.isalpha():
            continue
        n += 1
        if first.isupper():
            capitalised += 1
        elif w.casefold() not in function_words:
            lower += 1
            if lower > limit:
                return False if n >= 6 or len(words) >= 6 else None
    if n >= 2 and capitalised and lower <= (capitalised + lower) // 8:
        return True
    return False if n >= 6 else None


class HeadlineIndex:
    """Which positions of a text lie on a title-case line of a text that also has prose
    (see :func:`line_shape`); lines are classified lazily, only where a run needs the model.

    Title case capitalises verbs and common nouns ("Rusia Tetap Dukung Palestina"), so the
    model's guesses there are unreliable; see :func:`confirmed_headline_spans`."""

    def __init__(self, text: str, tables: Tables):
        self.text, self.tables = text, tables
        self._shapes: dict[int, Optional[bool]] = {}
        self._prose: Optional[bool] = None

    def _shape(self, start: int) -> Optional[bool]:
        if start in self._shapes:
            shape = self._shapes[start]
        else:
            end = self.text.find("\n", start)
            shape = self._shapes[start] = line_shape(self.text[start : end if end >= 0 else len(self.text)], self.tables)
        return shape

    def has_prose(self) -> bool:
        if self._prose is None:
            self._prose = False
            start = 0
            while start <= len(self.text):
                if self._shape(start) is False:
                    self._prose = True
                    break
                end = self.text.find("\n", start)
                if end < 0:
                    break
                start = end + 1
        return self._prose

    def on_headline(self, pos: int) -> bool:
        return bool(self._shape(self.text.rfind("\n", 0, pos) + 1)) and self.has_prose()


def headline_lines(text: str, tables: Tables) -> list[tuple[int, int]]:
    """(start, end) of the title-case lines of a text that also has prose lines; [] else."""
    index = HeadlineIndex(text, tables)
    if not index.has_prose():
        return []
    out, start = [], 0
    for line in text.split("\n"):
        if index.on_headline(start):
            out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def confirmed_headline_spans(
    text: str, on_headlines: Sequence[tuple[Run, list[Span]]], prose: Sequence[Span], tables: Tables
) -> list[Span]:
    """Spans found on title-case lines, kept when the text confirms them: a trusted alias, a
    mention also found in the prose, or made of words of names found in the prose ("Prabowo"
    after "Prabowo Subianto"), an alias of the same type, or a person's name made only of words
    never seen in lower case (a credit line "Garudea Prabawati"). An unconfirmed span gives way to
    the aliases inside it
    ("Tetap Dukung Palestina" -> "Palestina"; "Kami Butuh" -> nothing)."""
    mentions = {fold(text[s.start : s.end]) for s in prose}
    words = {w for m in mentions for w in m.split()}
    out: list[Span] = []
    for run, found in on_headlines:
        dropped: list[Span] = []
        for span in found:
            mention = fold(text[span.start : span.end])
            entry = lookup_alias(text[span.start : span.end], tables)
            known = entry is not None and (entry.trusted or entry.label == span.label)
            person = span.label == "PER" and _looks_like_name(text[span.start : span.end], tables)
            if known or person or mention in mentions or all(w in words for w in mention.split()):
                out.append(span)
            else:
                dropped.append(span)
        for g in gazetteer_spans(text, run, tables, trusted_only=False) if dropped else ():
            if any(d.start <= g.start and g.end <= d.end for d in dropped):
                out.append(g)
    return out


def organisation_cues(text: str, run: Run, spans: list[Span], tables: Tables, tagger: Any) -> list[Span]:
    """Organisation cue words (``org_cues.tsv``) retype spans of a run the alias table does not
    type: a person's or place's name ending with a legal form or line of business is a company
    ("Harlow Brothers Ltd", "Sierra Madre Corporation"), and a place carrying another cue is an
    organisation where the model is unsure of it (its mean marginal
    probability of ORG over the span's tokens is at least ``ORG_UNSURE``: "Dinas Perikanan
    Maluku"; a confident place stays). ``tagger`` must have tagged ``run`` last."""
    out: list[Span] = []
    folded = run.folded if run.folded is not None else [fold(t.text) for t in run.tokens]
    starts = [t.start for t in run.tokens]
    for span in spans:
        if span.label in ("PER", "LOC"):
            first = bisect.bisect_left(starts, span.start)
            end = max(first + 1, bisect.bisect_left(starts, span.end))
            words = folded[first:end]
            if span.label == "PER":
                cued = len(words) > 1 and words[-1].rstrip(".") in tables.org_suffix
            else:
                cued = len(words) > 1 and words[-1].rstrip(".") in tables.org_suffix or (
                    org_cue_at(words, tables) and _org_marginal(tagger, range(first, end)) >= ORG_UNSURE
                )
            if cued:
                entry = lookup_alias(text[span.start : span.end], tables)
                if entry is None or not entry.trusted:
                    span = Span(span.start, span.end, "ORG")
        out.append(span)
    return out


def _org_marginal(tagger: Any, positions: range) -> float:
    """The mean marginal probability of B-ORG or I-ORG over token positions of the last tagged run."""
    return sum(tagger.marginal("B-ORG", i) + tagger.marginal("I-ORG", i) for i in positions) / len(positions)


def _add_name_parts(text: str, runs: Sequence[Run], spans: list[Span], tables: Tables) -> list[Span]:
    """Untagged words that are the first or last word of a person named in the same text
    ("Zakharova", "Retno" after "Retno Marsudi") become person mentions."""
    parts: set[str] = set()
    for span in spans:
        if span.label == "PER":
            words = text[span.start : span.end].split()
            if len(words) >= 2:
                parts.update(
                    w for w in (fold(words[0]), fold(words[-1]))
                    if len(w) > 2 and w not in tables.lowercase_words and w not in tables.title_first_words
                )
    if not parts:
        return spans
    covered = {i for span in spans for i in (span.start, span.end - 1)}
    starts = sorted((s.start, s.end) for s in spans)
    added = []
    for run in runs:
        folded = run.folded if run.folded is not None else [fold(w) for w in run.words]
        if parts.isdisjoint(folded):
            continue
        flat, base = run._flat, run._flat_base  # (text, start, end) per token, at ``base``
        for j, key in zip(range(0, len(flat), 3), folded):
            if key in parts:
                start = base + flat[j + 1]
                if start not in covered and not _inside(starts, start):
                    entry = lookup_alias(flat[j], tables)
                    if entry is None or entry.label == "PER":
                        added.append(Span(start, base + flat[j + 2], "PER"))
    if not added:
        return spans
    return sorted(spans + added, key=lambda s: s.start)


DOCTRINE_STEM_CHARS = 4  # "Judaism", "Socialism" name doctrines; "Prism", "Schism" do not


def _doctrine(word: str, tables: Tables) -> bool:
    return word.endswith(tables.doctrine_endings) and any(
        word.endswith(e) and len(word) - len(e) >= DOCTRINE_STEM_CHARS for e in tables.doctrine_endings)


def head_words(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """The last word of a name fixes its type, whatever the model said, unless the alias table
    types the name:

    * a facility or street word (``place_heads.txt``: "Riverside Stadium", "Elm Avenue") makes
      a place; the word alone ("the Capitol") too, unless the model made it a person (a surname
      such as "Bridge");
    * an event word (``event_heads.txt``: "Harvest Festival", "Golden Reel Awards") drops the
      span: events are not PER/ORG/LOC;
    * so does a doctrine word (``doctrine_endings.txt``: "Liberal Conservatism", "Modernisme"),
      unless "of" makes it a body's name ("Ministry of Tourism").
    """
    out: list[Span] = []
    for span in spans:
        mention = text[span.start : span.end]
        cut = max(mention.rfind(" "), mention.rfind("\t"), mention.rfind("\n"))
        last = fold(_strip_possessive(mention[cut + 1 :]).rstrip("."))
        if last in tables.event_heads or (_doctrine(last, tables) and " of " not in mention):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                continue
        elif span.label != "LOC" and last in tables.place_heads and (cut >= 0 or span.label != "PER"):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                span = Span(span.start, span.end, "LOC", span.title)
        out.append(span)
    return out


_QUOTED = re.compile(r"“([^“”\n]{1,160})”|\"([^\"\n]{1,160})\"")
_QUOTE_EDGE = ".,;:!?'‘’()"


def _is_title(segment: str, tables: Tables) -> bool:
    """2-8 words, each capitalised (or a number), one after the first a capitalised function
    word ("Dancing In The Rain", "Takin’ It Home"; a quoted name such as “Blue Harbor” is not
    enough: dropping those too scored lower on Indonesian dev)."""
    words = [w.strip(_QUOTE_EDGE) for w in segment.split()]
    if not 2 <= len(words) <= 8 or not all(w and (w[0].isupper() or w.isdigit()) for w in words):
        return False
    if segment.isupper():
        return False  # shouting, not a title
    return any(w.casefold() in tables.function_words and w.casefold() not in tables.connectors for w in words[1:])


def outside_quoted_titles(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """A quoted title of a work (a song, book or film: “Rain On The Roof”) names no person,
    organisation or place: spans inside it are dropped."""
    if not spans or ('"' not in text and "“" not in text):
        return spans
    titles = [m.span() for m in _QUOTED.finditer(text) if _is_title(m.group(1) or m.group(2), tables)]
    if not titles:
        return spans
    return [s for s in spans if not any(a < s.start and s.end < b for a, b in titles)]


_CITY_STATE_CODE = re.compile(r",[ \t](?P<code>[A-Z]{2})(?![\w'’])")


def _place_particle_pattern(particles: Iterable[str]) -> re.Pattern[str]:
    """A particle then one or two capitalised words, right after a place ("[Frankfurt] am Main").
    Literal alternatives, then disjoint word and space classes: no catastrophic backtracking."""
    alts = "|".join(sorted((re.escape(p.strip()).replace(r"\ ", r"[ \t]") for p in particles), key=len, reverse=True))
    return re.compile(rf"[ \t](?:{alts})[ \t](?P<name>{_CAP_WORD})(?P<second>[ \t]{_CAP_WORD})?")


def places_with_particles(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """One place for a place, a particle and a name ("Braunau am Inn", "Newcastle upon Tyne";
    place_particles.txt) when the whole is a gazetteer place or the model found the name after the
    particle a place too; the parts found apart are replaced."""
    found: list[Span] = []
    pattern = tables.place_particle_pattern
    for span in spans:
        if span.label != "LOC" or found and span.start < found[-1].end:
            continue
        m = pattern.match(text, span.end)
        if m is None:
            continue
        ends = [m.end("second"), m.end("name")] if m.group("second") else [m.end("name")]
        for end in ends:
            entry = lookup_alias(_strip_possessive(text[span.start : end]), tables)
            tail = (m.start("name"), end)
            if (entry is not None and entry.label == "LOC") or any(
                (s.start, s.end) == tail and s.label == "LOC" for s in spans
            ):
                found.append(Span(span.start, end, "LOC"))
                break
    return _replaced_by(spans, found)


def _replaced_by(spans: list[Span], found: list[Span]) -> list[Span]:
    """``spans`` with those overlapping any of ``found`` replaced by ``found``, in text order."""
    if not found:
        return spans
    kept = [s for s in spans if not any(f.start < s.end and s.start < f.end for f in found)]
    return sorted(kept + found, key=_start)


def state_codes_after_cities(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """A US postal code after a capitalised place and a comma ("Fairview, OR", "Bend, OR 97701")
    is a place (``us_states.tsv``), replacing what the model found there."""
    found: list[Span] = []
    for m in _CITY_STATE_CODE.finditer(text):
        prev = text[m.start() - 1 : m.start()]  # the place's last letter, or "St." / "Ft."
        if m.group("code") not in tables.state_codes or not (prev.islower() or prev == "."):
            continue
        before = text[max(0, m.start() - 40) : m.start()].split()  # bounded look-back
        if before and before[-1][0].isupper():
            found.append(Span(m.start("code"), m.end("code"), "LOC"))
    return _replaced_by(spans, found)


_DATELINE_WORD = _UPPER + r"[\w.'’-]{0,30}"
_DATELINE = re.compile(
    rf"[ \t]{{0,8}}(?P<place>{_DATELINE_WORD}(?:[ \t]{_DATELINE_WORD}){{0,3}})"
    rf"(?:,[ \t]{{1,3}}(?P<state>{_DATELINE_WORD}(?:[ \t]{_DATELINE_WORD}){{0,2}}))?"
    r"(?P<agency>[ \t]{1,3}\([^()\n]{1,40}\))?"
    r"[ \t]{1,3}(?:[–—]|--?)[ \t]"
)


def dateline_places(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """A paragraph opening with a dateline ("LAGOS, Nigeria —", "BERLIN (AP) -", "Leeds – ")
    names a place, and the region after its comma is one too: both become LOC, replacing what
    the model found there. A place alone before the dash must be a known place (gazetteer) or
    an all-capitals word that is not a common one, so "Analysis – ..." is left alone."""
    found: list[Span] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _DATELINE.match(text, pos)
        if m is not None:
            place = m.group("place")
            entry = lookup_alias(place, tables)
            known = entry is not None and entry.label == "LOC"
            shouted = place.isupper() and len(place) > 1 and fold(place) not in tables.lowercase_words
            if known or shouted or m.group("state") or m.group("agency"):
                found.append(Span(m.start("place"), m.end("place"), "LOC"))
                if m.group("state"):
                    found.append(Span(m.start("state"), m.end("state"), "LOC"))
        nl = text.find("\n", pos)
        if nl < 0:
            break
        pos = nl + 1
    return _replaced_by(spans, found)


# ----------------------------------------------------------------------------- sports teams


@dataclass(frozen=True)
class SportsTeams:
    """Teams of ``sports_teams.tsv`` by their spellings (folded word tuples -> team numbers)."""

    names: dict[tuple[str, ...], frozenset[int]]  # a team's name alone ("wild", "red sox")
    full: dict[tuple[str, ...], frozenset[int]]  # home + name ("minnesota wild")
    homes: dict[tuple[str, ...], frozenset[int]]  # a team's home ("minnesota", "new york")
    leagues: tuple[str, ...]  # by team number
    locative: frozenset[str]  # "in", "from": a home after one stays a place
    place_nouns: frozenset[str]  # "native", "area": a home before one stays a place
    positions: frozenset[str]  # "qb", "lw": a player's position between a team and a name


def read_sports_teams(data_dir: Path) -> SportsTeams:
    names: dict[tuple[str, ...], set[int]] = {}
    full: dict[tuple[str, ...], set[int]] = {}
    homes: dict[tuple[str, ...], set[int]] = {}
    leagues: list[str] = []
    for number, line in enumerate(_data_lines(data_dir / "sports_teams.tsv")):
        league, home, name, *flags = line.split("\t")
        leagues.append(league)
        name_words = tuple(fold(name).split())
        if "full" not in flags:
            names.setdefault(name_words, set()).add(number)
        for place in home.split("|"):
            place_words = tuple(fold(place).split())
            homes.setdefault(place_words, set()).add(number)
            full.setdefault(place_words + name_words, set()).add(number)
    cues = [line.split("\t") for line in _data_lines(data_dir / "sports_cues.tsv")]
    return SportsTeams(
        names={k: frozenset(v) for k, v in names.items()},
        full={k: frozenset(v) for k, v in full.items()},
        homes={k: frozenset(v) for k, v in homes.items()},
        leagues=tuple(leagues),
        locative=frozenset(w for w, kind in cues if kind == "locative"),
        place_nouns=frozenset(w for w, kind in cues if kind == "place_noun"),
        positions=frozenset(w for w, kind in cues if kind == "position"),
    )


_SCORE_NAME = _UPPER + r"[\w.'’-]{0,30}(?:[ \t]" + _UPPER + r"[\w.'’-]{0,30}){0,3}"
# "Wild 4, Sabres 1:" opening a line: a game's result, the winner first.
_RESULT_LINE = re.compile(
    rf"^[ \t]{{0,8}}(?P<a>{_SCORE_NAME})[ \t]{{1,3}}\d{{1,3}},[ \t]{{1,3}}(?P<b>{_SCORE_NAME})[ \t]{{1,3}}\d{{1,3}}"
    r"[ \t]{0,3}(?:\([A-Z0-9]{1,3}\)[ \t]{0,3})?[:–—]",
    re.MULTILINE,
)


def _team_of(words: tuple[str, ...], teams: SportsTeams) -> Optional[frozenset[int]]:
    return teams.full.get(words) or teams.names.get(words) or teams.homes.get(words)


def _team_then_player(run: Run, k: int, spans: Sequence[Span], teams: SportsTeams) -> list[Span]:
    """A run whose first ``k`` words name a team: the team, then the rest of the run as a player
    after a position ("Browns QB Jo Ray") or as the model typed it."""
    tokens = run.tokens
    out = [Span(tokens[0].start, tokens[k - 1].end, "ORG")]
    j = k
    while j < len(tokens) - 1 and fold(tokens[j].text) in teams.positions:
        j += 1
    start, end = tokens[j].start, tokens[-1].end
    if j > k:
        out.append(Span(start, end, "PER"))
    else:
        label = next((s.label for s in spans if s.start < end and start < s.end), None)
        if label is not None:
            out.append(Span(start, end, label))
    return out


def sports_teams(text: str, runs: Sequence[Run], spans: list[Span], tables: Tables) -> list[Span]:
    """Sports teams are organisations (``sports_teams.tsv``), replacing what the model found:

    * a team's full name ("Columbus Blue Jackets") anywhere;
    * in an article about sports (a full team name, a result line, or the names of two teams of
      one league that are not common words), a team's name alone ("the Kings", "Red Sox");
    * the two sides of a result line opening a line ("Jets 3, Kings 2:") when one is a team;
    * in such an article, the home of a team it names used for the team ("Ottawa beat Boston",
      "Boston center Jo Ray"), but not after a preposition of place ("in Boston") nor before a
      noun that makes it a place ("Boston native").
    """
    teams = tables.sports
    if teams is None:
        return spans
    found: list[Span] = []
    named: list[tuple[Run, frozenset[int]]] = []  # runs that are a team's name alone
    mentioned: set[int] = set()
    sporty = False
    leading: list[tuple[Run, int, frozenset[int]]] = []  # runs opening with a team's name alone
    for run in runs:
        folded = run.folded
        ids = teams.full.get(folded)
        if ids is not None:
            found.append(Span(run.start, run.end, "ORG"))
            mentioned |= ids
            sporty = True
            continue
        ids = teams.names.get(folded)
        if ids is not None:
            named.append((run, ids))
        elif len(folded) > 1:
            for k in range(min(3, len(folded) - 1), 0, -1):
                ids = teams.full.get(folded[:k])
                if ids is not None:
                    found.extend(_team_then_player(run, k, spans, teams))
                    mentioned |= ids
                    sporty = True
                    break
                ids = teams.names.get(folded[:k])
                if ids is None and folded[k] in teams.positions:
                    ids = teams.homes.get(folded[:k])  # "Boston LW Al Bo"
                if ids is not None:
                    leading.append((run, k, ids))
                    break
    if ":" in text:
        for m in _RESULT_LINE.finditer(text):
            sides = [_team_of(tuple(fold(m.group(g)).split()), teams) for g in ("a", "b")]
            if any(sides):
                sporty = True
                for g, ids in zip(("a", "b"), sides):
                    found.append(Span(m.start(g), m.end(g), "ORG"))
                    mentioned |= ids or frozenset()
    if not sporty and len({run.folded for run, _ in named}) >= 2:
        # two teams of one league, named by words that are not common words ("Heat", "Wild")
        by_name = {run.folded: ids for run, ids in named if " ".join(run.folded) not in tables.lowercase_words}
        leagues = [{teams.leagues[i] for i in ids} for ids in by_name.values()]
        sporty = any(a & b for k, a in enumerate(leagues) for b in leagues[k + 1 :])
    if not sporty:
        return _replaced_by(spans, found)
    for run, ids in named:
        found.append(Span(run.start, run.end, "ORG"))
        mentioned |= ids
    for run, k, ids in leading:
        found.extend(_team_then_player(run, k, spans, teams))
        mentioned |= ids
    for run in runs:
        ids = teams.homes.get(run.folded)
        if ids is None or ids.isdisjoint(mentioned):
            continue
        left, right = run.left, run.right
        if left and left[-1] in teams.locative:
            continue
        if right and right[0] in teams.place_nouns:
            continue
        found.append(Span(run.start, run.end, "ORG"))
    found.sort(key=_start)
    return _replaced_by(spans, found)


def _read_org_context(path: Path) -> dict[str, frozenset[str]]:
    """``org_context.tsv``: where ("after", "possessive", "before") -> casefolded phrases."""
    out: dict[str, set[str]] = {}
    for line in _data_lines(path):
        phrase, where = line.split("\t")
        out.setdefault(where, set()).add(fold(phrase))
    return {where: frozenset(phrases) for where, phrases in out.items()}


_FOLLOWING_WORDS = re.compile(r"(['’]s?)?[ \t]+([\w][\w-]*)(?:[ \t]([\w][\w-]*))?(?:[ \t]([\w][\w-]*))?")
_PRECEDING_WORDS = re.compile(r"(?:^|[^\w-])([\w-]+)(?:[ \t]([\w-]+))?,?[ \t]$")
ORG_CONTEXT_CHARS = 60  # characters of context read on each side of a mention


def _phrases(words: Sequence[Optional[str]]) -> Iterable[str]:
    """The casefolded phrases made by the first one, two and three of ``words`` (None or a word in
    title case ends them: "Founder" may start a heading; "CEO" is fine)."""
    phrase = ""
    for word in words:
        if word is None or not (word.islower() or word.isupper()):
            return
        phrase = f"{phrase} {word.casefold()}" if phrase else word.casefold()
        yield phrase


def _org_context_at(text: str, entity: Entity, tables: Tables) -> bool:
    """Does the text around ``entity`` say it names an organisation (``org_context.tsv``)?"""
    cues = tables.org_context
    after = _FOLLOWING_WORDS.match(text, entity.end, min(len(text), entity.end + ORG_CONTEXT_CHARS))
    if after is not None:
        where = cues.get("possessive" if after.group(1) else "after", frozenset())
        if any(p in where for p in _phrases(after.groups()[1:])):
            return True
    before = _PRECEDING_WORDS.search(text, max(0, entity.start - ORG_CONTEXT_CHARS), entity.start)
    if before is not None:
        first, second = before.groups()
        last, where = second or first, cues.get("before", frozenset())
        if last.islower():  # "company", not the end of a capitalised name ("Acme Company")
            return last in where or (second is not None and first.islower() and f"{first} {second}" in where)
    return False


def organisations_by_context(text: str, entities: list[Entity], tables: Tables) -> list[Entity]:
    """A name the text itself shows to be an organisation's ("Acme founder Jo Bloggs", "Acme's
    board", "his own company, Acme,") is ORG in every mention of the article, where the model
    typed it a person. Places keep their type ("California's board of regents"), and so do names
    in the alias table or gazetteer and surnames of a person named in full ("Pike's board seat"
    after "Jordan Pike")."""
    named: set[str] = set()
    for e in entities:
        if e.label == "PER" and e.canonical not in named and lookup_alias(e.text, tables) is None:
            if len(e.canonical.split()) > len(e.text.split()):
                continue  # a surname resolved to a person named in full earlier
            if _org_context_at(text, e, tables):
                named.add(e.canonical)
    if not named:
        return entities
    return [
        dataclasses.replace(e, label="ORG")
        if e.label != "ORG" and e.canonical in named and lookup_alias(e.text, tables) is None
        else e
        for e in entities
    ]


def _inside(spans: Sequence[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def summarize(entities: Sequence[Entity]) -> tuple[dict[str, Any], ...]:
    """Article-level summary: one row per (canonical, label) with its mention count."""
    counts = Counter((e.canonical, e.label) for e in entities)
    ids = {(e.canonical, e.label): e.wikidata for e in entities if e.wikidata}
    rows = []
    for (canonical, label), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        row: dict[str, Any] = {"canonical": canonical, "label": label, "count": count}
        if (canonical, label) in ids:
            row["wikidata"] = ids[(canonical, label)]
        rows.append(row)
    return tuple(rows)


def extract_entities(article: Article, resources: EntityResources) -> Article:
    """Fill ``entities`` and ``entity_summary`` from ``article.body`` (the model only for the
    languages it knows, see ``MODEL_LANGUAGES``)."""
    entities = find_entities(article.body, resources, use_model=article.language in MODEL_LANGUAGES)
    return article.replace(entities=tuple(entities), entity_summary=summarize(entities))


def entities_per_article(_article: Article, result: Article) -> int:
    """The ``entities.per_article`` distribution: mentions found in one article."""
    return len(result.entities)


class ExtractEntities(beam.PTransform):
    """Articles -> Articles with ``entities`` and ``entity_summary`` (batched per bundle);
    reports the ``entities.per_article`` distribution."""

    def expand(self, articles):
        dofn = BatchStageDoFn(
            STAGE, map_results(extract_entities), setup_fn=load_resources,
            distributions={"per_article": entities_per_article},
        )
        return apply_batch_stage(articles, "ExtractEntities", dofn)
