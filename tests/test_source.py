"""Source stage: publisher, domain, agency and cited outlets on phrasings and outlets not in the seeds."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from schemas.records import Article, Origin, RawArticle
from transforms.source import (
    agency_in,
    cited_outlets,
    identify_source,
    outlet_named,
    registered_domain,
    tag_source,
)


def article(body: str, url: Optional[str] = None, dateline: Optional[dict[str, Any]] = None,
            credits: tuple[str, ...] = (), captions: tuple[str, ...] = (), site_name: Optional[str] = None,
            feed: Optional[str] = None) -> Article:
    raw = RawArticle(id="a", origin=Origin(path="x"), text=body, source=feed)
    return Article(id="a", origin=raw.origin, raw=raw, url=url, body=body, dateline=dateline, credits=credits,
                   captions=captions, source={"site_name": site_name} if site_name else {})


@pytest.mark.parametrize("url, domain, publisher, country", [
    ("https://news.detik.com/berita/d-123/judul", "detik.com", "Detik", "ID"),
    ("https://megapolitan.kompas.com/read/2024/01/01/x", "kompas.com", "Kompas", "ID"),
    ("https://www.bharian.com.my/berita/nasional/2024/05/1", "bharian.com.my", "Berita Harian", "MY"),
    ("https://en.tempo.co/read/1", "tempo.co", "Tempo", "ID"),
    ("http://WWW.REUTERS.COM/world/", "reuters.com", "Reuters", "GB"),
])
def test_publisher_from_domain(url, domain, publisher, country):
    source = identify_source(article("Isi berita.", url=url))
    assert (source["domain"], source["publisher"], source["country"], source["publisher_from"]) == (
        domain, publisher, country, "domain")


def test_unknown_domain_falls_back_to_site_name_then_feed():
    assert identify_source(article("x", url="https://beritabaru.example.id/a", site_name="Berita Baru"))[
        "publisher"] == "Berita Baru"
    feed = identify_source(article("x", url="https://beritabaru.example.id/a", feed="kumparan"))
    assert feed["publisher"] == "Kumparan" and feed["publisher_from"] == "feed"
    assert identify_source(article("x"))["publisher"] is None
    assert registered_domain("not a url") is None and registered_domain(None) is None


@pytest.mark.parametrize("lead, publisher", [
    ("JAKARTA, KOMPAS.com - Pemerintah resmi menaikkan harga.", "Kompas"),
    ("Liputan6.com, Jakarta - Harga emas naik hari ini.", "Liputan6"),
    ("TEMPO.CO, Jakarta - Presiden meresmikan jalan tol.", "Tempo"),
    ("REPUBLIKA.CO.ID, JAKARTA -- Menteri Agama mengumumkan jadwal.", "Republika"),
    ("Suara.com - Seorang warga melaporkan kehilangan motor.", "Suara"),
    ("BeritaKota.net - Pasar malam kembali dibuka.", "BeritaKota.net"),  # unknown, but reads as a domain
])
def test_publisher_from_lead_line(lead, publisher):
    source = identify_source(article(f"{lead}\nKalimat kedua berita ini."))
    assert source["publisher"] == publisher and source["publisher_from"] == "lead"


def test_place_dateline_is_not_a_publisher():
    assert identify_source(article("Surabaya - Hujan deras mengguyur kota sejak pagi."))["publisher"] is None


def test_publisher_from_parsed_dateline_and_credit_tag():
    by_dateline = identify_source(article("Isi.", dateline={"text": "OKEZONE.COM -", "outlet": "Okezone.com"}))
    assert by_dateline["publisher"] == "Okezone" and by_dateline["publisher_from"] == "dateline"
    by_credit = identify_source(article("Isi berita.\n(Sindonews.com/Budi Santoso)"))
    assert by_credit["publisher"] == "Sindonews" and by_credit["publisher_from"] == "credit"
    by_credit_field = identify_source(article("Isi.", credits=("(kumparan.com/Ani)",)))
    assert by_credit_field["publisher"] == "Kumparan"


@pytest.mark.parametrize("kwargs, agency", [
    ({"dateline": {"text": "PARIS (AFP) -", "place": "Paris", "agency": "AFP"}}, "AFP"),
    ({"body": "KUALA LUMPUR, 3 Mac (Bernama) -- Kerajaan akan mengumumkan bajet.\nAyat kedua."}, "Bernama"),
    ({"body": "BEIJING, March 3 (Xinhua) -- China's exports rose.\nSecond line."}, "Xinhua"),
    ({"credits": ("Reporting by Jane Doe; Editing by John Roe for Reuters",)}, "Reuters"),
    ({"credits": ("(ANTARA/Rina Wulandari)",)}, "Antara"),
    ({"body": "The talks ended without a deal.\nMore talks are planned.\n— AP"}, "AP"),
    ({"body": "Pembicaraan berakhir.\n(dpa)"}, "dpa"),
    ({"captions": ("Warga mengungsi. (ANTARA FOTO/Budi Candra)",)}, "Antara"),
    ({"captions": ("Rescuers at the site. Photo: JOHN SMITH/AFP",)}, "AFP"),
    ({"url": "https://www.antaranews.com/berita/1"}, "Antara"),
])
def test_agency(kwargs, agency):
    body = kwargs.pop("body", "Isi berita tanpa kantor berita.")
    assert identify_source(article(body, **kwargs))["agency"] == agency


def test_no_agency_without_evidence():
    source = identify_source(article("Antara lain, warga meminta jalan diperbaiki.\nDi antara mereka ada petani."))
    assert source["agency"] is None and source["agencies"] == [] and source["cited"] == []


def test_dateline_beats_caption_and_agencies_are_listed_once():
    source = identify_source(article("Text.\nReuters", dateline={"text": "GAZA (AP) -", "agency": "AP"},
                                     captions=("A child. Picture: X/REUTERS", "Another. Picture: Y/REUTERS")))
    assert source["agency"] == "AP" and source["agencies"] == ["AP", "Reuters"]


@pytest.mark.parametrize("text, cited", [
    ("Kantor berita Xinhua melaporkan bahwa banjir menewaskan 12 orang.", ["Xinhua"]),
    ("Seperti dilansir dari Al Jazeera, serangan terjadi pada malam hari.", ["Al Jazeera"]),
    ("The ministry confirmed the figures, Interfax news agency reported.", ["Interfax"]),
    ("According to the state-run IRNA, the talks will resume.", ["IRNA"]),
    ("Menurut laporan Haaretz, kabinet menolak usulan itu.", ["Haaretz"]),
    ("Dipetik daripada Bernama, menteri berkata projek itu ditangguhkan.", ["Bernama"]),
    ("The official told Kyodo News that the plan was dropped.", ["Kyodo"]),
    ("Sputnik dan RIA Novosti sama-sama melaporkan kunjungan itu. RIA kemudian mengutip sumber lain.",
     ["Sputnik", "RIA Novosti"]),
    ("Ia mengatakan kepada surat kabar Yomiuri bahwa pabrik ditutup.", ["Yomiuri Shimbun"]),
    ("Harian Asahi melaporkan rencana itu pekan lalu.", ["Asahi"]),  # not in the registry: name as written
    ("The Nikkei newspaper reported on Monday that the deal was off.", ["Nikkei"]),
    ("Kantor berita Rusia, mengutip pejabat, menyebut hal itu.", []),  # a country is not an outlet
    ("Russian news agencies reported the visit.", []),
    ("Reuters could not independently verify the claim.", []),  # a mention, not a citation
])
def test_cited(text, cited):
    assert cited_outlets(text) == cited


def test_cited_each_once_canonical_and_excludes_own_agency_and_publisher():
    text = ("TASS melaporkan kunjungan itu. Tass kemudian menambahkan rincian. Menurut ITAR-TASS, "
            "pembicaraan berlanjut. Kata pejabat itu kepada Reuters, semua berjalan baik. "
            "Dilansir Kompas.com, warga menyambut baik.")
    assert cited_outlets(text) == ["TASS", "Reuters", "Kompas"]
    source = identify_source(article(text, url="https://www.kompas.com/x", dateline={"agency": "Reuters"}))
    assert source["cited"] == ["TASS"]


def test_registry_lookups():
    assert outlet_named("TRIBUNNEWS.COM")["name"] == "Tribunnews"
    assert outlet_named("tribunnews.com")["name"] == "Tribunnews"
    assert outlet_named("nowhere") is None
    assert agency_in("Foto: ANTARA FOTO/Aditya") == "Antara"
    assert agency_in("Agence France-Presse") == "AFP"
    assert agency_in(None) is None


def test_hostile_input_is_bounded():
    body = ("(" * 5000) + "according to " * 3000 + "Reuters " * 3000 + "-" * 10_000
    source = identify_source(article(body, url="http://[::1" + "a" * 10_000))
    assert source["domain"] is None
    assert isinstance(source["cited"], list)


def test_tag_source_sets_the_field():
    tagged = tag_source(article("JAKARTA, KOMPAS.com - Isi.\nDilansir dari AFP, harga minyak turun."))
    assert tagged.source["publisher"] == "Kompas" and tagged.source["cited"] == ["AFP"]


# ------------------------------------------------- the fast scans equal the plain scans

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import transforms.source as source_module  # noqa: E402


def plain_find_names(text: str, table: dict[str, Any]) -> list[tuple[int, int, Any]]:
    """The specification of ``_find_names``: every ``_TOKEN`` word of the text, left to right."""
    tokens = list(source_module._TOKEN.finditer(text))
    first_words = source_module.registry().first_words
    found, i = [], 0
    while i < len(tokens):
        word = tokens[i].group()
        if word not in first_words and word.rstrip(".,'’") not in first_words:
            i += 1
            continue
        for n in range(min(source_module.MAX_NAME_WORDS, len(tokens) - i), 0, -1):
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            span = text[start:end]
            key = span if span in table else span.rstrip(".,'’")
            value = table.get(key)
            if value is not None and (n == 1 or source_module._single_spaced(text, tokens[i:i + n])):
                found.append((start, start + len(key), value))
                i += n
                break
        else:
            i += 1
    return found


def _spans(matches) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group("name")) for m in matches]


def fast_and_plain(text: str) -> tuple[list, list]:
    reg = source_module.registry()
    chunks = source_module._flagged_chunks(text, reg)
    fast = [source_module._find_names(text, reg.cited_names, chunks),
            _spans(source_module._prefix_matches(text, chunks, reg)),
            _spans(source_module._postfix_matches(text, chunks, reg)),
            source_module._find_names(text, reg.agency_names)]
    plain = [plain_find_names(text, reg.cited_names),
             _spans(reg.unknown_prefix.finditer(text)),
             _spans(reg.unknown_postfix.finditer(text)),
             plain_find_names(text, reg.agency_names)]
    return fast, plain


# Pieces chosen to hit the scans' edge cases: names glued to punctuation or to each other, names
# of several words, outlet nouns of one and two words in any case (also the characters re's
# IGNORECASE folds to ASCII: dotted/dotless i, long s, Kelvin sign), words longer than a token,
# '×' (starts a word but cannot continue one), odd whitespace.
_PIECES = [
    "Kantor Berita", "kantor  berita", "KANTOR\nBERITA", "news agency", "News\tAgency", "stasiun televisi",
    "media", "MEDİA", "medıa", "Medium", "halaman", "multi-media", "(media", "situs", "ſitus", "laman",
    "newspaper", "Newspaper", "daily", "DAILY", "TV", "tv-", "\u212aoran", "television", "broadcaster",
    "magazine", "news outlet", "media outlet", "Reuters", "REUTERS", "(Reuters)", "Reuters.", "Reuters’",
    "AFP", "AFP/ANTARA", "Antara News", "ANTARA", "The Jakarta Post", "The", "Jakarta", "Post", "The Guardian.",
    "Kompas TV", "kompas.com", "KOMPAS.com", "Xinhua", "Xinhua News Agency", "Associated Press", "Al Jazeera",
    "Sputnik", "TASS", "RIA", "Novosti", "×Reuters", "a×AFP", "_AFP", "'Reuters", "x" * 45 + "Reuters",
    "R" * 41 + "AFP", "melaporkan", "according to", "menurut", "said", "dilansir", "Interfax", "Harian Kompas",
    "Sky", "News", "Daily Mail", "Le Monde", "state", "Rusia", "Russian", "said", "yang", "dan", "Mr.", "U.S.",
    "Borneo Herald Weekly Tribune", "Abcdefghijklmnopqrstuvwxyzabcd", "Abcdefghijklmnopqrstuvwxyzabcde", "Q",
]
_SEPARATORS = [" ", " ", " ", "", "\n", ", ", " (", ") ", "/", "  ", "\t", "\u00a0", "\u2003", "-", "."]
_texts = st.lists(st.tuples(st.sampled_from(_SEPARATORS), st.sampled_from(_PIECES)), max_size=60).map(
    lambda parts: "".join(sep + piece for sep, piece in parts))


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_fast_scans_equal_plain_scans_on_generated_text(text):
    fast, plain = fast_and_plain(text)
    assert fast == plain


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAbR euTrs.’'()×İıſ\u212a\n-/NwMdiTVk")), max_size=200))
def test_fast_scans_equal_plain_scans_on_random_characters(text):
    fast, plain = fast_and_plain(text)
    assert fast == plain


def test_fast_scans_equal_plain_scans_past_the_chunk_limit():
    # More distinct chunks with a trigger than MAX_FLAGGED_CHUNKS: the whole text is scanned.
    text = " ".join(f"media{i} Reuters/{i} (AFP){i} Foo Daily" for i in range(source_module.MAX_FLAGGED_CHUNKS))
    assert source_module._flagged_chunks(text, source_module.registry()) is None
    fast, plain = fast_and_plain(text)
    assert fast == plain and fast[0] and fast[2]


def test_cited_outlets_unchanged_by_the_chunk_cache():
    text = ("Surat kabar Harian Nusantara melaporkan kenaikan harga. Menurut laporan kantor berita Reuters, "
            "the Borneo Herald newspaper said the talks failed.")
    first = cited_outlets(text)
    reg = source_module.registry()
    reg.plain_chunks.clear()
    reg.chunk_flags.clear()
    assert cited_outlets(text) == first
    assert first == ["Harian Nusantara", "Reuters", "Borneo Herald"]


def test_ignorecase_folding_covers_every_character_re_folds_to_ascii():
    # _fold must map every character that re.IGNORECASE equates with an ASCII letter to that letter.
    import re
    import sys

    any_letter = re.compile("[a-z]", re.IGNORECASE)
    letters = [(letter, re.compile(letter, re.IGNORECASE)) for letter in "abcdefghijklmnopqrstuvwxyz"]
    checked = 0
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if any_letter.fullmatch(char):
            for letter, pattern in letters:
                if pattern.fullmatch(char):
                    assert source_module._fold(char) == letter, (hex(code), letter)
                    checked += 1
    assert checked >= 52 + 4  # both cases of every letter, and at least the four special characters


@pytest.mark.parametrize("text", [
    # the longest name the postfix pattern allows (4 words of 31 characters), then one longer
    " ".join(w * 31 for w in "ABCD") + " newspaper reported the deal.",
    "x " + " ".join("Q" + w * 30 for w in "abcde") + "   \n daily said so.",
    # a two-word outlet noun split over lines and spaces, before the name
    "Menurut kantor \n\n  berita   Nusantara Raya, harga naik.",
    "the state-run news\u00a0agency Orbis Tribune reported",
])
def test_fast_scans_equal_plain_scans_at_the_window_edges(text):
    fast, plain = fast_and_plain(text)
    assert fast == plain and (fast[1] or fast[2])
