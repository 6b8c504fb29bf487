"""Parse stage: decoding, validation and one dead-letter reason per kind of bad input."""

import gzip
import unicodedata
from pathlib import Path

import lxml.html
import orjson
import pytest
from hypothesis import given, settings, strategies as st

from schemas.records import Article
from schemas.validate import errors
from tests.conftest import raw_record, run_stage
from benchmarks.html_extraction import trafilatura_only
from transforms.parse import (ParseArticles, decode_record, drop_link_lines, drop_unseen, headline_texts, link_texts, normalize_text,
                              paragraphs_from_breaks, unwrap_layout_tables,
                              split_headline,
                              normalize_timestamp, parse_record)
from transforms.stage import StageError

GOOD_TEXT = "Gempa Guncang Lombok Utara\nMATARAM (Antara) - Gempa bermagnitudo 5,1 mengguncang Lombok Utara pada Selasa pagi.\nWarga berhamburan keluar rumah."


def _reason(record, max_bytes=5 * 1024 * 1024):
    with pytest.raises(StageError) as info:
        parse_record(record, max_bytes)
    return info.value.reason


@pytest.mark.parametrize("data, fmt, reason", [
    (b"\xff\xfe\xfa broken", "text", "undecodable"),
    (b"", "text", "empty"),
    (b"   \n\t  \n", "text", "empty"),
    ("\x00\x01\x02\x1b\x7f".encode(), "text", "no_letters"),
    (b"12345 --- 678 !!!", "text", "no_letters"),
    (b"{not json", "json", "invalid_json"),
    (b"[1, 2, 3]", "json", "not_object"),
    (b'"just a string"', "json", "not_object"),
    (b'{"url": "https://x.test/a", "title": "No body"}', "json", "missing_text"),
    (b'{"text": 42}', "json", "wrong_type"),
    (b'{"text": "Ada teks di sini.", "url": ["https://x.test"]}', "json", "wrong_type"),
    (b'{"text": "Ada teks di sini.", "id": 7}', "json", "wrong_type"),
    (b'{"text": "   "}', "json", "empty"),
    (b'{"html": "<html><body><script>var a=1;</script></body></html>"}', "json", "empty"),
])
def test_bad_input_gets_a_clear_reason(data, fmt, reason):
    assert _reason(raw_record(data, fmt)) == reason


def test_oversize_input_is_rejected_with_its_size():
    record = raw_record("kata " * 300)
    with pytest.raises(StageError) as info:
        parse_record(record, max_bytes=1000)
    assert info.value.reason == "oversize" and "1500 bytes" in info.value.message


def test_text_article_keeps_text_and_finds_title_and_dateline():
    a = parse_record(raw_record(GOOD_TEXT))
    assert a.title == "Gempa Guncang Lombok Utara"
    assert a.dateline["agency"] == "Antara" and a.dateline["place"] == "Mataram"
    assert a.body.startswith("Gempa bermagnitudo 5,1")
    assert "Warga berhamburan" in a.body


def test_json_record_keeps_given_id_and_fields():
    line = orjson.dumps({"id": "feed-123", "url": "https://www.example.co.id/a/1", "title": "Judul",
                         "text": "Isi berita yang cukup panjang untuk diuji.", "published_at": "2024-02-05T10:00:00+07:00"})
    a = parse_record(raw_record(line, "json"))
    assert a.id == "feed-123" and a.title == "Judul" and a.url == "https://www.example.co.id/a/1"
    assert a.published_at == "2024-02-05T03:00:00Z"


def test_id_is_a_stable_hash_of_url_else_content():
    by_url_1 = decode_record(raw_record(orjson.dumps({"url": "https://a.test/1", "text": "satu"}), "json"))
    by_url_2 = decode_record(raw_record(orjson.dumps({"url": "https://a.test/1", "text": "dua"}), "json"))
    assert by_url_1.id == by_url_2.id
    by_text_1 = decode_record(raw_record("Teks yang sama."))
    by_text_2 = decode_record(raw_record("Teks yang sama.", path="other.txt"))
    assert by_text_1.id == by_text_2.id != by_url_1.id
    assert len(by_text_1.id) == 16


