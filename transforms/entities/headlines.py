"""Title-case lines (headlines): which positions lie on one, and which spans found there the
rest of the text confirms."""

from __future__ import annotations

from typing import Optional, Sequence

from transforms.entities.candidates import _EDGE_PUNCT, Run, Span
from transforms.entities.tables import Tables, fold, lookup_alias
from transforms.entities.tagging import _looks_like_name, gazetteer_spans


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
        for g in gazetteer_spans(run, tables, trusted_only=False) if dropped else ():
            if any(d.start <= g.start and g.end <= d.end for d in dropped):
                out.append(g)
    return out
