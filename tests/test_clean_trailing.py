"""A trailing related-links list with no marker line; and the article endings it must not eat."""

from transforms.clean import clean_text

ID_STORY = ("Pemerintah kabupaten mulai membagikan bibit padi tahan kekeringan kepada kelompok tani di tiga kecamatan.\n\n"
            "Kepala dinas pertanian mengatakan pembagian akan berlanjut hingga akhir bulan, setelah data penerima "
            "diperiksa ulang oleh petugas lapangan.")
EN_STORY = ("The regional rail operator will add late-night services on two commuter lines from next month, "
            "after a year of complaints from shift workers.\n\n"
            "A spokesperson said the extra trains would be reviewed after six months, depending on passenger numbers.")


def _body_lines(text: str) -> list[str]:
    return clean_text(text).body.split("\n\n")


def test_indonesian_trailing_headlines_removed():
    links = ["Harga Cabai Rawit Melonjak Jelang Ramadan di Pasar Induk",
             "Timnas U-23 Tumbangkan Vietnam Lewat Adu Penalti",
             "Gunung Lewotobi Kembali Erupsi, Status Naik Jadi Awas",
             "Cara Mengurus Paspor Elektronik Tanpa Antre Panjang"]
    result = clean_text(ID_STORY + "\n\n" + "\n".join(links))
    assert result.body == ID_STORY
    assert result.removed_kinds["related"] == 4


def test_english_trailing_headlines_removed_around_an_ad_line():
    links = ["Wildfire Smoke Closes Schools Across Three Counties",
             "Advertisement",
             "Central Bank Holds Rates Steady for Fourth Month",
             "Local Bakery Wins National Sourdough Award",
             "Why Your Phone Battery Drains Faster in Winter"]
    assert clean_text(EN_STORY + "\n" + "\n".join(links)).body == EN_STORY


def test_two_headlines_are_not_enough():
    text = EN_STORY + "\nWildfire Smoke Closes Schools Across Three Counties\nLocal Bakery Wins National Sourdough Award"
    assert "Local Bakery Wins" in clean_text(text).body


def test_article_ending_in_a_short_quote_is_kept():
    text = ID_STORY + "\n\n“Kami Tidak Akan Menyerah Begitu Saja”"
    assert _body_lines(text)[-1] == "“Kami Tidak Akan Menyerah Begitu Saja”"
    text = EN_STORY + "\n\nAs One Resident Put It: “Better Late Than Never”"
    assert clean_text(text).body.endswith("“Better Late Than Never”")


def test_bullet_facts_of_the_article_are_kept():
    facts = ["- Jumlah Penerima Bantuan Mencapai 1.200 Petani",
             "- Bibit Dibagikan di Kecamatan Sukamaju, Cibeber dan Wanaraja",
             "- Pendaftaran Ditutup Pada Akhir Bulan Maret"]
    text = ID_STORY + "\n\n" + "\n".join(facts)
    assert all(fact in clean_text(text).body for fact in facts)


def test_labelled_facts_and_a_list_after_a_colon_are_kept():
    labelled = ["Route Affected: Northern Line Between Hale and Morton",
                "Extra Trains: Friday and Saturday Nights Only",
                "Review Date: Six Months After Launch"]
    assert all(line in clean_text(EN_STORY + "\n" + "\n".join(labelled)).body for line in labelled)
    winners = ["Desa Sukamaju Juara Pertama Lomba Kebersihan",
               "Kelurahan Cibeber Meraih Posisi Kedua Tahun Ini",
               "Desa Wanaraja Menempati Urutan Ketiga Kabupaten"]
    text = ID_STORY + "\n\nBerikut daftar pemenang lomba desa tahun ini:\n" + "\n".join(winners)
    assert all(line in clean_text(text).body for line in winners)


def test_a_list_of_the_articles_own_points_is_kept():
    points = ["New Services on the Northern Line From May",
              "New Services on the Coastal Line From June",
              "New Ticket Prices for Night Travel Announced"]
    assert all(p in clean_text(EN_STORY + "\n" + "\n".join(points)).body for p in points)


def test_closing_paragraph_and_sign_off_are_kept():
    text = EN_STORY + "\n\nThe operator will publish the new timetable on its website next week."
    assert clean_text(text).body.endswith("on its website next week.")
    text = ID_STORY + "\n\nSelengkapnya Simak Laporan Kami Berikutnya"
    assert clean_text(text).body.endswith("Selengkapnya Simak Laporan Kami Berikutnya")