def test_html_page_is_reduced_to_main_text():
    html = ("<html><head><title>Banjir di Semarang</title></head><body><nav>Home | News | Sport</nav>"
            "<article><h1>Banjir di Semarang</h1><p>Banjir setinggi satu meter merendam ratusan rumah di Semarang "
            "sejak Senin malam setelah hujan deras mengguyur kota itu selama berjam-jam.</p><p>Petugas mengevakuasi "
            "warga lanjut usia ke masjid terdekat, kata kepala badan penanggulangan bencana setempat.</p></article>"
            "<footer>Copyright 2024</footer></body></html>")
    a = parse_record(raw_record(html, "html"))
    assert "Banjir setinggi satu meter" in a.body and "Petugas mengevakuasi" in a.body
    assert "Home | News" not in a.body
    assert a.title == "Banjir di Semarang"


_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(_WHITESPACE) + list("ab\u00e9\u200b\x07-")), max_size=60))
def test_normalize_text_lines_are_single_spaced_and_stripped(text):
    out = normalize_text(text)
    for line in out.split("\n"):
        assert line == line.strip()
        assert "  " not in line
        assert all(ch == " " or not ch.isspace() for ch in line)
    assert "\n\n\n" not in out
    squeeze = lambda s: "".join(ch for ch in unicodedata.normalize("NFC", s) if not ch.isspace())
    assert squeeze(out) == squeeze(text).replace("\u200b", "").replace("\x07", "")


def test_normalize_text_collapses_every_unicode_space():
    assert normalize_text("one\u2003\u3000two \t three\u2009\n\u205f four\u1680") == "one two three\nfour"


def test_normalize_text_removes_controls_and_extra_space():
    assert normalize_text("a\u200b b\t\t c\r\n\r\n\r\n\x07d\u00a0e ") == "a b c\n\nd e"


@pytest.mark.parametrize("value, expected", [
    ("2023-10-27T08:00:00Z", "2023-10-27T08:00:00Z"),
    ("2023-10-27 15:00:00+07:00", "2023-10-27T08:00:00Z"),
    ("27 Oktober 2023", None),
    ("", None),
])
def test_normalize_timestamp(value, expected):
    assert normalize_timestamp(value) == expected


def test_parse_stage_on_directrunner_balances():
    records = [raw_record(GOOD_TEXT), raw_record(b"\xff\xff"), raw_record(b"{}", "json"), raw_record(gzip.compress(b"x"))]
    main, dead = run_stage(ParseArticles(), records)
    assert len(main) + len(dead) == len(records)
    assert len(main) == 1 and isinstance(main[0], Article)
    assert sorted(d.reason for d in dead) == ["missing_text", "undecodable", "undecodable"]
    for letter in dead:
        assert errors("dead_letter", letter.to_dict()) == []


def test_parse_stage_counts_payload_bytes_of_parsed_records():
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    good = [raw_record(GOOD_TEXT), raw_record("Kabar singkat dari Bandung hari ini.")]
    records = good + [raw_record(b"\xff\xfe broken")]  # dead-lettered: not counted
    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create(records, reshuffle=False) | ParseArticles()
    result = pipeline.run()
    result.wait_until_finish()
    query = result.metrics().query(MetricsFilter().with_namespace("parse"))
    counters = {c.key.metric.name: c.committed for c in query["counters"]}
    expected = len(GOOD_TEXT.encode("utf-8")) + len("Kabar singkat dari Bandung hari ini.")
    assert expected == 179
    assert counters["bytes_in"] == expected
    assert counters["records_in"] == 3 and counters["records_out"] == 2


HTML_FIXTURES = Path(__file__).with_name("fixtures") / "html"


@pytest.mark.parametrize("name, kept, dropped", [
    ("related_links.html", ["single fares by eight percent", "the winter timetable would keep", "monthly pass"],
     ["Download our free travel app"]),
    ("berita_tautan.html", ["meresmikan pasar ikan baru", "ruang pendingin dan tempat", "Sejumlah nelayan"],
     ["Ikuti kanal berita kami"]),
])
def test_html_lines_that_are_one_whole_link_are_dropped(name, kept, dropped):
    html = (HTML_FIXTURES / name).read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path=name))
    assert a.title and a.title in html
    for text in kept:  # paragraphs that merely contain a link stay
        assert text in a.body
    for text in dropped:
        assert text not in a.body
        assert text in trafilatura_only(html)  # trafilatura alone keeps the promo line


