"""Cue-word rules over tagged spans: organisation cue words inside a run (with the model's
marginals) and the last word of a name (facility, event, doctrine, role), plural acronyms and
modifier compounds."""

from __future__ import annotations

import bisect
import re
from typing import Any, Optional, Sequence

from transforms.entities.canonical import _strip_possessive
from transforms.entities.candidates import _WORD_IN_RUN, Run, Span, Token, _gazetteer_hits, gazetteer_tags
from transforms.entities.tables import Tables, fold, lookup_alias


ORG_UNSURE = 0.2  # a place with an organisation cue word becomes ORG if the model gives ORG this much


def organisation_cues(text: str, run: Run, spans: list[Span], tables: Tables, tagger: Any) -> list[Span]:
    """Organisation cue words (``org_cues.tsv``) retype spans of a run the alias table does not
    type: a person's or place's name ending with a legal form or line of business is a company
    ("Harlow Brothers Ltd", "Sierra Madre Corporation"), and a place carrying another cue is an
    organisation where the model is unsure of it (its mean marginal
    probability of ORG over the span's tokens is at least ``ORG_UNSURE``: "Dinas Perikanan
    Maluku"; a confident place stays). ``tagger`` must have tagged ``run`` last."""
    out: list[Span] = []
    folded, base = run.folded, run.base
    starts = run._flat[1::3]  # the tokens' starts, relative to base
    for span in spans:
        if span.label in ("PER", "LOC"):
            first = bisect.bisect_left(starts, span.start - base)
            end = max(first + 1, bisect.bisect_left(starts, span.end - base))
            words = folded[first:end]
            suffix = len(words) > 1 and words[-1].rstrip(".") in tables.org_suffix
            cued = suffix or (
                span.label == "LOC" and org_cue_at(words, tables)
                and _org_marginal(tagger, range(first, end)) >= ORG_UNSURE
            )
            if cued:
                entry = lookup_alias(text[span.start : span.end], tables)
                if entry is None or not entry.trusted:
                    span = Span(span.start, span.end, "ORG")
        out.append(span)
    return out


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


def _org_marginal(tagger: Any, positions: range) -> float:
    """The mean marginal probability of B-ORG or I-ORG over token positions of the last tagged run."""
    return sum(tagger.marginal("B-ORG", i) + tagger.marginal("I-ORG", i) for i in positions) / len(positions)


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
    * so does a doctrine word (``doctrine_endings.txt``: "Liberal Conservatism", "Modernisme");
      neither when "of" makes it a body's name ("Ministry of Tourism", "Department of War");
    * so does a one-word acronym in the plural ("ICUs", "DSPs": common nouns) or compound with a
      lower-case modifier ("Houston-area", "Oscar-winning");
    * a role word (``role_heads.txt``) ending an all-capitalised span the model typed ORG names a
      position ("Chief Strategy Officer"): only a known name it opens with stays ("UK Home
      Secretary" -> UK, "Kremlin Spokesman" -> Kremlin).
    """
    out: list[Span] = []
    for span in spans:
        mention = text[span.start : span.end]
        cut = max(mention.rfind(" "), mention.rfind("\t"), mention.rfind("\n"))
        last = fold(_strip_possessive(mention[cut + 1 :]).rstrip("."))
        if (
            ((last in tables.event_heads or _doctrine(last, tables)) and " of " not in mention)
            or (cut < 0 and (_PLURAL_ACRONYM.fullmatch(mention) or _HYPHENATED_MODIFIER.fullmatch(mention)))
        ):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                continue
        elif span.label == "ORG" and last in tables.role_heads and _all_capitalised(mention):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                known = _leading_name(mention, span.start, tables)
                if known is not None:
                    out.append(known)
                continue
        elif span.label != "LOC" and last in tables.place_heads and (cut >= 0 or span.label != "PER"):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                span = Span(span.start, span.end, "LOC", span.title)
        out.append(span)
    return out


_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,6}s")
_HYPHENATED_MODIFIER = re.compile(r"[^\s-]+(?:-[^\s-]+)*-[a-z]{2,}")  # one word, lower case after its last hyphen


def _all_capitalised(mention: str) -> bool:
    return all(w[0].isupper() for w in mention.split())


def _leading_name(mention: str, start: int, tables: Tables) -> Optional[Span]:
    """The gazetteer or alias name ``mention`` (at ``start``) opens with, with its type, when more
    words follow it."""
    words = [Token(m.group(), m.start(), m.end()) for m in _WORD_IN_RUN.finditer(mention)]
    hits = _gazetteer_hits(mention, words, gazetteer_tags([w.text for w in words], tables), tables)
    if not hits or hits[0] != words[0].start or hits[1] == words[-1].end:
        return None
    return Span(start, start + hits[1], tables.aliases[hits[2]].label)
