"""General web-news boilerplate (reprint notices, author contact, bare links, calls to action, podcast
listen lines, CMS shortcodes) leaves the body; article sentences that merely mention e-mail, Twitter,
links or personal use stay. Lines are the project's own phrasings, not taken from any dev-set page."""

import pytest

from transforms.clean import clean_text, load_rules, strip_shortcodes

PROSE = "The regional council approved the new budget on Monday after a long debate among its members."

CLUTTER = {
    "reprint_notice": [
        "This content is solely for your own personal, non-commercial use. Contact us for licensing.",
        "Printed from example.org — for personal non-commercial use only; do not redistribute.",
        "To order reprints of this page, call our syndication team.",
        "Reprints & Permissions",
        "Materi ini hanya untuk keperluan pribadi, non-komersial.",
    ],
    "author_contact": [
        "Write to Ana Liu at ana.liu@paper.example.com",
        "E-mail Tom Reyes at treyes@paper.example.com or follow him on X @tomreyes.",
        "Reach the writer at desk.news@example.org",
        "Hubungi penulis melalui budi.s@redaksi.example.id",
        "Kirim tulisan Anda ke opini@media.example.id",
        "Follow her @leila_writes for more from the courts beat",
        "Ikuti kami di @beritakota",
        "Follow us on Threads and Bluesky",
        "newsroom@example.co.uk",
        "Email: tips@metro.example.com",
        "@cityreporter | @citydesk",
    ],
    "url": [
        "https://www.example.org/news/2024/03/story-link",
        "www.example.net/podcast",
        "twitter.com/some_columnist",
        "Full statement: https://gov.example.org/statement.pdf",
    ],
    "call_to_action": [
        "Enjoyed this piece? Pass it along to a colleague.",
        "Suka artikel ini? Bagikan ke teman-temanmu!",
        "Share this story with your friends",
        "Tell us what you think: send us a note.",
        "Have your say on the plans below",
        "Tap here to read the full report",
        "Klik di sini untuk membaca laporan lengkapnya",
        "Have the Saturday magazine delivered to your door for half price.",
        "Dapatkan informasi terbaru pilihan redaksi tiap hari.",
    ],
    "audio": [
        "How to listen: search for our show wherever you get podcasts",
        "Cara mendengarkan siniar kami",
        "Listen now on Apple Podcasts or Spotify",
    ],
}

ARTICLE_SENTENCES = [
    "Polisi menerima laporan lewat surel dan pesan singkat dari warga yang kehilangan kendaraan.",
    "He wrote on Twitter that the vote had been rigged, a claim election officials rejected.",
    "Contact tracing began on Monday after three more cases were confirmed in the district.",
    "Email records obtained by the newspaper show the mayor knew of the problem in March.",
    "Follow the money, the prosecutor told the jury in her closing argument.",
    "Send in the army, protesters chanted outside the parliament building on Friday.",
    "Get vaccinated before the winter, the health minister urged older residents on Tuesday.",
    "Dia diduga menggunakan mobil dinas untuk keperluan pribadi selama tiga tahun terakhir.",
    "The licence allows personal, non-commercial use of the archive's photographs, the museum said.",
    "Investigators said the suspect had used the address fraud.desk@bank.example.com to contact victims.",
    "Warga diminta mengikuti kami, kata petugas, sambil menunjuk jalur evakuasi di belakang sekolah.",
    "Did you like the speech? Most delegates said they did, according to a poll by the party.",
    "Readers who want to know more can visit the council's website, the spokesman added.",
    "The price list [1] was published in the annex, alongside the council's response.",
    "[Updated at 14:00] The bridge reopened to traffic after the inspection.",
]


@pytest.mark.parametrize("kind,line", [(k, line) for k, lines in CLUTTER.items() for line in lines])
def test_boilerplate_line_is_removed(kind: str, line: str):
    result = clean_text(f"{PROSE}\n{line}\n{PROSE.replace('Monday', 'Tuesday')}")
    assert line not in result.body
    assert PROSE in result.body
    assert result.removed_kinds[kind] == 1, dict(result.removed_kinds)


@pytest.mark.parametrize("sentence", ARTICLE_SENTENCES)
def test_article_sentence_mentioning_contact_or_links_is_kept(sentence: str):
    result = clean_text(f"{PROSE}\n{sentence}\nThe debate will continue at the next session of the council in May.")
    assert sentence in result.body.split("\n\n"), dict(result.removed_kinds)


def test_author_contact_is_dropped_not_kept_as_credit():
    result = clean_text(f"{PROSE}\nWrite to Ana Liu at ana.liu@paper.example.com\nBy Ana Liu")
    assert result.credits == ["By Ana Liu"] and result.byline == "Ana Liu"
    assert not any("@" in credit for credit in result.credits)


RULES = load_rules()


def test_button_shortcode_goes_with_its_label():
    line = 'Tickets go on sale on Friday. [button link="https://t.example.com" size="big"]Buy tickets[/button]'
    kept, removed, captions = strip_shortcodes(line, RULES)
    assert kept == "Tickets go on sale on Friday." and removed == 1 and captions == []


def test_caption_shortcode_text_moves_to_captions():
    text = f'[caption id="a_12" align="alignright"]A volunteer sorts donated coats.[/caption]\n{PROSE}'
    result = clean_text(text)
    assert result.body == PROSE
    assert result.captions == ["A volunteer sorts donated coats."]


def test_unlisted_shortcode_with_attributes_is_unwrapped():
    kept, removed, _ = strip_shortcodes('[pull_quote author="Ines"]We are not leaving.[/pull_quote]', RULES)
    assert kept == "We are not leaving." and removed == 1
    kept, removed, _ = strip_shortcodes("Rates stay unchanged. [/su_column]", RULES)
    assert kept == "Rates stay unchanged. [/su_column]" and removed == 0  # unlisted, no attribute: not a shortcode


def test_lone_listed_tags_are_removed_and_plain_brackets_kept():
    kept, removed, _ = strip_shortcodes("[gallery] [Photos] [/gallery]", RULES)
    assert kept == "[Photos]" and removed == 2


def test_a_list_of_links_is_the_articles_own_content():
    items = [f"{n}) Board game number {n} for the holidays\nhttps://shop.example.com/item-{n}" for n in range(1, 6)]
    text = "Here are our gift ideas for this year, with a link to each one.\n" + "\n".join(items)
    result = clean_text(text)
    for item in items:
        for line in item.split("\n"):
            assert line in result.body.split("\n\n")
    assert "url" not in result.removed_kinds


def test_a_few_bare_links_are_still_removed():
    text = f"{PROSE}\nhttps://a.example.com/x\n{PROSE.replace('Monday', 'Friday')}\nwww.example.org/y\ntwitter.com/desk"
    result = clean_text(text)
    assert result.removed_kinds["url"] == 3 and "example" not in result.body


def test_kind_limits_name_pattern_kinds_with_positive_limits():
    from transforms.clean import ClutterPattern, kind_limits

    patterns = [ClutterPattern(kind="link"), ClutterPattern(kind="link"), ClutterPattern(kind="promo")]
    assert kind_limits({"link": 2}, patterns) == {"link": 2}
    assert kind_limits({}, patterns) == {}
    with pytest.raises(ValueError, match="unknown kind 'links'"):
        kind_limits({"links": 2}, patterns)  # a misspelt kind is an error, not a limit that never applies
    for bad in (0, -1, 2.5, True, "3", None):
        with pytest.raises(ValueError, match="'promo'"):
            kind_limits({"promo": bad}, patterns)
    with pytest.raises(ValueError, match="object"):
        kind_limits([["link", 2]], patterns)
