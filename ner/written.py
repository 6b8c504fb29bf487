"""English news-style sentences written and annotated for the entity CRF (issue 5).

No English news corpus with proper casing is left to annotate here (the ScrapingHub articles are the
test, dev and train sets; the Lee corpus is annotated in ``ner/data/lee_train_*.ann``). These
sentences were *written* for this project by its annotators in the style of wire and local news,
about real and invented people, organisations and places, and annotated as written with the
guidelines of the Lee annotations (CoNLL-style PER/ORG/LOC). They are synthetic training text: they
add names and contexts, never evaluation data, and the annotators saw no test or dev sentence.

One file per annotator, ``ner/data/en_written_<N>.tsv``, one sentence per line::

    ID<TAB>sentence<TAB>surface=LABEL | surface#2=LABEL

The third column may be empty (a sentence without entities). ``#n`` picks the n-th whole-word
occurrence, as in ``ner.annotate_en``. IDs are ``W<N>-<story>-<sentence>``.

    .venv/bin/python -m ner.written check ner/data/en_written_1.tsv   # spans resolve, counts per label
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ner.annotate_en import annotate, check_report, claim_id, parse_items, parsed_lines, unique_sentences
from ner.corpus import Sentence

FILES = sorted((Path(__file__).resolve().parent / "data").glob("en_written_*.tsv"))
_ID = re.compile(r"W\d+-\d{3}-\d{2}")


def load_sentences(paths: list[Path] = FILES) -> list[Sentence]:
    """The written sentences as text + gold spans; a bad line raises ValueError naming its place.

    A sentence text that repeats an earlier one (in any file) is loaded once."""
    seen_ids: set[str] = set()

    def parse(line: str) -> tuple[str, str, list[list]]:
        ident, text, spans = parse_written_line(line)
        claim_id(ident, seen_ids)
        return ident, text, spans

    return unique_sentences(row for path in paths for row in parsed_lines(path, parse))


def parse_written_line(line: str) -> tuple[str, str, list[list]]:
    """``ID<TAB>sentence<TAB>annotations`` -> (ID, sentence, sorted non-overlapping spans)."""
    fields = line.split("\t")
    if len(fields) != 3:
        raise ValueError(f"expected 3 tab-separated fields, got {len(fields)}")
    ident, text, annotations = (f.strip() for f in fields)
    if not _ID.fullmatch(ident):
        raise ValueError(f"bad sentence ID {ident!r} (want W<N>-<story:3>-<sentence:2>)")
    if not text or fields[1] != text:
        raise ValueError(f"{ident}: empty sentence or surrounding spaces")
    items = parse_items([p.strip() for p in annotations.split(" | ")] if annotations else [], line)
    return ident, text, annotate(text, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check")
    chk.add_argument("files", type=Path, nargs="*", default=FILES)
    args = parser.parse_args()
    check_report(lambda: load_sentences(args.files))


if __name__ == "__main__":
    main()