def test_drop_link_lines_keeps_title_short_links_and_partial_links():
    links = link_texts(lxml.html.fromstring(
        "<div><a>Council approves new cycle lanes</a><a>Read more</a><a>Ferry Fares Rise Again</a>"
        "<a>the winter timetable would</a></div>"))
    assert links == {"council approves new cycle lanes", "ferry fares rise again", "the winter timetable would"}
    text = ("Ferry Fares Rise Again\nFares rise by eight percent.\n- Council approves  new cycle lanes\n"
            "Read more\nSaid that the winter timetable would keep early sailings.")
    assert drop_link_lines(text, links, keep="Ferry fares rise again") == (
        "Ferry Fares Rise Again\nFares rise by eight percent.\nRead more\n"
        "Said that the winter timetable would keep early sailings.")


def test_link_collection_is_bounded_on_hostile_pages():
    html = "<html><body>" + "<a>one two three four</a>" * 30_000 + "<a>" + "word " * 5000 + "</a></body></html>"
    links = link_texts(lxml.html.fromstring(html))
    assert links == {"one two three four"}


def test_page_headline_becomes_the_title_and_leaves_the_body():
    html = (HTML_FIXTURES / "headline_kicker.html").read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path="headline_kicker.html"))
    assert a.title == "Orchard growers count the cost of a late frost"  # the <h1>, not the <title> with site name
    assert a.body.startswith("Apple and pear growers")  # kicker and headline gone
    assert "Packing houses said" in a.body
    assert a.body.count("Orchard growers count the cost") == 1  # a later repeat is body text, left alone
    assert trafilatura_only(html).startswith("Farming\nOrchard growers")


def test_split_headline_only_near_the_top_and_only_exact_h1_text():
    headlines = headline_texts(lxml.html.fromstring(
        "<div><h1>Bridge  reopens after repairs</h1><h2>Traffic</h2><p>Text.</p></div>"))
    assert headlines == {"bridge reopens after repairs"}
    assert split_headline("Local\nBridge reopens after repairs\nThe bridge reopened.", headlines) == (
        "Bridge reopens after repairs", "The bridge reopened.")
    late = "One.\nTwo.\nThree.\nFour.\nFive.\nBridge reopens after repairs\nSix."
    assert split_headline(late, headlines) == (None, late)
    assert split_headline("Bridge reopens after repairs today\nText.", headlines)[0] is None
    assert split_headline("Traffic\nText.", headlines) == (None, "Traffic\nText.")
    assert split_headline("Anything", frozenset()) == (None, "Anything")


def test_hidden_elements_and_newsletter_boxes_are_not_article_text():
    html = (HTML_FIXTURES / "signup_box.html").read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path="signup_box.html"))
    for text in ("The Morning Commute", "straight to your inbox", "on the list", "Loading the next story",
                 "could not be delivered", "Opens in a new window"):
        assert text not in a.body
    assert "Travel updates for your route" in trafilatura_only(html)  # trafilatura alone keeps the box
    assert "between midnight and five in the morning, and drivers will carry card readers." in a.body  # tail kept
    assert a.body.startswith("Three night bus routes") and a.body.endswith("through the winter.")


def test_drop_unseen_keeps_visible_elements_with_similar_names():
    tree = lxml.html.fromstring(
        "<html><body><div class='hideaway'>Hideaway cafe opens.</div><p class='is-Hidden-gem'>Gem.</p>"
        "<p style='display:block'>Shown.</p><div id='newsletters-archive-title' hidden>x</div>"
        "<p class='hide'>Gone.</p> after</body></html>")
    assert drop_unseen(tree) == 2
    assert tree.text_content() == "Hideaway cafe opens.Gem.Shown. after"


def test_teaser_runs_with_summaries_and_tagged_promo_links_are_dropped():
    html = (HTML_FIXTURES / "teaser_ringkas.html").read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path="teaser_ringkas.html"))
    alone = trafilatura_only(html)
    for text in ("Petani bawang panen", "Cuaca kering", "Nelayan kembali melaut", "menjelang subuh"):
        assert text not in a.body and text in alone
    # two list items that open with a link and go on in prose are article text
    assert "- Panel harga pangan daerah yang diperbarui setiap hari kerja oleh dinas." in a.body
    assert "- Survei pedagang pasar induk yang dikumpulkan seminggu sekali." in a.body
    assert a.body.startswith("Harga cabai rawit di pasar induk")


