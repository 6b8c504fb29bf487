"""English news sentences of the Lee corpus, hand-annotated for the entity CRF (issue 5).

The Lee corpus (Lee, Pincombe & Welsh 2005) is 350 short Australian Broadcasting Corporation
news stories that gensim ships as test data (``gensim/test/test_data/lee_background.cor`` and
``lee.cor``, one story per line). The project commits only its annotations (``ner/data/lee_*.ann``,
surface strings and labels per sentence ID); the text is read from the installed gensim
package when training (``pip install -e '.[ner]'``), so no ABC text is copied here.

    .venv/bin/python -m ner.lee candidates 0 75 > cand.tsv    # stories [0, 75): ``ID<TAB>sentence``
    .venv/bin/python -m ner.lee check ner/data/lee_train_1.ann   # offsets resolve, counts per label

Annotation lines follow ``ner.annotate_en``: ``ID | surface=LABEL | surface#2=LABEL``; an ID
alone is a sentence without entities; IDs not listed are skipped. IDs are ``L<story>-<sentence>``
over ``ner.annotate_en.split_sentences`` of each story, so they are stable for a given file.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from ner.annotate_en import annotation_cli, candidate_sentences, load_annotated
from ner.corpus import Sentence

ANNOTATIONS = sorted((Path(__file__).resolve().parent / "data").glob("lee_train_*.ann"))
# (file, encoding): the 300 background stories, then the 50 rated stories (story numbers 300-349)
CORPUS_FILES = (("lee_background.cor", "utf-8"), ("lee.cor", "latin-1"))


def stories() -> list[str]:
    """The Lee stories, one per line, from the installed gensim package."""
    from gensim.test.utils import datapath  # training-time dependency only

    return [line for name, encoding in CORPUS_FILES
            for line in Path(datapath(name)).read_text(encoding=encoding).splitlines()]


@functools.cache
def candidates() -> dict[str, str]:
    """Sentence ID -> sentence, for every prose-like sentence of every story."""
    return {ident: sentence for story, body in enumerate(stories())
            for ident, sentence in candidate_sentences(f"L{story:03d}", body).items()}


def load_annotations(paths: list[Path] = ANNOTATIONS) -> list[Sentence]:
    """The annotated sentences as text + gold spans; a bad line raises ValueError with its place.

    The corpus repeats a few stories word for word: a sentence text already loaded is loaded once.
    """
    return load_annotated(paths, candidates())


def _add_story_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("first", type=int)
    parser.add_argument("stop", type=int)


if __name__ == "__main__":
    annotation_cli(__doc__, candidates, load_annotations, _add_story_range,
                   lambda args, ident: args.first <= int(ident[1:4]) < args.stop)
