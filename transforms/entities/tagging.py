"""Tagging one candidate run: the CRF's BIO spans, trusted gazetteer spans, and the rules of
:func:`combine` that correct the model (titles, participles, aliases, adjacent names)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from transforms.entities.candidates import Run, Span, SpanIndex, _start
from transforms.entities.features import run_features
from transforms.entities.tables import Tables, _alias_key, cache_store, fold, lookup_alias


def _bio_spans(run: Run, tags: Sequence[str], feats: Sequence[Sequence[str]]) -> list[Span]:
    flat, base = run._flat, run.base
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


def gazetteer_spans(run: Run, tables: Tables, trusted_only: bool = True) -> list[Span]:
    """Longest trusted-alias matches inside one run (curated aliases and countries; with
    ``trusted_only=False`` also the generated gazetteer's places)."""
    hits, base = run.hits, run.base
    spans = []
    for i in range(0, len(hits), 3):
        entry = tables.aliases[hits[i + 2]]
        if entry.trusted or not trusted_only:
            spans.append(Span(base + hits[i], base + hits[i + 1], entry.label))
    return spans


def combine(
    text: str, model: list[Span], gazetteer: list[Span], tables: Tables, sentence_start: int = -1
) -> list[Span]:
    """Model spans corrected by rules, plus trusted gazetteer hits the model did not cover.

    * the tail of a title whose head is lower case is cut off ("menteri Luar Negeri Rusia": "Rusia"
      only) and announces a person (whole title phrases never reach here: candidate runs are cut
      there and the name after one comes with ``title``, see :func:`candidates._split_run`);
    * what only opening a sentence capitalised is not a name: a lone participle or sentence adverb
      ("Reflecting concerns ...", "Ironically, ..."), a closed-class word before a name ("At
      Chime"; spans starting at ``sentence_start``, see :func:`_strip_sentence_opener`);
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
            span = _strip_sentence_opener(text, span, tables)
        if span is None:
            continue
        mention = text[span.start : span.end]
        facts = span_facts.get(mention) or _span_facts(mention, tables)
        if facts[3] is not None:  # a leading title's tail (see _title_cut)
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


def _not_entity_word(word: str, tables: Tables) -> bool:
    """A weekday/month/nationality word, also in a compound such as "Iranian-backed"."""
    folded = fold(word)
    if folded in tables.not_name_words:
        return True
    head, _, tail = folded.partition("-")
    return bool(tail) and head in tables.not_name_words and word.partition("-")[2].islower()


def _strip_sentence_opener(text: str, span: Span, tables: Tables) -> Optional[Span]:
    """A span starting a sentence without what is capitalised only because it opens the sentence:

    * None for a lone English participle ("Reflecting", "Citing") or, before a comma, a sentence
      adverb ("Ironically,", "Predictably,") whose stem is a common lower-case word and which no
      alias knows ("Reading Football Club", "Kelly," and "Manly," stay);
    * the span without a capitalised closed-class word glued before a name ("At Chime", "When
      Ford", "Now the Agency"; ``leading_function_words.txt``) unless the whole is a known name.
    """
    word = text[span.start : span.end]
    first, _, rest = word.partition(" ")
    if not rest:
        lw = word.casefold()
        stems = _opener_stems(lw) if word[1:].islower() else ()
        if stems and (lw.endswith("ing") or text.startswith(",", span.end)):
            if any(stem in tables.lowercase_words for stem in stems) and lookup_alias(word, tables) is None:
                return None
        return span
    if not first.istitle() or first.casefold() not in tables.leading_function_words:
        return span
    if lookup_alias(word, tables) is not None:
        return span
    rest = rest.lstrip()
    article, _, after = rest.partition(" ")
    if after and article.casefold() in tables.run_prefixes:
        rest = after.lstrip()
    return Span(span.end - len(rest), span.end, span.label, span.title)


def _opener_stems(lw: str) -> tuple[str, ...]:
    """Stems of an English participle ("citing": cit, cite) or "-ly" adverb ("happily": happy),
    at least four letters long ("manly", "molly" have none)."""
    if lw.endswith("ing"):
        stems: tuple[str, ...] = (lw[:-3], lw[:-3] + "e") if len(lw) > 5 else ()
    elif lw.endswith("ly"):
        stems = (
            lw[:-2],  # "sadly"
            lw[:-4] if lw.endswith("ally") else "",  # "ironically"
            lw[:-3] + "y" if lw.endswith("ily") else "",  # "happily"
            lw[:-1] + "e" if lw.endswith("bly") else "",  # "predictably"
        )
    else:
        return ()
    return tuple(stem for stem in stems if len(stem) >= 4 or lw.endswith("ing"))


def _span_facts(mention: str, tables: Tables) -> tuple[Optional[str], bool, bool, Optional[tuple[int, bool]]]:
    """What the rules of :func:`combine` ask of a span's text (computed where ``tables.span_facts``
    lacks it, and kept there, bounded; a plain tuple): its alias key; only weekday/month/nationality
    words or one character; several words in capitals, all common words ("LOOK WHAT YOU MADE ME DO");
    a leading title's tail (characters to cut, the rest is a person) or None."""
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
    cache_store(tables.span_facts, mention, facts)
    return facts


def _title_cut(mention: str, tables: Tables) -> Optional[tuple[int, bool]]:
    """The tail of a title leading a span ("Luar Negeri" of "Menteri Luar Negeri"): (its length
    with the space, the rest looks like a person's name no alias knows), else None. A whole title
    ("Presiden", "Wakil Menteri Luar Negeri") never leads a span: :func:`candidates._title_at`
    cuts every one followed by a word out of the candidate runs."""
    words = mention.split(" ")
    for k in range(min(tables.title_max_words, len(words) - 1), 0, -1):
        head = fold(" ".join(words[:k]))
        if head in tables.title_fragments:
            cut = len(" ".join(words[:k])) + 1
            rest = mention[cut:]
            return cut, lookup_alias(rest, tables) is None and _looks_like_name(rest, tables)
    return None


def _adjacent(text: str, spans: Sequence[Span]) -> bool:
    return all(not text[a.end : b.start].strip() for a, b in zip(spans, spans[1:]))


def _next_token_start(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _looks_like_name(text: str, tables: Tables) -> bool:
    """One to four capitalised words, none a common word or a known name of a place/organisation
    (as :func:`lookup_alias` reads them: a capitals-only code such as an airport's counts only in
    capitals, so "Ade" of a name is no "ADE")."""
    words = text.split()
    return (
        1 <= len(words) <= 4
        and all(w[0].isupper() and fold(w) not in tables.lowercase_words for w in words)
        and not any((entry := lookup_alias(w, tables)) is not None and entry.label != "PER" for w in words)
    )


def _replaced_by(spans: list[Span], found: list[Span]) -> list[Span]:
    """``spans`` with those overlapping any of ``found`` replaced by ``found``, in text order
    (O((n + m) log m), see :class:`SpanIndex`)."""
    if not found:
        return spans
    index = SpanIndex(sorted(found, key=_start))
    kept = [s for s in spans if index.first_overlap(s.start, s.end) is None]
    return sorted(kept + found, key=_start)
