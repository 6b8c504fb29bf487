"""Title, dateline and date extraction on inputs unlike the seeds."""

from datetime import date

import pytest

from transforms.clean import find_dates
from transforms.parse import canonical_place, split_dateline, split_glued_title, split_title


@pytest.mark.parametrize("line, place, agency, outlet", [
    ("JAKARTA, KOMPAS.com - Harga beras naik.", "Jakarta", None, "Kompas"),
    ("KAIRO (Antara) - Perundingan dilanjutkan.", "Cairo", "Antara", None),
    ("WASHINGTON (AP) — Lawmakers met on Friday.", "Washington", "AP", None),
    ("LONDON, Oct 26 (Reuters) - Shares fell.", "London", "Reuters", None),
    ("Liputan6.com, Jakarta - Banjir melanda.", "Jakarta", None, "Liputan6"),
])
def test_dateline_forms(line, place, agency, outlet):
    dateline, rest = split_dateline(line)
    assert dateline is not None and dateline.get("place") == place
    assert dateline.get("agency") == agency and dateline.get("outlet") == outlet
    assert rest[:1].isupper()


@pytest.mark.parametrize("line", [
    "Harga beras naik - kata pedagang di pasar.",
    "The minister - who spoke briefly - left early.",
    "Ini bukan dateline sama sekali.",
])
def test_sentences_are_not_datelines(line):
    assert split_dateline(line) == (None, line)


def test_canonical_place_uses_table_and_gazetteer():
    assert canonical_place("MOSKOW") == "Moscow"
    assert canonical_place("Yerusalem") == "Jerusalem"
    assert canonical_place("SURABAYA") == "Surabaya"
    assert canonical_place("Nowhereville") is None


def test_glued_title_split_and_plain_sentences_untouched():
    title, rest = split_glued_title("Harga Cabai Melonjak Jelang Lebaran Pedagang di pasar tradisional mengeluhkan sepinya pembeli.")
    assert title == "Harga Cabai Melonjak Jelang Lebaran" and rest.startswith("Pedagang di pasar")
    sentence = "Presiden Joko Widodo meminta Menteri Keuangan Sri Mulyani Indrawati segera mencairkan dana bantuan."
    assert split_glued_title(sentence) == (None, sentence)
    assert split_title("Satu Judul Berita Singkat\nIsi berita dimulai di sini.")[0] == "Satu Judul Berita Singkat"


def test_indonesian_and_english_dates():
    text = ("Rapat digelar Rabu (6/3/2024) di Jakarta. Keputusan diumumkan 8 Maret 2024. "
            "Sidang berikutnya pada 12 April. Officials met on March 9, 2024 and again on Monday.")
    # "on Monday" needs an anchor (publication, dateline or fetch date): without one it is not resolved
    assert find_dates(text) == [date(2024, 3, 6), date(2024, 3, 8), date(2024, 4, 12), date(2024, 3, 9)]
    assert find_dates(text, date(2024, 3, 9))[-1] == date(2024, 3, 4)


def test_weekday_resolves_against_anchor_and_future_cue():
    anchor = date(2023, 10, 27)  # a Friday
    assert find_dates("Delegasi tiba pada Kamis.", anchor) == [date(2023, 10, 26)]
    assert find_dates("Talks resume next Tuesday.", anchor) == [date(2023, 10, 31)]
    assert find_dates("Tidak ada tanggal di sini.", anchor) == []


# A title-case headline glued to a sentence that opens with a capitalised common noun: a plural
# noun closes the title ("... Islands Ferry operators") because English plurals do not modify nouns.
@pytest.mark.parametrize("line, title", [
    ("Flights Cancelled as Storm Batters Islands Ferry operators suspended all crossings until Sunday.",
     "Flights Cancelled as Storm Batters Islands"),
    ("Shares Slide After Weak Results Reuters reported that profits fell for a third quarter.",
     "Shares Slide After Weak Results"),
    ("Fuel Subsidy Row Deepens Over Prices James Smith warned the plan would hurt farmers.",
     "Fuel Subsidy Row Deepens Over Prices"),
    # negatives for the plural rule: the capitalised pair is the sentence's subject
    ("Dengue Cases Rise in Java Health Ministry officials urged residents to drain standing water.",
     "Dengue Cases Rise in Java"),
    ("Rescuers Search Rubble as Aid Arrives White House officials pledged support on Monday.",
     "Rescuers Search Rubble as Aid Arrives"),
    # Indonesian: no plural morphology, the rule stays out ("Petugas" ends in -s)
    ("Banjir Rendam Kota Petugas Damkar mengevakuasi warga dari atap rumah.", "Banjir Rendam Kota"),
    ("Jembatan Putus Akibat Longsor Warga Desa terpaksa menyeberangi sungai dengan rakit.",
     "Jembatan Putus Akibat Longsor"),
    ("Wartawan Dilarang Meliput Sidang Pers Daerah mengecam tindakan aparat di lokasi.",
     "Wartawan Dilarang Meliput Sidang"),
])
def test_glued_title_before_a_capitalised_common_noun(line, title):
    found, rest = split_glued_title(line)
    assert found == title
    assert f"{found} {rest}" == line


@pytest.mark.parametrize("line", [
    "Farmers Union members marched to parliament on Thursday to demand lower fuel prices.",
    "Islands Ferry operators suspended all crossings until Sunday.",
    "Warga Desa Sukamaju menolak rencana pembangunan pabrik semen di lereng gunung.",
])
def test_sentences_with_plural_nouns_are_not_split(line):
    assert split_glued_title(line) == (None, line)
