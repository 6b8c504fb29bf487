"""Language stage: ISO 639-1 language of the article body, and per-paragraph spans of mixed pages.

``detect_language(text) -> LanguageResult`` is the pure function. It combines
three detectors, each where it serves best (figures: ``benchmarks/language_bench.py``):

* **CLD2** (``pycld2``, C++): decides long text (>= ``LONG_TEXT_LETTERS``
  letters) alone when it reports a reliable result -- about 0.1 ms for 3 KB.
* **Committee** for short or unreliable text: CLD2, **langdetect** (seeded, the
  project's reference detector) and **lingua** (low-accuracy mode, all
  languages) vote; a language needs two votes, otherwise the text is ``und``.
* **Indonesian vs Malay**: the detectors above confuse them (langdetect has no
  Malay model), so both count as one family in the vote and a discriminator
  decides: marker words of each standard (``data/language.json``: kerana/karena,
  bahawa/bahwa, kerajaan/pemerintah, RM/Rp...) plus lingua restricted to the
  two languages (high-accuracy mode) on the text's start.

``confidence`` is CLD2's share of the text in that language (long text) or the
voters' mean probability for the winner, counting a missing vote as 0 (short
text), times the Indonesian/Malay discriminator's confidence where it applied.
Text with fewer than ``MIN_LETTERS`` letters, or without two agreeing votes,
or under ``MIN_CONFIDENCE`` before the Indonesian/Malay step, is ``und``
(an Indonesian-or-Malay text stays ``id`` or ``ms``, with a low confidence when
the discriminator is unsure).

``spans`` (``Article.languages``) is empty for a single-language page. When a
page mixes languages it lists consecutive runs of lines in one language,
covering the body: ``{"language", "start", "end", "confidence"}`` with
``body[start:end]`` the run's text (character offsets). Lines too short to
judge (< ``MIN_SPAN_LETTERS`` letters) join the run before them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from transforms.stage import BatchStageDoFn, apply_batch_stage, map_results

STAGE = "language"
DATA_FILE = Path(__file__).with_name("data") / "language.json"
UNDETERMINED = "und"
MIN_LETTERS = 20          # fewer letters than this: und, confidence 0
LONG_TEXT_LETTERS = 250   # from this many letters CLD2 alone decides when reliable
MIN_CONFIDENCE = 0.45     # below this the result is und (with that confidence)
MIN_SPAN_LETTERS = 40     # a line needs this many letters to start a run of its own
MAX_SCAN_CHARS = 20_000   # the document decision reads at most this much text
COMMITTEE_CHARS = 1_000   # the committee reads at most this much
DISCRIMINATOR_CHARS = 600  # lingua (id/ms) reads at most this much
MARKER_CHARS = 2_500      # the marker count reads at most this much
MARKER_WEIGHT = 0.8       # log-odds per net marker word
MARKERS_DECISIVE = 4      # net markers that decide id/ms without lingua

_NON_LETTERS = re.compile(r"[\W\d_]+")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")  # the marker words are ASCII
_LINE = re.compile(r"[^\n]+")
_ISO_639_1 = re.compile(r"[a-z]{2}")
# CLD2 rejects some control characters, lingua lone surrogates; they carry no language.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _safe(text: str) -> str:
    """``text`` with characters the detectors reject replaced by spaces (offsets unchanged)."""
    return _UNSAFE.sub(" ", text)


@dataclass(frozen=True)
class LanguageResult:
    """The language of a text, how sure, and (mixed pages) its language runs."""

    language: str
    confidence: float
    spans: tuple[dict[str, Any], ...] = ()
    method: str = ""


@dataclass(frozen=True)
class _Vote:
    language: str
    score: float


class Detectors:
    """The detectors and their data, one set per process (``load_detectors``).

    The heavy parts are built on first use: lingua for all languages and
    langdetect's profiles only serve the committee (short or unreliable text),
    the lingua id/ms pair only Indonesian-or-Malay text (~0.5, ~0.4 and ~0.25
    CPU-s), so a function call that needs none never pays for them. A worker
    builds them all in ``setup`` (``worker_detectors``, ``preload()``): in a
    stream, some article soon needs each one.
    """

    def __init__(self, data_file: Path = DATA_FILE):
        from langdetect import DetectorFactory

        spec = json.loads(data_file.read_text(encoding="utf-8"))
        self.aliases: dict[str, str] = spec["code_aliases"]
        self.families: dict[str, str] = spec["families"]
        markers = spec["malay_markers"]
        self.marker_words = {side: frozenset(m["words"]) for side, m in markers.items()}
        self.marker_patterns = {side: re.compile("|".join(f"(?:{p})" for p in m["patterns"]))
                                for side, m in markers.items()}
        self.id_prior_log_odds = float(spec["id_prior_log_odds"])
        DetectorFactory.seed = 0  # langdetect is random without a seed

    @cached_property
    def lingua(self):
        """lingua over all languages, low-accuracy mode (the committee's second voter)."""
        from lingua import LanguageDetectorBuilder

        return (
            LanguageDetectorBuilder.from_all_languages()
            .with_low_accuracy_mode()
            .with_preloaded_language_models()
            .build()
        )

    @cached_property
    def malay_pair(self):
        """lingua restricted to Indonesian and Malay, high-accuracy mode (the discriminator)."""
        from lingua import Language, LanguageDetectorBuilder

        return (
            LanguageDetectorBuilder.from_languages(Language.INDONESIAN, Language.MALAY)
            .with_preloaded_language_models()
            .build()
        )

    @cached_property
    def langdetect_profiles(self) -> bool:
        """langdetect's language profiles, loaded (langdetect keeps them module-wide)."""
        from langdetect.detector_factory import init_factory

        init_factory()
        return True

    def preload(self) -> "Detectors":
        """Build every lazily built detector now."""
        _ = self.lingua, self.malay_pair, self.langdetect_profiles
        return self

    def code(self, raw: str) -> str:
        """A detector's code as ISO 639-1; ``und`` for languages without a two-letter code."""
        raw = raw.lower()
        code = self.aliases.get(raw, raw.split("-")[0])
        return code if _ISO_639_1.fullmatch(code) else UNDETERMINED

    def family(self, code: str) -> str:
        return self.families.get(code, code)


@lru_cache(maxsize=1)
def load_detectors() -> Detectors:
    """The process-wide detectors: every DoFn instance in a process shares them."""
    return Detectors()


def worker_detectors() -> Detectors:
    """What a worker's ``setup`` builds: the process-wide detectors with every lazily built part
    built now, so no article in the stream pays a one-off load (~1 CPU-s in all)."""
    return load_detectors().preload()


def count_letters(text: str, enough: Optional[int] = None) -> int:
    """Letters in ``text``; with ``enough``, may stop early once that many are certain
    (then the count is of a prefix: only ``>= enough`` is meaningful)."""
    if enough is not None:
        for window in (2 * enough, 6 * enough):  # prose is mostly letters: the short one usually does
            if len(text) <= window:
                break
            found = len(_NON_LETTERS.sub("", text[:window]))
            if found >= enough:
                return found
    return len(_NON_LETTERS.sub("", text))


@dataclass(frozen=True)
class _Cld2:
    reliable: bool
    ranked: tuple[tuple[str, int], ...]  # (code, percent of text) best first
    chunks: tuple[tuple[int, int, str], ...] = ()  # (start, end, code) character offsets


def _cld2(text: str, chunks: bool = False) -> _Cld2:
    """CLD2's verdict on ``text`` (already ``_safe``); with ``chunks``, also its language per stretch."""
    import pycld2

    safe = text
    try:
        result = pycld2.detect(safe, returnVectors=chunks)
    except pycld2.error:  # input CLD2 cannot read: no vote from it
        return _Cld2(False, ())
    ranked = tuple((code, pct) for _, code, pct, _ in result[2] if code != "un")
    if not chunks:
        return _Cld2(result[0], ranked)
    data, spans = safe.encode("utf-8"), []
    for offset, length, _, code in result[3]:
        start = len(data[:offset].decode("utf-8", "ignore"))
        spans.append((start, start + len(data[offset:offset + length].decode("utf-8", "ignore")), code))
    return _Cld2(result[0], ranked, tuple(spans))


def _cld2_vote(text: str, detectors: Detectors) -> Optional[_Vote]:
    verdict = _cld2(text)
    if not verdict.ranked:
        return None
    code, pct = verdict.ranked[0]
    return _Vote(detectors.family(detectors.code(code)), (pct / 100) * (1.0 if verdict.reliable else 0.6))


def _langdetect_vote(text: str, detectors: Detectors) -> Optional[_Vote]:
    from langdetect import detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    try:  # loads langdetect's profiles on the first call (Detectors.langdetect_profiles)
        best = detect_langs(text)[0]
    except LangDetectException:  # no usable features: no vote from it
        return None
    return _Vote(detectors.family(detectors.code(best.lang)), float(best.prob))


def _lingua_vote(text: str, detectors: Detectors) -> Optional[_Vote]:
    values = detectors.lingua.compute_language_confidence_values(text)
    if not values or values[0].value <= 0:
        return None
    best = values[0]
    return _Vote(detectors.family(best.language.iso_code_639_1.name.lower()), float(best.value))


def _committee(text: str, detectors: Detectors) -> tuple[str, float]:
    """Majority of CLD2, lingua and langdetect (families merged); und without two votes.

    langdetect, the slowest, is asked only when the other two disagree. The
    confidence is the winner's summed scores over the number of detectors asked.
    """
    sample = text[:COMMITTEE_CHARS]
    votes = [_cld2_vote(sample, detectors), _lingua_vote(sample, detectors)]
    if votes[0] is None or votes[1] is None or votes[0].language != votes[1].language:
        votes.append(_langdetect_vote(sample, detectors))
    tally: dict[str, list[float]] = {}
    for vote in votes:
        if vote is not None:
            tally.setdefault(vote.language, []).append(vote.score)
    if not tally:
        return UNDETERMINED, 0.0
    winner, scores = max(tally.items(), key=lambda kv: (len(kv[1]), sum(kv[1])))
    confidence = sum(scores) / len(votes)
    if len(scores) < 2:
        return UNDETERMINED, confidence
    return winner, confidence


def malay_or_indonesian(text: str, detectors: Optional[Detectors] = None) -> tuple[str, float]:
    """``ms`` or ``id`` for text known to be one of them, with the discriminator's confidence."""
    detectors = detectors or load_detectors()
    text = _safe(text[:max(MARKER_CHARS, DISCRIMINATOR_CHARS)])
    sample = text[:MARKER_CHARS]
    words = _WORD.findall(sample.lower())
    score = {
        side: sum(1 for w in words if w in detectors.marker_words[side])
        + len(detectors.marker_patterns[side].findall(sample))
        for side in ("ms", "id")
    }
    log_odds = MARKER_WEIGHT * (score["ms"] - score["id"])  # > 0 favours Malay
    if abs(score["ms"] - score["id"]) < MARKERS_DECISIVE:
        values = detectors.malay_pair.compute_language_confidence_values(text[:DISCRIMINATOR_CHARS])
        p_ms = next((v.value for v in values if v.language.iso_code_639_1.name == "MS"), 0.5)
        p_ms = min(max(p_ms, 1e-3), 1 - 1e-3)
        log_odds += math.log(p_ms / (1 - p_ms)) + detectors.id_prior_log_odds
    confidence = 1 / (1 + math.exp(-abs(log_odds)))
    return ("ms" if log_odds > 0 else "id"), confidence


def _decide(text: str, letters: int, verdict: _Cld2, detectors: Detectors) -> tuple[str, float, str]:
    """(code, confidence, method) for one text with ``letters`` letters and CLD2's ``verdict``."""
    if letters < MIN_LETTERS:
        return UNDETERMINED, 0.0, "too_short"
    code, confidence, method = UNDETERMINED, 0.0, ""
    if letters >= LONG_TEXT_LETTERS and verdict.reliable and verdict.ranked:
        code, pct = verdict.ranked[0]
        code = detectors.family(detectors.code(code))
        if code != UNDETERMINED:
            confidence, method = pct / 100, "cld2"
    if not method:
        (code, confidence), method = _committee(text, detectors), "committee"
    if code != UNDETERMINED and confidence < MIN_CONFIDENCE:
        code = UNDETERMINED
    if code == "malay":  # the family is sure; which member may be less so (low confidence, not und)
        member, certainty = malay_or_indonesian(text, detectors)
        code, confidence = member, confidence * certainty
    return code, round(min(confidence, 1.0), 4), method


def _line_language(line: str, document: str, detectors: Detectors) -> tuple[Optional[str], float]:
    """The language of one line of a page in ``document`` language; None when too short to say."""
    if count_letters(line, MIN_SPAN_LETTERS) < MIN_SPAN_LETTERS:
        return None, 0.0
    verdict = _cld2(line)
    if not verdict.ranked:
        return None, 0.0
    guess = detectors.family(detectors.code(verdict.ranked[0][0]))
    if guess == detectors.family(document):
        return document, verdict.ranked[0][1] / 100
    code, confidence = _committee(line, detectors)  # a dissenting line must convince the committee
    if code == UNDETERMINED or code == detectors.family(document):
        return None, 0.0
    if code == "malay":
        code = malay_or_indonesian(line, detectors)[0]
    return code, round(confidence, 4)


def language_spans(
    text: str,
    document: str,
    detectors: Optional[Detectors] = None,
    verdict: Optional[_Cld2] = None,
    document_confidence: float = 0.0,
) -> tuple[dict[str, Any], ...]:
    """Runs of lines in one language when ``text`` mixes languages; () when it does not.

    Only lines overlapping a stretch CLD2 assigns to another language
    (``verdict.chunks``) are examined; the others are in ``document`` language
    with ``document_confidence``.
    """
    detectors = detectors or load_detectors()
    text = _safe(text[:MAX_SCAN_CHARS])
    verdict = verdict if verdict is not None else _cld2(text, chunks=True)
    family = detectors.family(document)
    dissent = [(start, end) for start, end, code in verdict.chunks
               if code != "un" and detectors.family(detectors.code(code)) != family]
    if not dissent:
        return ()
    runs: list[dict[str, Any]] = []
    for match in _LINE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in dissent):
            code, confidence = _line_language(match.group(), document, detectors)
        elif count_letters(match.group(), MIN_SPAN_LETTERS) >= MIN_SPAN_LETTERS:
            code, confidence = document, document_confidence
        else:
            code, confidence = None, 0.0
        if code is None and runs:
            runs[-1]["end"] = match.end()
            continue
        code, confidence = (code, confidence) if code else (document, document_confidence)
        if runs and runs[-1]["language"] == code:
            runs[-1]["end"] = match.end()
            runs[-1]["confidence"] = max(runs[-1]["confidence"], confidence)
        else:
            runs.append({"language": code, "start": match.start(), "end": match.end(), "confidence": confidence})
    if len({run["language"] for run in runs}) < 2:
        return ()
    for run in runs:
        run["confidence"] = round(run["confidence"], 4)
    return tuple(runs)


