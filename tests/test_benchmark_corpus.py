"""The benchmark's synthetic corpus and stage discovery (correctness only; no timing)."""

from __future__ import annotations

import orjson

from benchmarks.corpus import MAX_TEXT_BYTES, MIN_TEXT_BYTES, make_article, write_corpus
from benchmarks.run import enrichment_dofns
from transforms.file_io import read_file
from transforms.parse import parse_record


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_corpus(first, 40, seed=11)
    write_corpus(second, 40, seed=11)
    write_corpus(other, 40, seed=12)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_an_article_depends_only_on_seed_and_index(tmp_path):
    path = tmp_path / "c.jsonl"
    write_corpus(path, 30, seed=5)
    lines = path.read_bytes().splitlines()
    assert orjson.loads(lines[17]) == make_article(5, 17)


def test_sizes_in_range_ids_unique_and_both_languages(tmp_path):
    path = tmp_path / "c.jsonl"
    stats = write_corpus(path, 300, seed=3)
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert stats.articles == len(records) == 300
    sizes = [len(r["text"].encode("utf-8")) for r in records]
    assert all(MIN_TEXT_BYTES <= size <= MAX_TEXT_BYTES for size in sizes)
    assert stats.min_text_bytes == min(sizes) and stats.max_text_bytes == max(sizes)
    assert len({r["id"] for r in records}) == 300
    indonesian = sum(" yang " in r["text"] or " dan " in r["text"] for r in records)
    english = sum(" the " in r["text"] for r in records)
    assert 0.4 * 300 < indonesian < 0.8 * 300
    assert 0.2 * 300 < english < 0.6 * 300
    # clutter between paragraphs (related-story lines, prompts, captions) is part of the corpus
    assert sum("Baca Juga:" in r["text"] or "Read more:" in r["text"] or "RELATED:" in r["text"]
               for r in records) > 20


def test_every_line_is_accepted_by_the_parse_stage(tmp_path):
    path = tmp_path / "c.jsonl"
    write_corpus(path, 60, seed=9)
    records = list(read_file(str(path), 1 << 20))
    assert len(records) == 60
    for record in records:
        article = parse_record(record)
        assert article.id.startswith("bench-9-")
        assert article.title
        assert len(article.body) > 1000


def test_the_harness_times_the_pipelines_enrichment_stages_in_order():
    names = [dofn.stage for dofn in enrichment_dofns(1 << 20)]
    assert names == ["parse", "clean", "language", "source", "entities"]


def test_replay_cpu_counts_the_whole_process_tree(tmp_path):
    # The child starts a grandchild that burns CPU and outlives it (orphaned): both are counted.
    import subprocess
    import sys

    from benchmarks.run import run_process_tree

    burn = "import time\nwhile time.process_time() < 0.3: pass\n"
    child = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {burn!r}])\n{burn}"
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # not waited for
    try:
        run = run_process_tree([sys.executable, "-c", child], tmp_path / "log")
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()
    assert run.exit_code == 0, (tmp_path / "log").read_text()
    assert run.user_s + run.sys_s >= 0.6
    if sys.platform.startswith("linux"):
        assert run.orphans == 1


def test_entity_vocabulary_is_diverse_like_real_news():
    # A few recurring big names plus a long tail: the entity and source stages cache per distinct
    # candidate, so a small reused vocabulary would flatter them.
    import re

    from benchmarks.corpus import templates

    data = templates()
    firsts = {name for parts in data["name_parts"].values() for name in parts["first"]}
    lasts = {name for parts in data["name_parts"].values() for name in parts["last"]}
    full_name = re.compile(r"\b([A-Z][a-z]+(?:-[a-z]+)?) ([A-Z][A-Za-z']+)\b")
    dateline_city = re.compile(r"^([A-Z][A-Z .'-]+[A-Z])(?: \(|,)", re.M)
    articles = [make_article(21, index) for index in range(2000)]
    tail_people, cities, big_name_articles = set(), set(), 0
    for article in articles:
        text = article["text"]
        tail_people.update(m.group(0) for m in full_name.finditer(text)
                           if m.group(1) in firsts and m.group(2) in lasts)
        cities.update(dateline_city.findall(text))
        big_name_articles += any(name in text for name in data["people"][:5])
    assert len(tail_people) > 3000  # thousands of distinct people, not a reused cast
    assert len(cities) > 250  # datelines from hundreds of cities
    assert 0.1 * 2000 < big_name_articles < 0.7 * 2000  # the top names recur, but not everywhere


def test_the_per_article_rate_between_two_replays_cancels_their_fixed_cost() -> None:
    from benchmarks.run import ReplayRun, marginal

    def run(articles: int, cpu_s: float) -> ReplayRun:
        return ReplayRun(articles=articles, cpu_s=cpu_s, user_s=cpu_s, sys_s=0.0, wall_s=cpu_s, peak_rss_mb=1.0,
                         exit_code=0)

    fixed, per_article = 2.5, 0.004  # CPU-s
    got = marginal(run(1000, fixed + 1000 * per_article), run(9000, fixed + 9000 * per_article), 300.0)
    assert got == {"marginal_articles_per_cpu_s": 250.0, "marginal_ratio": round(250 / 300, 3), "fixed_cpu_s": 2.5}
