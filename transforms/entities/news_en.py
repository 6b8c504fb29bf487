"""English news conventions: quoted titles of works, US state codes after cities, place
particles ("am Main"), datelines, and organisations shown by their context."""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from typing import Iterable, Optional, Sequence

from schemas.records import Entity
from transforms.entities.canonical import _strip_possessive
from transforms.entities.candidates import Span
from transforms.entities.patterns import name_words
from transforms.entities.tables import Tables, fold, lookup_alias
from transforms.entities.tagging import _replaced_by


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
    # the titles do not overlap and come in text order: only the last one opening before a span can hold it
    starts = [a for a, _ in titles]
    return [s for s in spans if not ((i := bisect_left(starts, s.start) - 1) >= 0 and s.end < titles[i][1])]


_CITY_STATE_CODE = re.compile(r",[ \t](?P<code>[A-Z]{2})(?![\w'’])")


def places_with_particles(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """One place for a place, a particle and a name ("Braunau am Inn", "Newcastle upon Tyne";
    place_particles.txt) when the whole is a gazetteer place or the model found the name after the
    particle a place too; the parts found apart are replaced."""
    found: list[Span] = []
    pattern = tables.place_particle_pattern
    places = {(s.start, s.end) for s in spans if s.label == "LOC"}
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
            if (entry is not None and entry.label == "LOC") or tail in places:
                found.append(Span(span.start, end, "LOC"))
                break
    return _replaced_by(spans, found)


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


# A dateline opening a line; no part matches a newline, so each match lies within its line.
_DATELINE = re.compile(
    rf"^[ \t]{{0,8}}(?P<place>{name_words(4, ampersand=False)})"
    rf"(?:,[ \t]{{1,3}}(?P<state>{name_words(3, ampersand=False)}))?"
    r"(?P<agency>[ \t]{1,3}\([^()\n]{1,40}\))?"
    r"[ \t]{1,3}(?:[–—]|--?)[ \t]",
    re.MULTILINE,
)


def dateline_places(text: str, spans: list[Span], tables: Tables) -> list[Span]:
    """A paragraph opening with a dateline ("LAGOS, Nigeria —", "BERLIN (AP) -", "Leeds – ")
    names a place, and the region after its comma is one too: both become LOC, replacing what
    the model found there. A place alone before the dash must be a known place (gazetteer) or
    an all-capitals word that is not a common one, so "Analysis – ..." is left alone; a name with
    "&" is an abbreviation or a company ("R&D – ...", "AT&T (AP) – ..."), never a dateline's place."""
    found: list[Span] = []
    for m in _DATELINE.finditer(text):
        place = m.group("place")
        entry = lookup_alias(place, tables)
        known = entry is not None and entry.label == "LOC"
        shouted = place.isupper() and len(place) > 1 and fold(place) not in tables.lowercase_words
        if known or shouted or m.group("state") or m.group("agency"):
            found.append(Span(m.start("place"), m.end("place"), "LOC"))
            if m.group("state"):
                found.append(Span(m.start("state"), m.end("state"), "LOC"))
    return _replaced_by(spans, found)


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
