"""Language stage: accuracy on the project's own sentences, und, Malay vs Indonesian, mixed pages, the Beam stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.records import Article, Origin, RawArticle
from transforms.language import (
    MIN_CONFIDENCE,
    UNDETERMINED,
    count_letters,
    detect_language,
    language_spans,
    load_detectors,
    malay_or_indonesian,
    tag_language,
)

FIXTURES = Path(__file__).parent / "fixtures" / "language"


def sentences(folder: Path) -> dict[str, list[str]]:
    return {
        path.stem: [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in sorted(folder.glob("*.txt"))
    }


@pytest.fixture(scope="module")
def detectors():
    return load_detectors()


@pytest.fixture(scope="module")
def accuracy(detectors):
    """Per language: share of the fixture sentences detected as that language."""
    out = {}
    for name, folder in (("sentences", FIXTURES), ("short", FIXTURES / "short")):
        for code, pool in sentences(folder).items():
            if code != "und":
                out[(name, code)] = sum(detect_language(s, detectors).language == code for s in pool) / len(pool)
    return out


def test_fixture_sets_are_large_enough():
    pools = sentences(FIXTURES)
    for code in ("id", "en", "ms", "nl", "de", "fr", "es", "pt", "it", "tr", "vi", "tl"):
        assert len(pools[code]) >= 30, code


@pytest.mark.parametrize("code", ["id", "en"])
def test_indonesian_and_english_at_least_99_percent(accuracy, code):
    assert accuracy[("sentences", code)] >= 0.99
    assert accuracy[("short", code)] >= 0.93  # 15 headline-length sentences: at most one miss


def test_other_languages_average_at_least_98_percent(accuracy):
    for name in ("sentences", "short"):
        others = [v for (set_name, code), v in accuracy.items() if set_name == name and code not in ("id", "en", "ms")]
        assert len(others) == 9
        assert sum(others) / len(others) >= 0.98, name


def test_malay_is_ms_not_id(accuracy):
    assert accuracy[("sentences", "ms")] >= 0.95
    assert accuracy[("short", "ms")] >= 0.85


@pytest.mark.parametrize("text", sentences(FIXTURES)["und"])
def test_too_short_or_no_language_is_und_with_low_confidence(detectors, text):
    result = detect_language(text, detectors)
    assert result.language == UNDETERMINED
    assert result.confidence < MIN_CONFIDENCE


@pytest.mark.parametrize("text", ["", "   \n\n  ", "1234567890 " * 50, "!!! ??? ... --- ***" * 20])
def test_no_letters_is_und(detectors, text):
    assert detect_language(text, detectors) .language == UNDETERMINED


def test_malay_markers_decide_long_text_without_lingua_doubt(detectors):
    malay = ("Kerajaan negeri akan membelanjakan RM40 juta bagi projek bekalan air kerana permintaan "
             "meningkat, kata beliau. Syarikat itu menjangka kos meningkat 5 peratus tahun lepas.")
    indonesian = ("Pemerintah daerah menyiapkan anggaran Rp 40 miliar karena permintaan air bersih meningkat, "
                  "kata dia. Perusahaan itu memperkirakan biaya naik 5 persen pekan lalu.")
    assert malay_or_indonesian(malay, detectors)[0] == "ms"
    assert malay_or_indonesian(indonesian, detectors)[0] == "id"
    assert malay_or_indonesian(malay, detectors)[1] > 0.95
    assert detect_language(malay, detectors).language == "ms"
    assert detect_language(indonesian, detectors).language == "id"


def test_deterministic(detectors):
    text = "Warga diminta tetap tenang."
    results = {detect_language(text, detectors) for _ in range(5)}
    assert len(results) == 1


def _mixed_page() -> tuple[str, str]:
    pools = sentences(FIXTURES)
    indonesian = "\n".join(" ".join(pools["id"][i:i + 3]) for i in range(0, 24, 3))
    english = ("We use cookies to personalise content and ads, to provide social media features and to analyse "
               "our traffic. By continuing to browse you agree to our use of cookies.")
    return indonesian + "\n" + english + "\nOK", english


def test_mixed_page_has_language_runs_covering_the_body(detectors):
    page, english = _mixed_page()
    result = detect_language(page, detectors)
    assert result.language == "id"
    assert [run["language"] for run in result.spans] == ["id", "en"]
    first, second = result.spans
    assert first["start"] == 0 and second["end"] == len(page)
    assert page[second["start"]:second["end"]].startswith(english)  # the short "OK" line joins the run before it
    assert all(0 < run["confidence"] <= 1 for run in result.spans)


def test_english_quote_block_in_middle_makes_three_runs(detectors):
    pools = sentences(FIXTURES)
    top = "\n".join(pools["id"][:6])
    middle = " ".join(pools["en"][:3])
    bottom = "\n".join(pools["id"][6:12])
    spans = detect_language(f"{top}\n{middle}\n{bottom}", detectors).spans
    assert [run["language"] for run in spans] == ["id", "en", "id"]


def test_single_language_page_has_no_spans(detectors):
    pools = sentences(FIXTURES)
    page = "\n".join(pools["de"][:12])
    result = detect_language(page, detectors)
    assert result.language == "de" and result.spans == ()
    assert language_spans(page, "de", detectors) == ()


def test_hostile_input_does_not_crash(detectors):
    nasty = "Polisi menangkap tersangka \x00\x07\x85 di Jakarta \ud800 kemarin pagi karena kasus narkoba.\n" * 3
    assert detect_language(nasty, detectors).language == "id"
    huge = "Pemerintah menaikkan harga BBM bersubsidi mulai hari ini. " * 20_000  # ~1.2 MB, read bounded
    assert detect_language(huge, detectors).language == "id"


def _article(body: str) -> Article:
    raw = RawArticle(id="a1", origin=Origin(path="x.txt"), text=body)
    return Article(id="a1", origin=raw.origin, raw=raw, body=body)


def test_tag_language_fills_the_article(detectors):
    page, _ = _mixed_page()
    tagged = tag_language(_article(page), detectors)
    assert tagged.language == "id" and tagged.language_confidence > 0.9
    assert [run["language"] for run in tagged.languages] == ["id", "en"]


def test_beam_stage_counts_languages():
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.testing.util import assert_that, equal_to

    from transforms.language import TagLanguage

    pools = sentences(FIXTURES)
    bodies = [" ".join(pools["id"][:4]), " ".join(pools["ms"][:4]), " ".join(pools["en"][:4]), "OK"]
    pipeline = beam.Pipeline()
    out = (pipeline | beam.Create([_article(b) for b in bodies]) | TagLanguage())
    assert_that(out.main | beam.Map(lambda a: a.language), equal_to(["id", "ms", "en", "und"]))
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter().with_namespace("language"))["counters"]}
    assert counters["detected.id"] == 1 and counters["detected.ms"] == 1 and counters["detected.und"] == 1
    assert counters["records_out"] == 4


def test_heavy_detectors_are_built_only_when_a_text_needs_them(detectors):
    from transforms.language import Detectors

    fresh = Detectors()
    long_english = ("The harbour authority said on Tuesday that the new container terminal would open in the spring, "
                    "after engineers finished testing the cranes and the rail link to the warehouses inland. ") * 3
    result = detect_language(long_english, fresh)
    assert (result.language, result.method) == ("en", "cld2")
    assert not {"lingua", "malay_pair", "langdetect_profiles"} & set(vars(fresh))  # CLD2 alone decided
    short = "Pasar ikan dibuka lagi pagi ini"  # short: the committee votes, then the id/ms discriminator
    assert detect_language(short, fresh) == detect_language(short, detectors)
    assert {"lingua", "malay_pair"} <= set(vars(fresh))
    assert load_detectors() is detectors  # one set per process, shared by every DoFn instance


@pytest.mark.parametrize("text", [
    "Harga cabai naik lagi di pasar induk pagi ini. " * 40,       # letters from the start
    "2024-05-01 | 10:15 | 3,5% | " * 30 + "Sungai meluap setelah hujan deras. " * 20,  # letters late
    "1234567890 " * 200 + "kata",                                 # almost no letters
    "—" * 600 + "Ein kurzer Satz über das Wetter." * 10,            # punctuation first
    "short text",
])
@pytest.mark.parametrize("enough", [20, 40, 250])
def test_count_letters_early_stop_agrees_with_full_count(text, enough):
    full = count_letters(text)
    assert full == sum(ch.isalpha() for ch in text)
    assert (count_letters(text, enough) >= enough) == (full >= enough)
    assert count_letters(text, enough) <= full
