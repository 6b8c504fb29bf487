"""Hand annotation of English news sentences (issue 5): candidates out, offsets in.

Not run in CI (needs ../shared). Two steps:

    .venv/bin/python -m ner.annotate_en candidates KEY_PREFIX... > cand.tsv
        numbered candidate sentences (``ID<TAB>text``) of the given ScrapingHub articles;
        articles any en_news_gold.json sentence comes from are refused.
    .venv/bin/python -m ner.annotate_en build cand.tsv train.ann benchmarks/data/en_news_train.json

An annotation file has one line per kept sentence, written by a human reader:
``ID | surface=LABEL | surface#2=LABEL``; ``ID`` alone is a sentence without entities, and
sentences not listed are skipped (menus, garbage). ``#n`` picks the n-th whole-word
occurrence of the surface; a surface that is missing, or occurs more than once without
``#n``, is an error (the build fails loudly rather than guess).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ner.corpus import (
    LABELS, Sentence, first_overlap, held_out_keys, nth_occurrence, scrapinghub_bodies, sentences_of, split_label,
    split_occurrence,
)

SOURCE = (
    "ScrapingHub article-extraction benchmark ground truth (MIT), articleBody of the articles listed in "
    "'articles' (none of them is an article of en_news_gold.json); sentences hand-annotated PER/ORG/LOC for "
    "this project with the guidelines of en_news_gold.json (CoNLL-style: no products, nationalities, events "
    "or works; titles, a leading 'The' and a possessive 's are not part of a name). No article shares a story "
    "with a test sentence. The later batch adds the remaining English articles; a few of its rows are cut by hand "
    "(box-score result lines, and sentences of a paragraph with no space after its full stops); web addresses "
    "(www.x.org) are not tagged. A third batch adds more sentences of the same articles (no new article), "
    "at most two sentences without entities per article in its first part, and drops sentences that repeat "
    "another one up to punctuation (press-release boilerplate)"
)

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and an opening capital,
# digit or quote; not after a short abbreviation or a single initial.
_END = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Gov|Sen|Rep|Gen|Col|Lt|Sgt|Capt|Prof|Rev|No|vs|Inc|Corp|Co|Ltd|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Ave|Mt|Ft|U\.S|U\.K|D\.C|a\.m|p\.m|e\.g|i\.e)|\b[A-Z])\.$"
)


def split_sentences(body: str) -> list[str]:
    """Sentences of an article body: paragraphs (line breaks) cut at sentence ends."""
    out: list[str] = []
    for para in body.split("\n"):
        para = para.replace("\t", " ").strip()
        start = 0
        for m in _END.finditer(para):
            piece = para[start:m.start() + 1]
            if _ABBREV.search(piece):
                continue
            out.append(para[start:m.end()].strip())
            start = m.end()
        if para[start:].strip():
            out.append(para[start:].strip())
    return out


def is_candidate(sentence: str) -> bool:
    """Long enough to be prose, not a menu line or a bare heading."""
    return 30 <= len(sentence) <= 400 and len(sentence.split()) >= 6 and sentence[-1] in ".!?\"”’)"


def candidate_sentences(prefix: str, body: str) -> dict[str, str]:
    """Sentence ID ``<prefix>-<i:03d>`` -> sentence for each candidate sentence of ``body``
    (``i`` counts every sentence, so IDs stay stable whatever ``is_candidate`` keeps)."""
    return {f"{prefix}-{i:03d}": sentence for i, sentence in enumerate(split_sentences(body)) if is_candidate(sentence)}


def locate(text: str, surface: str, occurrence: int | None) -> tuple[int, int]:
    """Character span of ``surface`` as a whole word in ``text`` (n-th occurrence if given)."""
    if surface != surface.strip() or not surface:
        raise ValueError(f"surface {surface!r} has surrounding spaces or is empty")
    starts = [m.start() for m in re.finditer(re.escape(surface), text)
              if (m.start() == 0 or not text[m.start() - 1].isalnum())
              and (m.end() == len(text) or not text[m.end()].isalnum())]
    start = nth_occurrence(starts, occurrence, repr(surface), f" in {text!r}")
    return start, start + len(surface)


def parse_line(line: str) -> tuple[str, list[tuple[str, int | None, str]]]:
    """``ID | surface=LABEL | surface#2=LABEL`` -> (ID, [(surface, occurrence, label)])."""
    parts = [p.strip() for p in line.split(" | ")]
    return parts[0], parse_items(parts[1:], line)


def parse_items(parts: list[str], line: str) -> list[tuple[str, int | None, str]]:
    """``surface=LABEL`` / ``surface#2=LABEL`` parts -> [(surface, occurrence, label)]; an error quotes ``line``."""
    items = []
    for part in parts:
        try:
            surface, label = split_label(part)
        except ValueError:
            raise ValueError(f"bad entity {part!r} in line {line!r}") from None
        items.append((*split_occurrence(surface), label))
    return items


def annotate(text: str, items: list[tuple[str, int | None, str]]) -> list[list]:
    """Sorted, non-overlapping [start, end, label] spans of the listed entities."""
    spans = sorted([*locate(text, surface, occ), label] for surface, occ, label in items)
    if overlap := first_overlap(spans):
        raise ValueError(f"overlapping spans {overlap[0]} {overlap[1]} in {text!r}")
    return spans


