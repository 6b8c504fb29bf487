"""Language stage: ISO 639-1 language of the article body (langdetect, seeded).

``detect_language(text) -> LanguageResult`` is the pure function. Text with too
few letters, or whose best guess is not probable enough, is ``und`` with a low
confidence rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from transforms.stage import StageDoFn, apply_stage

STAGE = "language"
MIN_LETTERS = 20
MIN_PROBABILITY = 0.70
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class LanguageResult:
    language: str
    confidence: float


def _detector_factory():
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0  # deterministic output
    return DetectorFactory


def detect_language(text: str) -> LanguageResult:
    """The language of ``text``, or ``und`` when too short or ambiguous."""
    letters = len(_LETTER.findall(text[:5000]))
    if letters < MIN_LETTERS:
        return LanguageResult("und", 0.0)
    from langdetect import detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    _detector_factory()
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return LanguageResult("und", 0.0)
    code = best.lang.split("-")[0]
    if best.prob < MIN_PROBABILITY:
        return LanguageResult("und", float(best.prob))
    return LanguageResult(code, float(best.prob))


def tag_language(article: Article) -> Article:
    result = detect_language(article.body)
    Metrics.counter(STAGE, f"detected.{result.language}").inc()
    return article.replace(language=result.language, language_confidence=result.confidence)


class TagLanguage(beam.PTransform):
    """Articles -> Articles with ``language`` and ``language_confidence``."""

    def expand(self, articles):
        return apply_stage(articles, "TagLanguage", StageDoFn(STAGE, tag_language))
