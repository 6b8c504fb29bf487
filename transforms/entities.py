"""Entities stage (first version): country names from the pycountry gazetteer.

``find_entities(body) -> list[Entity]`` matches English and Indonesian country
names (pycountry, with its ``id`` locale) as whole words, longest first, with
offsets into the body. The trained NER and alias tables come later.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Sequence

import apache_beam as beam

from schemas.records import Article, Entity
from transforms.stage import BatchStageDoFn, apply_batch_stage, map_results

STAGE = "entities"
MAX_WORDS = 4
_WORD = re.compile(r"[^\W_][\w'’-]*")


@lru_cache(maxsize=1)
def country_gazetteer() -> dict[str, str]:
    """Country name (English common/official, Indonesian) -> English canonical name."""
    import pycountry

    indonesian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        canonical = getattr(country, "common_name", None) or country.name
        for name in {country.name, canonical, indonesian.gettext(country.name)}:
            if name and "," not in name and name[0].isupper():
                names.setdefault(name, canonical)
    return names


def find_entities(body: str, gazetteer: dict[str, str]) -> list[Entity]:
    """Longest gazetteer matches over word sequences, as LOC entities with body offsets."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(body)]
    entities: list[Entity] = []
    i = 0
    while i < len(words):
        if not body[words[i][0]].isupper():
            i += 1
            continue
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            start, end = words[i][0], words[i + n - 1][1]
            text = body[start:end]
            canonical = gazetteer.get(text)
            if canonical:
                entities.append(Entity(text=text, label="LOC", start=start, end=end, canonical=canonical))
                i += n
                break
        else:
            i += 1
    return entities


def summarize(entities: Sequence[Entity]) -> tuple[dict[str, Any], ...]:
    counts = Counter((e.canonical, e.label) for e in entities)
    return tuple({"canonical": c, "label": l, "count": n} for (c, l), n in counts.most_common())


def extract_entities(article: Article, gazetteer: dict[str, str]) -> Article:
    entities = find_entities(article.body, gazetteer)
    return article.replace(entities=tuple(entities), entity_summary=summarize(entities))


class ExtractEntities(beam.PTransform):
    """Articles -> Articles with ``entities`` and ``entity_summary`` (batched per bundle)."""

    def expand(self, articles):
        dofn = BatchStageDoFn(STAGE, map_results(extract_entities), setup_fn=country_gazetteer)
        return apply_batch_stage(articles, "ExtractEntities", dofn)
