"""Source stage: publisher (outlet registry by domain), domain, and wire agency.

``identify_source(article) -> dict`` is the pure function. The outlet registry
and the agency spellings are data files in ``data/``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import apache_beam as beam

from schemas.records import Article
from transforms.stage import StageDoFn, apply_stage

STAGE = "source"
DATA = Path(__file__).with_name("data")


@lru_cache(maxsize=1)
def outlet_registry() -> dict[str, dict[str, str]]:
    return json.loads((DATA / "outlets.json").read_text(encoding="utf-8"))["outlets"]


@lru_cache(maxsize=1)
def agency_spellings() -> dict[str, str]:
    """Lower-cased spelling -> canonical agency name."""
    spec = json.loads((DATA / "agencies.json").read_text(encoding="utf-8"))["agencies"]
    return {spelling.lower(): name for name, spellings in spec.items() for spelling in spellings}


@lru_cache(maxsize=1)
def _domain_extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled suffix list, offline


def registered_domain(url: Optional[str]) -> Optional[str]:
    """'https://news.detik.com/x' -> 'detik.com'; None for no or unparseable URL."""
    if not url:
        return None
    parts = _domain_extractor()(url)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}".lower()


def agency_in(text: Optional[str]) -> Optional[str]:
    """The canonical agency named by a short text such as a dateline or sign-off."""
    if not text:
        return None
    spellings = agency_spellings()
    for word in re.findall(r"[A-Za-z][A-Za-z-]{1,30}(?: [A-Z][a-z]{1,20})?", text):
        name = spellings.get(word.lower())
        if name:
            return name
    return None


def identify_source(article: Article) -> dict[str, Any]:
    """Publisher, domain and agency of an article."""
    domain = registered_domain(article.url)
    outlet = outlet_registry().get(domain) if domain else None
    source: dict[str, Any] = {"domain": domain, "publisher": None, "agency": None}
    if outlet:
        source.update(publisher=outlet["name"], country=outlet["country"])
    elif article.source.get("site_name"):
        source["publisher"] = article.source["site_name"]
    elif article.raw.source:
        source["publisher"] = article.raw.source
    dateline = article.dateline or {}
    source["agency"] = dateline.get("agency") and agency_in(dateline["agency"]) or next(
        (name for name in map(agency_in, article.credits) if name), None
    )
    return source


def tag_source(article: Article) -> Article:
    return article.replace(source=identify_source(article))


class TagSource(beam.PTransform):
    """Articles -> Articles with ``source`` filled in."""

    def expand(self, articles):
        return apply_stage(articles, "TagSource", StageDoFn(STAGE, tag_source))
