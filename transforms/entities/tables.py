"""The entity stage's data tables: aliases and gazetteer, title words, connectors, cue words,
sports teams (all read from ``transforms/data/entities/``), alias look-up and the per-worker
cache bounds."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from transforms.entities.patterns import _place_particle_pattern, run_pattern


LABELS = ("PER", "ORG", "LOC")
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "entities"
RUN_CACHE_SIZE = 10_000  # run texts (and mentions) whose analysis is kept per worker: names recur
WORD_CACHE_SIZE = 30_000  # words whose CRF features are kept per worker (all caches: < 50 MB)
CACHED_KEY_CHARS = 200  # longer texts are never cache keys (bounded memory on hostile input)


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
    not_name_words: frozenset[str]  # not_entities | demonyms: words that are no name alone (rules)
    capitalised_common: frozenset[str]  # weekdays, months, nationalities (not_entities.txt)
    run_prefixes: frozenset[str]  # articles dropped from the start of a run ("the")
    run_breakers: frozenset[str]  # capitalised words never in a name ("I")
    function_words: frozenset[str]  # closed-class words of each language (../function_words.json), connectors
    clusters: dict[str, tuple[str, str]]  # casefolded word -> (cluster of 64, cluster of 256)
    brown: dict[str, tuple[str, ...]]  # English word form -> its Brown-cluster CRF features (brown_clusters.tsv)
    org_first: frozenset[str]  # words heading an organisation's name ("pt", "partai"; org_cues.tsv)
    org_last: frozenset[str]  # words ending one, or heading it before "of" ("university", "news")
    org_suffix: frozenset[str]  # legal forms ending a company's name ("ltd", "tbk")
    org_words: frozenset[str]  # all cue words, also with a final dot ("ltd.")
    place_heads: frozenset[str]  # words ending a facility's or street's name ("stadium"; place_heads.txt)
    state_codes: frozenset[str]  # US postal codes ("OR", "DC"; us_states.tsv)
    event_heads: frozenset[str]  # words ending an event's name ("festival"; event_heads.txt)
    role_heads: frozenset[str]  # words ending a position's name ("officer"; role_heads.txt)
    leading_function_words: frozenset[str]  # "At", "When" glued before a name (leading_function_words.txt)
    doctrine_endings: tuple[str, ...]  # endings of doctrine words ("ism"; doctrine_endings.txt)
    sentence_openers: frozenset[str]  # number words and verbs glued onto a name at a sentence start
    place_particle_pattern: re.Pattern[str]  # " am Main", " an der Saale" (place_particles.txt)
    org_context: dict[str, frozenset[str]]  # where ("after", "possessive", "before") -> phrases (org_context.tsv)
    first_words: dict[str, int]  # casefolded first word of an alias -> its longest alias, in words
    run_pattern: re.Pattern[str]
    sports: SportsTeams  # sports_teams.tsv + sports_cues.tsv (see sports_teams)
    word_features: dict[str, tuple[str, bool, tuple[str, ...]]] = field(default_factory=dict, repr=False)  # cache
    run_pieces: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)  # cache: run text -> pieces
    mentions: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)  # cache: see _mention_info
    span_facts: dict[str, Any] = field(default_factory=dict, repr=False)  # cache: see _span_facts


def cache_store(
    cache: dict[str, Any], key: str, value: Any, limit: int = RUN_CACHE_SIZE, max_key_chars: int = CACHED_KEY_CHARS
) -> None:
    """Keep ``value`` under ``key`` in a bounded per-worker cache: a key longer than
    ``max_key_chars`` is never kept, and a cache holding ``limit`` entries is emptied first."""
    if len(key) <= max_key_chars:
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value


def _data_lines(path: Path) -> Iterable[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line


def _folded_set(path: Path) -> frozenset[str]:
    """A one-word-per-line data file, casefolded."""
    return frozenset(fold(w) for w in _data_lines(path))


def _grouped(path: Path) -> dict[str, frozenset[str]]:
    """A ``word<TAB>group`` data file: group -> its casefolded words (phrases)."""
    out: dict[str, set[str]] = {}
    for line in _data_lines(path):
        word, group = line.split("\t")
        out.setdefault(group, set()).add(fold(word))
    return {group: frozenset(words) for group, words in out.items()}


def _read_clusters(path: Path) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for line in _data_lines(path):
        word, coarse, fine = line.split("\t")
        out[word] = (coarse, fine)
    return out


def _read_brown(path: Path) -> dict[str, tuple[str, ...]]:
    """Word form -> its CRF features: Brown path prefixes (4, 6, 10 bits, whole) and capitalisation
    odds rounded and capped to -3..3 ("-" when unknown); one shared tuple per cluster and bucket."""
    out: dict[str, tuple[str, ...]] = {}
    shared: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in _data_lines(path):
        word, bits, odds = line.split("\t")
        bucket = odds if odds == "-" else str(max(-3, min(3, round(float(odds)))))
        feats = shared.get((bits, bucket))
        if feats is None:
            feats = shared[(bits, bucket)] = (
                "b4=" + bits[:4], "b6=" + bits[:6], "b10=" + bits[:10], "b=" + bits, "odds=" + bucket,
            )
        out[word] = feats
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
    titles = _folded_set(data_dir / "titles.txt")
    connectors = _folded_set(data_dir / "connectors.txt")
    capitalised_common = _folded_set(data_dir / "not_entities.txt")
    not_entities = capitalised_common | _folded_set(data_dir / "compass_words.txt")
    demonyms = _folded_set(data_dir / "demonyms.txt")
    org_cues = _grouped(data_dir / "org_cues.tsv")
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
        not_entities=not_entities,
        capitalised_common=capitalised_common,
        demonyms=demonyms,
        not_name_words=not_entities | demonyms,
        run_prefixes=_folded_set(data_dir / "run_prefixes.txt"),
        run_breakers=_folded_set(data_dir / "run_breakers.txt"),
        function_words=_read_function_words(data_dir.parent / "function_words.json") | connectors,
        clusters=_read_clusters(data_dir / "word_clusters.tsv"),
        brown=_read_brown(data_dir / "brown_clusters.tsv"),
        org_first=org_cues.get("first", frozenset()),
        org_last=org_cues.get("last", frozenset()),
        org_suffix=org_cues.get("suffix", frozenset()),
        org_words=frozenset(cue + dot for cues in org_cues.values() for cue in cues for dot in ("", ".")),
        place_heads=_folded_set(data_dir / "place_heads.txt"),
        state_codes=frozenset(line.split("\t")[1] for line in _data_lines(data_dir / "us_states.tsv")),
        event_heads=_folded_set(data_dir / "event_heads.txt"),
        role_heads=_folded_set(data_dir / "role_heads.txt"),
        leading_function_words=_folded_set(data_dir / "leading_function_words.txt"),
        doctrine_endings=tuple(fold(w) for w in _data_lines(data_dir / "doctrine_endings.txt")),
        sentence_openers=_folded_set(data_dir / "sentence_openers.txt"),
        place_particle_pattern=_place_particle_pattern(_data_lines(data_dir / "place_particles.txt")),
        org_context=_grouped(data_dir / "org_context.tsv"),
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


def _alias_key(text: str, tables: Tables) -> Optional[str]:
    """The key of a mention's entry in ``tables.aliases`` (short all-capital aliases only in
    capitals), or None."""
    key = fold(text)
    if key in tables.aliases and (text.isupper() or key not in tables.exact_case):
        return key
    return None


def lookup_alias(text: str, tables: Tables) -> Optional[AliasEntry]:
    """The alias entry for a mention (short all-capital aliases only in capitals)."""
    key = _alias_key(text, tables)
    return tables.aliases[key] if key is not None else None


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
    cues = _grouped(data_dir / "sports_cues.tsv")
    return SportsTeams(
        names={k: frozenset(v) for k, v in names.items()},
        full={k: frozenset(v) for k, v in full.items()},
        homes={k: frozenset(v) for k, v in homes.items()},
        leagues=tuple(leagues),
        locative=cues.get("locative", frozenset()),
        place_nouns=cues.get("place_noun", frozenset()),
        positions=cues.get("position", frozenset()),
    )

