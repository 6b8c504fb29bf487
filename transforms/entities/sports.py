"""Sports teams are organisations (``sports_teams.tsv``): full names, names alone in sports
articles, result lines, and a team's home used for the team; a place with a win-loss record or
on an "A d. B" result line is a team."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Optional, Sequence

from transforms.entities.candidates import Run, Span, SpanIndex
from transforms.entities.patterns import name_words
from transforms.entities.tables import SportsTeams, Tables, fold
from transforms.entities.tagging import _replaced_by


_SCORE_NAME = name_words(4)  # a side of a result line ("Wild", "Texas A&M")
_RESULT_ENDS = ":–—"  # what closes the scores of a result line; the line is looked for only if one is in the text
# "Wild 4, Sabres 1:" opening a line: a game's result, the winner first.
_RESULT_LINE = re.compile(
    rf"^[ \t]{{0,8}}(?P<a>{_SCORE_NAME})[ \t]{{1,3}}\d{{1,3}},[ \t]{{1,3}}(?P<b>{_SCORE_NAME})[ \t]{{1,3}}\d{{1,3}}"
    rf"[ \t]{{0,3}}(?:\([A-Z0-9]{{1,3}}\)[ \t]{{0,3}})?[{_RESULT_ENDS}]",
    re.MULTILINE,
)


def _team_of(words: tuple[str, ...], teams: SportsTeams) -> Optional[frozenset[int]]:
    return teams.full.get(words) or teams.names.get(words) or teams.homes.get(words)


def _team_then_player(run: Run, k: int, overlap: SpanIndex, teams: SportsTeams) -> list[Span]:
    """A run whose first ``k`` words name a team: the team, then the rest of the run as a player
    after a position ("Browns FB Jo Ray") or as the model typed it (``overlap``: the model's spans)."""
    tokens = run.tokens
    out = [Span(tokens[0].start, tokens[k - 1].end, "ORG")]
    j = k
    while j < len(tokens) - 1 and fold(tokens[j].text) in teams.positions:
        j += 1
    start, end = tokens[j].start, tokens[-1].end
    if j > k:
        out.append(Span(start, end, "PER"))
    else:
        typed = overlap.first_overlap(start, end)
        if typed is not None:
            out.append(Span(start, end, typed.label))
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

    ``spans`` come in text order (as :func:`find_entities` makes them).
    """
    teams = tables.sports
    overlap = SpanIndex(spans)
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
                    found.extend(_team_then_player(run, k, overlap, teams))
                    mentioned |= ids
                    sporty = True
                    break
                ids = teams.names.get(folded[:k])
                if ids is None and folded[k] in teams.positions:
                    ids = teams.homes.get(folded[:k])  # "Boston LW Al Bo"
                if ids is not None:
                    leading.append((run, k, ids))
                    break
    if any(end in text for end in _RESULT_ENDS):
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
        found.extend(_team_then_player(run, k, overlap, teams))
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
    # a side of a result line is often found by its run too ("Seattle Kraken 2, ..."): once only
    unique: dict[tuple[int, int], Span] = {}
    for span in found:
        unique.setdefault((span.start, span.end), span)
    return _replaced_by(spans, list(unique.values()))  # it sorts them


# A win-loss(-tie) record right after a name: "Viera (4-0):", "the Gophers (9-1, 6-1)".
_RECORD_AFTER = re.compile(r"[ \t]?\(\d{1,3}-\d{1,3}(?:-\d{1,3})?[,)]")
_RECORD_OPENINGS = ("(", " (", "\t(")  # cheap test before the regex
# A line opening with one side defeating the other: "Melbourne d. Cocoa 8-0", "Troy def. Union".
_DEFEAT_WORDS = ("d", "def")
_DEFEAT_LINE = re.compile(
    rf"^[ \t]{{0,8}}(?P<a>{_SCORE_NAME})[ \t]{{1,3}}(?:{'|'.join(_DEFEAT_WORDS)})\.[ \t]{{1,3}}(?P<b>{_SCORE_NAME})",
    re.MULTILINE,
)
# cheap test before the regex: a defeat word after a space or tab, as the regex has it
_DEFEAT_MARKS = tuple(f"{sep}{word}." for word in _DEFEAT_WORDS for sep in " \t")


def places_with_records(text: str, spans: list[Span]) -> list[Span]:
    """A place followed by a win-loss record ("Palm Bay (3-1):") or on either side of a result
    line ("Palm Bay d. Viera 2-0") is a team of that place (ORG); people (fighters, players)
    have records too and stay as they are."""
    sides: list[tuple[int, int]] = []
    if any(mark in text for mark in _DEFEAT_MARKS):
        sides = [m.span(g) for m in _DEFEAT_LINE.finditer(text) for g in ("a", "b")]
    if not sides and "(" not in text:
        return spans
    side_starts = [a for a, _ in sides]
    out: list[Span] = []
    for span in spans:
        if span.label == "LOC":
            i = bisect_right(side_starts, span.start) - 1
            if (i >= 0 and span.end <= sides[i][1]) or (
                text.startswith(_RECORD_OPENINGS, span.end) and _RECORD_AFTER.match(text, span.end)
            ):
                span = Span(span.start, span.end, "ORG", span.title)
        out.append(span)
    return out