def load_annotated(paths: Iterable[Path], candidates: dict[str, str]) -> list[Sentence]:
    """The sentences of annotation files over ``candidates`` (ID -> sentence) as text + gold spans;
    an ID annotated twice or a bad line raises ValueError with its place; a text repeated under
    another ID is loaded once."""
    seen: set[str] = set()
    return unique_sentences(row for path in paths for row in annotated_lines(path, candidates, seen))


def annotation_cli(description: str, candidates: Callable[[], dict[str, str]], load: Callable[[list[Path]], list[Sentence]],
                   add_selection: Callable[[argparse.ArgumentParser], None],
                   selected: Callable[[argparse.Namespace, str], bool]) -> None:
    """``candidates`` (print the selected ``ID<TAB>sentence`` lines) and ``check`` (load annotation
    files, print counts) commands of a corpus read from an installed package."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    add_selection(sub.add_parser("candidates"))
    sub.add_parser("check").add_argument("annotations", type=Path, nargs="+")
    args = parser.parse_args()
    if args.cmd == "candidates":
        for ident, sentence in candidates().items():
            if selected(args, ident):
                print(f"{ident}\t{sentence}")
        return
    check_report(lambda: load(args.annotations))


def check_report(load: Callable[[], list[Sentence]]) -> None:
    """Print a ``check`` command's summary (sentences, without entities, per label) or exit with
    the first bad line's place and reason."""
    try:
        sentences = load()
    except ValueError as exc:
        sys.exit(str(exc))
    print(summary(sentences))


def summary(sentences: list[Sentence]) -> str:
    """``N sentences (E without entities), {label: entities}``."""
    counts = {label: sum(g[2] == label for s in sentences for g in s.gold) for label in LABELS}
    empty = sum(not s.gold for s in sentences)
    return f"{len(sentences)} sentences ({empty} without entities), {counts}"


def read_candidates(path: Path) -> dict[str, str]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        ident, _, text = line.partition("\t")
        rows[ident] = text
    return rows


def parsed_lines(path: Path, parse: Callable[[str], tuple[str, str, list[list]]],
                 ) -> Iterator[tuple[str, str, list[list]]]:
    """``parse`` of each line of ``path`` but blank and ``#`` lines; a ValueError it raises is raised
    again naming the file and line."""
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            parsed = parse(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{lineno}: {exc}") from None
        yield parsed


def unique_sentences(rows: Iterable[tuple[str, str, list[list]]]) -> list[Sentence]:
    """Sentences (text + gold spans) of (ID, sentence, spans) rows; a text already loaded is loaded once."""
    out, loaded = [], set()
    for _ident, text, spans in rows:
        if text not in loaded:
            loaded.add(text)
            out.append(Sentence(text, tuple((s, e, label) for s, e, label in spans)))
    return out


def claim_id(ident: str, seen: set[str]) -> None:
    """Add sentence ID ``ident`` to ``seen``; ValueError when it is there already (annotated twice)."""
    if ident in seen:
        raise ValueError(f"{ident} annotated twice")
    seen.add(ident)


def annotated_lines(annotation: Path, candidates: dict[str, str],
                    seen: set[str] | None = None) -> Iterator[tuple[str, str, list[list]]]:
    """(ID, sentence, sorted spans) of each annotation line; a bad line raises ValueError naming its place.

    ``seen`` carries the IDs already read across several files (an ID annotated twice is an error)."""
    seen = set() if seen is None else seen

    def parse(line: str) -> tuple[str, str, list[list]]:
        ident, items = parse_line(line)
        claim_id(ident, seen)
        if ident not in candidates:
            raise ValueError(f"unknown sentence ID {ident}")
        return ident, candidates[ident], annotate(candidates[ident], items)

    return parsed_lines(annotation, parse)


def build(candidates: dict[str, str], annotation: Path, keys: list[str]) -> dict:
    """The JSON document of one annotation file (articles resolved from ID prefixes)."""
    sentences, used = [], set()
    try:
        for ident, text, spans in annotated_lines(annotation, candidates):
            sentences.append({"text": text, "entities": spans})
            prefix = ident.rsplit("-", 1)[0]
            matches = [k for k in keys if k.startswith(prefix)]
            if len(matches) != 1:
                raise ValueError(f"{annotation}: {ident}: article prefix {prefix} matches {len(matches)} articles")
            used.add(matches[0])
    except ValueError as exc:
        sys.exit(str(exc))
    return {"source": SOURCE, "articles": sorted(used), "sentences": sentences}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    cand = sub.add_parser("candidates")
    cand.add_argument("prefixes", nargs="+")
    bld = sub.add_parser("build")
    bld.add_argument("candidates", type=Path)
    bld.add_argument("annotation", type=Path)
    bld.add_argument("output", type=Path)
    args = parser.parse_args()
    bodies = scrapinghub_bodies()
    held = held_out_keys(bodies)
    if args.cmd == "candidates":
        for prefix in args.prefixes:
            (key,) = [k for k in bodies if k.startswith(prefix)]
            if key in held:
                sys.exit(f"{key} is an article of the test sentences")
            for ident, sentence in candidate_sentences(key[:10], bodies[key]).items():
                print(f"{ident}\t{sentence}")
        return
    doc = build(read_candidates(args.candidates), args.annotation, list(bodies))
    if set(doc["articles"]) & held:
        sys.exit("annotation uses an article of the test sentences")
    args.output.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{args.output}: {summary(sentences_of(doc))}, {len(doc['articles'])} articles")


if __name__ == "__main__":
    main()
