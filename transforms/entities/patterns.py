"""Regular expressions over capitalised words, built so that matching is linear (no
catastrophic backtracking): candidate runs and place particles."""

from __future__ import annotations

import re
from typing import Any, Iterable


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
# A capitalised word (inner hyphens/apostrophes/dots/ampersands: "AT&T"; not a possessive 's),
# optional final dot.
_CAP_TAIL = r"\w*(?:[-'’.&](?!s\b)\w+)*\.?"
_CAP_WORD = _UPPER + _CAP_TAIL
# A word of a name in a dateline or on a result line: a capital, then at most 30 word characters,
# dots, apostrophes, hyphens or inner ampersands ("St.", "O'Neill", "A&M"; "&" only before a word
# character, as in _CAP_TAIL). The branches are disjoint and bounded: matching is linear.
_NAME_WORD = _UPPER + r"(?:[\w.'’-]|&(?=\w)){0,30}"
_NAME_WORD_NO_AMPERSAND = _UPPER + r"[\w.'’-]{0,30}"  # a place in a dateline: "AT&T" or "R&D" is none


def name_words(most: int, ampersand: bool = True) -> str:
    """A regex of one to ``most`` name words (see ``_NAME_WORD``; with ``ampersand=False`` no
    inner "&") separated by a space or tab."""
    word = _NAME_WORD if ampersand else _NAME_WORD_NO_AMPERSAND
    return rf"{word}(?:[ \t]{word}){{0,{most - 1}}}"


def run_pattern(connectors: Iterable[str]) -> re.Pattern[str]:
    """Maximal runs of capitalised words on one line, a connector allowed between two of them.

    Words and separators are disjoint character classes and the connector branch starts
    lower-case (or with "&") while a word starts upper-case, so matching is linear (no
    catastrophic backtracking)."""
    conn = "|".join(sorted((re.escape(c) for c in connectors), key=len, reverse=True))
    # The first capital comes before the look-behind (is the character before it not a word
    # character, apostrophe, hyphen or dot?) so the regex engine scans for capitals in C.
    return re.compile(rf"{_UPPER}(?<![\w'’\-.].){_CAP_TAIL}(?:[ \t]+(?:(?:{conn})[ \t]+)?{_CAP_WORD})*")


def _place_particle_pattern(particles: Iterable[str]) -> re.Pattern[str]:
    """A particle then one or two capitalised words, right after a place ("[Frankfurt] am Main").
    Literal alternatives, then disjoint word and space classes: no catastrophic backtracking."""
    alts = "|".join(sorted((re.escape(p.strip()).replace(r"\ ", r"[ \t]") for p in particles), key=len, reverse=True))
    return re.compile(rf"[ \t](?:{alts})[ \t](?P<name>{_CAP_WORD})(?P<second>[ \t]{_CAP_WORD})?")