def test_drop_link_lines_runs_and_tags():
    links = frozenset({"ferry fares rise again", "council approves cycle lanes", "library reopens after repairs",
                       "storm closes coastal path"})
    teasers = ("- Ferry Fares Rise Again Passengers pay more\n- Council approves cycle lanes Work starts in May\n"
               "- Library reopens after repairs")
    assert drop_link_lines("Intro.\n" + teasers + "\nEnd.", links) == "Intro.\nEnd."
    two = "- Ferry Fares Rise Again Passengers pay more\n- Council approves cycle lanes Work starts in May"
    assert drop_link_lines(two + "\nEnd.", links) == two + "\nEnd."  # a run of two may be an article list
    broken = "- Ferry Fares Rise Again Passengers pay more\nA paragraph.\n- Council approves cycle lanes soon\n" \
             "- Storm closes coastal path near town"
    assert drop_link_lines(broken, links) == broken
    assert drop_link_lines("Storm closes coastal path (VIDEO)\nStorm closes coastal path [Photos]\n"
                           "Storm closes coastal path (and a road)\nStorm closes coastal path today.", links) == (
        "Storm closes coastal path [Photos]\nStorm closes coastal path (and a road)\nStorm closes coastal path today.")


def test_text_between_breaks_in_a_div_becomes_paragraphs():
    html = (HTML_FIXTURES / "br_paragraphs.html").read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path="br_paragraphs.html"))
    assert a.title == "Lighthouse keeper's cottage to become a museum"
    assert a.body.split("\n") == [
        "The restored keeper's cottage beside the old lighthouse will open as a small maritime museum next spring, "
        "the heritage trust said on Tuesday, as reported first by the Harbour Bulletin. Entry will be free for residents.",
        "The trust bought the cottage from the county in 2019 and has spent five years repairing the roof, the chimney "
        "and the salt-damaged window frames with volunteers from the village.",
        "Exhibits will include the keeper's logbooks from the 1920s, a working fog bell and a model of the lantern "
        "room that visitors can operate themselves.",
        "The trust still needs about forty volunteers to staff the museum at weekends during the first summer season.",
    ]


def test_paragraphs_from_breaks_rewrites_only_divs_with_loose_text():
    loose = "Loose text long enough to count as a paragraph of its own in the page body, " * 2
    tree = lxml.html.fromstring(
        f"<html><body><div id='a'>{loose}<b>bold</b> tail<br><br>Second part.<div>block</div>after<br></div>"
        "<div id='b'>Short<br>lines<br>only</div></body></html>")
    assert paragraphs_from_breaks(tree) == 1
    a, b = tree.get_element_by_id("a"), tree.get_element_by_id("b")
    assert [child.tag for child in a] == ["p", "p", "div", "p"] and a.text is None
    assert [child.text_content() for child in a] == [loose + "bold tail", "Second part.", "block", "after"]
    assert [child.tag for child in b] == ["br", "br"]  # too little loose text: left alone


def test_data_tables_are_kept_and_layout_tables_read_as_prose():
    html = (HTML_FIXTURES / "tables.html").read_text(encoding="utf-8")
    a = parse_record(raw_record(html, "html", path="tables.html"))
    lines = a.body.split("\n")
    assert any("Women's eight" in line and "11:42" in line for line in lines)  # a results row stays one line
    assert "Junior sculls" in a.body and "Junior sculls" not in trafilatura_only(html)
    assert lines[0].startswith("The town's rowing club won")  # the layout table's prose is not a table cell
    assert not any(line.startswith("|") and "rowing club" in line for line in lines)
    assert "Riverside Echo" not in a.body


def test_unwrap_layout_tables_keeps_nested_data_tables():
    prose = "A long paragraph of article prose that sits in a layout cell. " * 6
    tree = lxml.html.fromstring(
        f"<html><body><table><tr><td>{prose}</td><td>"
        "<table id='data'><tr><th>Team</th><th>Points</th></tr><tr><td>North</td><td>12</td></tr></table>"
        "</td></tr></table>"
        "<table id='one-row'><tr><td>Menu</td><td>Links</td></tr></table>"
        "<table id='big'><tr><td>a</td><td>b</td><td>c</td><td>d</td></tr><tr><td>e</td><td>f</td><td>g</td>"
        "<td>h</td></tr><tr><td>i</td><td>j</td><td>k</td><td>l</td></tr></table></body></html>")
    assert unwrap_layout_tables(tree) == 2  # the outer layout table and the one-row table
    assert [t.get("id") for t in tree.iter("table")] == ["data", "big"]
    assert len(tree.get_element_by_id("data").findall(".//td")) == 2
    assert tree.find(".//body/div/div/div/table") is not None  # the data table inside the unwrapped one
