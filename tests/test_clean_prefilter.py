"""The cleaner's speed-ups must not change a single decision.

The keyword prefilter (transforms.clean.PatternIndex) may only skip a clutter pattern
that cannot match the line, and the date scanners that skip to digits or capitalised
names must find exactly what a plain ``finditer`` over the original regexes finds.
Checked on the annotated fixtures' lines and on generated lines built from the patterns'
own vocabulary, odd casing, punctuation and case-folding traps.
"""

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import clean
from transforms.clean import classify_line, ends_sentence, load_rules

FIXTURES = Path(__file__).with_name("fixtures") / "clean"
RULES = load_rules()


def _matching_patterns(line: str) -> list[int]:
    stripped = line.strip(" .•·*|>-–—")
    ending = ends_sentence(line)
    return [i for i, p in enumerate(RULES.patterns) if p.matches(stripped, ending)]


def _assert_prefilter_keeps(line: str) -> None:
    stripped = line.strip(" .•·*|>-–—")
    candidates = RULES.index.candidates(stripped)
    if candidates is None:
        return
    missing = set(_matching_patterns(line)) - candidates
    assert not missing, (line, [RULES.patterns[i].kind for i in missing])


def _fixture_lines() -> list[str]:
    lines = []
    for path in sorted(FIXTURES.rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            line = re.sub(r"\{[-=]|[-=]\}", "", line[2:] if line[:2] in ("-|", "=|") else line).strip()
            if line:
                lines.append(line)
    return lines


def test_prefilter_keeps_every_matching_pattern_on_fixture_lines():
    lines = _fixture_lines()
    assert len(lines) > 100
    matched = 0
    for line in lines:
        _assert_prefilter_keeps(line)
        matched += bool(_matching_patterns(line))
    assert matched > 20  # the check covered clutter lines, not only prose


CRAFTED = [
    "SUBSCRIBE NOW", "Photo:REUTERS/Jane Doe", "(Foto: ANTARA/Budi)", "Ilustrasi.", "“Subscribe” for $4.99/month — unlimited access",
    "12 Comments", "Komentar (3):", "Copyright©2024 Media", "©Kompas", "Tags:banjir, Jakarta", "Listen to this story · 4 min",
    "Read our cookie policy: this site uses cookies.", "This story was originally published by the Guardian.",
    "Penulis:Rina", "BY JOHN SMITH | Reuters", "(ant/rin)", "Jane (@jane_doe) March 3, 2024", "1 2 3 … Next",
    # web boilerplate: contact, links, calls to action, podcasts, reprints
    "WRITE TO Ann at ann@x.org", "e-mail:ann@x.org", "@desk|@night_desk", "HTTPS://X.ORG/A", "Link:www.x.org",
    "Twitter.com/ann", "Ikuti Kami Di @kota", "Liked This Story?!", "CLICK HERE", "Klik disini.",
    "How To Listen:", "Listen on Spotify", "Reprints & Permissions", "For Personal, Non-Commercial Use Only",
    "Tell Us What YOU Think", "Get it delivered daily", "Dapatkan Berita Terkini",
    # case-folding traps: Kelvin sign, long s, dotted and dotless i
    "\u212aomentar (2)", "\u017fubscribe now", "\u0130klan", "Sign \u0131n", "Pagé 2", "Advertisement\u00a0",
]


def test_prefilter_keeps_every_matching_pattern_on_crafted_lines():
    for line in CRAFTED:
        _assert_prefilter_keeps(line)
    assert sum(bool(_matching_patterns(line)) for line in CRAFTED) >= 15



def _vocabulary() -> list[str]:
    words = set()
    for pattern in RULES.patterns:
        for regex in ([pattern.match] if pattern.match is not None else list(pattern.all)):
            words.update(w for w in re.findall(r"[a-z][a-z' ]{1,20}[a-z]", regex.pattern))
    return sorted(words)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_vocabulary()), st.sampled_from([" ", ":", ".", "/", "(", ")", "|", "-", "—", "©",
                                                                             "@", "$5", "12", "\u212a", "\u0130", "é", "’"]),
                          st.text(max_size=6)), max_size=12),
       st.sampled_from([str.lower, str.upper, str.title, lambda s: s]))
def test_prefilter_keeps_every_matching_pattern_on_generated_lines(parts, case):
    _assert_prefilter_keeps(case("".join(parts)))


def test_classify_line_equals_trying_every_pattern():
    for line in _fixture_lines() + CRAFTED:
        found = classify_line(line, RULES)
        expected = _matching_patterns(line)
        if expected:
            assert found is RULES.patterns[expected[0]]
        elif found is not None:
            assert found.kind in {"separator", "signoff", "share", "timestamp"}


_OLD_DATE_REGEXES = {
    "_NUMERIC_DATE": re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4})\b"),
    "_ISO_DATE": re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
    "_DAY_MONTH": re.compile(r"\b(\d{1,2})\s{1,2}([A-Z][a-z]{2,9})\.?(?:,?\s{1,2}(\d{4}))?\b"),
}
_DATE_TEXT = st.lists(st.sampled_from(["1", "12", "2024", "/", ".", "-", " ", "  ", ",", "x", "_", "Maret", "March", "Mar.",
                                       "Kamis", "Thursday's", "Jum'at", "Page", "3rd", "é", "\n", "MEI", "Mei"]), max_size=30)


@settings(max_examples=400, deadline=None)
@given(_DATE_TEXT)
def test_digit_led_date_regexes_match_their_plain_forms(parts):
    text = "".join(parts)
    for name, old in _OLD_DATE_REGEXES.items():
        new = getattr(clean, name)
        assert [(m.span(), m.groups()) for m in new.finditer(text)] == [(m.span(), m.groups()) for m in old.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(_DATE_TEXT)
def test_name_led_scans_find_every_relevant_match(parts):
    text = "".join(parts)
    for regex, names, table in ((clean._MONTH_DAY, RULES.month_names, RULES.months),
                                (clean._WEEKDAY, RULES.weekday_names, RULES.weekdays)):
        relevant = [(m.span(), m.groups()) for m in regex.finditer(text) if m.group(1).lower() in table]
        fast = [(m.span(), m.groups()) for m in clean._matches_at(regex, names, text) if m.group(1).lower() in table]
        assert fast == relevant
