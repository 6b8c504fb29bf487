"""Cue-word rules over tagged spans: organisation cue words inside a run (with the model's
marginals) and the head word of a name (facility, event, doctrine)."""

from __future__ import annotations

import bisect
import re
from typing import Any, Optional

from transforms.entities.canonical import _strip_possessive
from transforms.entities.candidates import Run, Span, gazetteer_tags
from transforms.entities.features import org_cue_at
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
      unless "of" makes it a body's name ("Ministry of Tourism"); so do an acronym in the plural
      ("ICUs", "DSPs": common nouns), a word compounded with a lower-case modifier ("Houston-area",
      "Oscar-winning") and an adverb opening a sentence before a comma ("Ironically, ...");
    * a leading function word ("At Chime", "When Ford"; ``leading_function_words.txt``) is cut
      off first;
    * a role word (``role_heads.txt``) ending an all-capitalised span the model typed ORG names a
      position ("Chief Strategy Officer"): only a place it opens with stays ("UK Home Secretary").
    """
    out: list[Span] = []
    for span in spans:
        mention = text[span.start : span.end]
        span, mention = _without_leading_function_word(span, mention, tables)
        cut = max(mention.rfind(" "), mention.rfind("\t"), mention.rfind("\n"))
        last = fold(_strip_possessive(mention[cut + 1 :]).rstrip("."))
        if (
            last in tables.event_heads or (_doctrine(last, tables) and " of " not in mention)
            or _PLURAL_ACRONYM.fullmatch(mention) or _HYPHENATED_MODIFIER.fullmatch(mention)
            or _sentence_adverb(text, span, mention, tables)
        ):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                continue
        elif span.label == "ORG" and last in tables.role_heads and _all_capitalised(mention):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                place = _leading_place(mention, span.start, tables)
                if place is not None:
                    out.append(place)
                continue
        elif span.label != "LOC" and last in tables.place_heads and (cut >= 0 or span.label != "PER"):
            entry = lookup_alias(mention, tables)
            if entry is None or not entry.trusted:
                span = Span(span.start, span.end, "LOC", span.title)
        out.append(span)
    return out


_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,6}s")
_HYPHENATED_MODIFIER = re.compile(r"[^\s-]+(?:-[^\s-]+)*-[a-z]{2,}")  # one word, lower case after its last hyphen
_WORD = re.compile(r"\S+")


def _all_capitalised(mention: str) -> bool:
    return all(w[0].isupper() for w in mention.split())


def _leading_place(mention: str, start: int, tables: Tables) -> Optional[Span]:
    """The gazetteer place ``mention`` (at ``start``) opens with, when more words follow it."""
    words = list(_WORD.finditer(mention))
    tags = gazetteer_tags([w.group() for w in words], tables)
    if tags[0] != "B-LOC":
        return None
    k = 1
    while k < len(tags) and tags[k] == "I-LOC":
        k += 1
    if k == len(words):
        return None
    return Span(start, start + words[k - 1].end(), "LOC")


def _without_leading_function_word(span: Span, mention: str, tables: Tables) -> tuple[Span, str]:
    """``span`` and its text without a capitalised function word opening a name of 2+ words
    (and an article after it: "Now the Agency")."""
    first, _, rest = mention.partition(" ")
    if not rest or not first.istitle() or fold(first) not in tables.leading_function_words:
        return span, mention
    rest = rest.lstrip()
    first, _, after = rest.partition(" ")
    if after and first in tables.run_prefixes:
        rest = after.lstrip()
    return Span(span.start + len(mention) - len(rest), span.end, span.label, span.title), rest


def _sentence_adverb(text: str, span: Span, mention: str, tables: Tables) -> bool:
    """One capitalised word ending in "ly" before a comma at a sentence start, whose stem is a
    common lower-case word ("Sadly," "Happily,"; not "Italy," or "Kelly,")."""
    if not mention.endswith("ly") or " " in mention or not text.startswith(",", span.end):
        return False
    before = text[max(0, span.start - 3) : span.start].rstrip(" \t")
    if before and before[-1] not in ".!?\n\"“”'‘’":
        return False
    word = fold(mention)
    stems = (
        word[:-2],  # "sadly"
        word[:-4] if word.endswith("ally") else "",  # "ironically"
        word[:-3] + "y" if word.endswith("ily") else "",  # "happily"
        word[:-1] + "e" if word.endswith("bly") else "",  # "predictably"
    )
    return any(stem and stem in tables.lowercase_words for stem in stems)
