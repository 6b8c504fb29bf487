"""Acceptance on the five seed articles (samples/), replayed through parse + clean."""

from pathlib import Path

import pytest

from schemas.records import Origin, RawRecord
from transforms.clean import clean_article
from transforms.parse import parse_record

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _seed(prefix: str):
    path = next(SAMPLES.glob(f"{prefix}_*.txt"))
    return clean_article(parse_record(RawRecord(origin=Origin(path=str(path)), fmt="text", data=path.read_bytes())))


@pytest.fixture(scope="module")
def seeds():
    return {p: _seed(p) for p in ("000", "001", "002", "003", "004")}


def test_seed_000_keeps_story_and_moves_credit(seeds):
    a = seeds["000"]
    assert "TASS melaporkan bahwa anggota terkemuka Hamas Abu Marzouk" in a.body
    assert "Zakharova tidak memberikan rincian lebih lanjut." in a.body
    for clutter in ("Standar kami", "More Stories", "Topan Shanshan", "Seorang Israel yang diselamatkan",
                    "kapal Viking tenggelam", "Laporan diedit oleh"):
        assert clutter not in a.body
    assert "Laporan diedit oleh Reuters oleh Gareth Jones" in a.credits
    assert a.dateline == {"text": "MOSKOW (Reuters) –", "place": "Moscow", "agency": "Reuters"}
    assert a.body.startswith("Kantor berita Rusia")
    assert a.clean["removed"]["kinds"]["related"] == 4


def test_seed_001_splits_glued_title_and_drops_trending_headlines(seeds):
    a = seeds["001"]
    assert a.title == "Rusia Undang Pejabat Iran dan Hamas Ngobrol di Moskow, Israel Mencak mencak"
    assert a.body.startswith("Sejumlah pejabat perwakilan")
    assert ("Dia menekankan kalau Presiden Vladimir Putin secara baik hati menerapkan keadilan terhadap Hamas "
            "beserta sejumlah gerakan perjuangan rakyat Palestina.") in a.body.split("\n\n")
    for later in ("Putin dianggap Hamas juga memberikan perlindungan", "Diplomat Iran dan Rusia mengadakan",
                  "Juru bicara Kementerian Luar Negeri Israel", "Namun, Amerika dan sekutunya telah membatalkan resolusi tersebut."):
        assert later in a.body
    for clutter in ("Curhat Siswi", "Survei Elektabilitas", "Halaman 3", "Halaman 4", "Idham Mase", "Heboh Siswi",
                    "Dominasi Anies", "Ibu Kota"):
        assert clutter not in a.body
    kinds = a.clean["removed"]["kinds"]
    assert kinds["page_marker"] == 2 and kinds["headline_run"] == 3
    assert "2023-10-27" in a.dates


def test_seed_002_moves_credit_to_byline(seeds):
    a = seeds["002"]
    assert a.title == "Hamas-Rusia Makin Mesra: Pertemuan Bahas Gencatan Senjata, Bantuan hingga Pelanggaran Israel"
    assert "Baca juga" not in a.body and "Tribunnews.com/Garudea" not in a.body
    assert "Ini termasuk terhambatnya pasokan seperti tenda, rumah prefabrikasi" in a.body
    assert a.byline == "Garudea Prabawati" and "(Tribunnews.com/Garudea Prabawati)" in a.credits
    assert a.dateline["text"] == "TRIBUNNEWS.COM -" and a.dateline["outlet"] == "Tribunnews"
    assert "TRIBUNNEWS.COM" not in a.body
    assert "2025-02-04" in a.dates
    assert "Rusia Tetap Dukung Palestina" in a.body.split("\n\n")  # a crosshead is article text


def test_seed_003_drops_trailing_furniture(seeds):
    a = seeds["003"]
    for clutter in ("BERITA TERKAIT", "Advertisement", "Disqus Comments", "uses cookies"):
        assert clutter not in a.body
    assert "Pihak Rusia belum mengkonfirmasi secara resmi untuk ini." in a.body
    assert a.body.endswith("resolusi Dewan Keamanan PBB.")
    assert a.dateline["text"] == "Duniaku -" and a.dateline["outlet"] == "Duniaku"
    assert a.title.startswith("Media: Kemlu Rusia")


def test_seed_004_drops_paywall_comments_and_moves_caption(seeds):
    a = seeds["004"]
    for clutter in ("subscribe", "Subscribe now", "Would you like to comment", "Sign up (it's quick", "Speech Bubbles",
                    "Comment Policy", "Picture: IBRAHEEM"):
        assert clutter not in a.body
    assert "Earlier, Putin warned the conflict could spread beyond the Middle East." in a.body
    assert a.captions == ("A Hamas fighter in central Gaza Strip, July 19 2023. Picture: IBRAHEEM ABU MUSTAFA/REUTERS",)
    assert "Reuters" in a.credits and not a.body.rstrip().endswith("Reuters")
    assert a.dateline == {"text": "Moscow —", "place": "Moscow"}
    assert a.body.startswith("A delegation from Hamas visited Moscow")
    removed = a.clean["removed"]
    assert removed["kinds"]["duplicate"] == 3 and removed["lines"] == 11 and removed["chars"] > 500