def detect_language(text: str, detectors: Optional[Detectors] = None) -> LanguageResult:
    """The language of ``text`` (``und`` when too short or ambiguous) and its mixed-language spans."""
    detectors = detectors or load_detectors()
    head = _safe(text[:MAX_SCAN_CHARS])
    letters = count_letters(head, LONG_TEXT_LETTERS)
    verdict = _cld2(head, chunks=True) if letters >= MIN_LETTERS else _Cld2(False, ())
    code, confidence, method = _decide(head, letters, verdict, detectors)
    spans = (language_spans(head, code, detectors, verdict, confidence)
             if code != UNDETERMINED and "\n" in head else ())
    return LanguageResult(code, confidence, spans, method)


def tag_language(article: Article, detectors: Optional[Detectors] = None) -> Article:
    """The language stage for one article."""
    result = detect_language(article.body, detectors)
    Metrics.counter(STAGE, f"detected.{result.language}").inc()
    return article.replace(
        language=result.language, language_confidence=result.confidence, languages=result.spans
    )


class TagLanguage(beam.PTransform):
    """Articles -> Articles with ``language``, ``language_confidence`` and ``languages``."""

    def expand(self, articles):
        dofn = BatchStageDoFn(STAGE, map_results(tag_language), setup_fn=worker_detectors)
        return apply_batch_stage(articles, "TagLanguage", dofn)
