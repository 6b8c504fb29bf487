"""Throughput and memory benchmark: stages in a plain loop vs the local replay on the DirectRunner.

1. Writes a seeded synthetic corpus (``benchmarks/corpus.py``) of N articles as JSONL.
2. Times each stage's pure function in a plain Python loop over the corpus
   (``time.process_time``; heavy state built once and a warm-up chunk of 64
   articles run first, both reported as set-up, not timed): read (JSONL ->
   RawRecord), the enrichment stages exactly as ``pipelines.ingest.EnrichArticles``
   applies them, and the JSON serialisation of the output.
3. Runs ``python -m pipelines.ingest --input corpus.jsonl --output DIR`` as a child
   process and takes the CPU time of its whole process tree (``getrusage(RUSAGE_CHILDREN)``
   before and after: the child, every process it waited for, and -- the benchmark
   being a child subreaper on Linux -- any orphaned descendant, reaped here) and
   the peak RSS of the largest process, once for N articles and once for a 1-article
   corpus (Beam, imports, the stages' set-up), and prints pipeline / plain-loop ratios.
4. With ``--rss-n`` (default 20000) replays a second, larger corpus to show peak
   RSS does not grow with N; the difference between the two replays gives the cost
   per article with the fixed cost cancelled (``marginal``).

Figures go to ``benchmarks/results/latest.json`` and ``latest.md``. CPU seconds are
the figures to quote; wall time is printed for information only.

    .venv/bin/python -m benchmarks.run                 # N=2000 and the 20000 RSS run
    .venv/bin/python -m benchmarks.run --skip-rss      # N=2000 only
    .venv/bin/python -m benchmarks.run --stages-only   # the plain loop only
    .venv/bin/python -m benchmarks.run --profile       # also pyinstrument profiles
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
BATCH = 64  # elements per call of a batch stage (apply_batch_stage's default max_batch_size)


# ----------------------------------------------------------------------------- the stages


@dataclass
class Stage:
    """One stage as a batch callable ``run(elements) -> results`` (an exception for a failure)."""

    name: str
    run: Callable[[Sequence[Any]], list[Any]]
    setup_cpu_s: float = 0.0


def _per_element(fn: Callable[[Any], Any]) -> Callable[[Sequence[Any]], list[Any]]:
    def run(elements: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for element in elements:
            try:
                out.append(fn(element))
            except Exception as error:  # a dead letter in the pipeline: counted, not timed separately
                out.append(error)
        return out

    return run


def stage_from_dofn(dofn: Any) -> Stage:
    """The pure function a stage DoFn wraps, with its heavy state built once (timed apart).

    Works for :class:`transforms.stage.StageDoFn` and :class:`BatchStageDoFn`; any
    other DoFn is called through ``setup``/``process`` (so its DoFn overhead counts).
    """
    from transforms.stage import BatchStageDoFn, StageDoFn

    started = time.process_time()
    if isinstance(dofn, BatchStageDoFn):
        state = dofn.setup_fn() if dofn.setup_fn is not None else None
        batch_fn = dofn.batch_fn

        def run_batch(elements: Sequence[Any]) -> list[Any]:
            try:
                return list(batch_fn(list(elements), state))
            except Exception as error:  # the DoFn retries one by one; here the batch counts as failed
                return [error] * len(elements)

        stage = Stage(dofn.stage, run_batch)
    elif isinstance(dofn, StageDoFn):
        fn = dofn.fn
        if dofn.setup_fn is not None:
            state = dofn.setup_fn()
            stage = Stage(dofn.stage, _per_element(lambda element: fn(element, state)))
        else:
            stage = Stage(dofn.stage, _per_element(fn))
    else:
        dofn.setup()
        name = getattr(dofn, "stage", type(dofn).__name__)

        def process(element: Any) -> Any:
            outputs = list(dofn.process(element))
            if len(outputs) != 1 or type(outputs[0]).__name__ == "TaggedOutput":
                raise RuntimeError(f"{name}: expected one main output, got {len(outputs)} outputs")
            return outputs[0]

        stage = Stage(name, _per_element(process))
    stage.setup_cpu_s = time.process_time() - started
    return stage


def enrichment_dofns(max_bytes: int) -> list[Any]:
    """The DoFns of ``EnrichArticles`` in the order the pipeline applies them (graph walk, not run)."""
    import apache_beam as beam
    from apache_beam.pipeline import PipelineVisitor

    from pipelines.ingest import EnrichArticles
    from transforms.stage import BatchStageDoFn, StageDoFn

    pipeline = beam.Pipeline(runner="DirectRunner")
    pipeline | beam.Create([]) | EnrichArticles(max_bytes)
    found: list[Any] = []

    class Collect(PipelineVisitor):
        def visit_transform(self, applied) -> None:
            transform = applied.transform
            if isinstance(transform, beam.ParDo) and isinstance(transform.fn, (StageDoFn, BatchStageDoFn)):
                found.append(transform.fn)

    pipeline.visit(Collect())
    return found


# ----------------------------------------------------------------------------- plain loop


@dataclass
class StageTiming:
    name: str
    articles_in: int = 0
    failures: int = 0
    cpu_s: float = 0.0
    setup_cpu_s: float = 0.0

    @property
    def per_cpu_s(self) -> float:
        return self.articles_in / self.cpu_s if self.cpu_s else float("inf")


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def plain_loop(corpus: Path, max_bytes: int) -> tuple[list[StageTiming], int]:
    """Every stage over the corpus, streamed in chunks of ``BATCH``; (timings, articles out)."""
    from transforms.file_io import read_file, to_json_line
    from transforms.stage import apply_worker_gc

    stages = [stage_from_dofn(dofn) for dofn in enrichment_dofns(max_bytes)]
    read = StageTiming("read")
    timings = [StageTiming(s.name, setup_cpu_s=s.setup_cpu_s) for s in stages]
    write = StageTiming("serialize")
    out = 0
    # Warm-up, untimed: one chunk through every stage so lazily loaded tables (first-call
    # caches) count as set-up, as heavy state built in DoFn.setup does.
    chunk = [record for _, record in zip(range(BATCH), read_file(str(corpus), max_bytes))]
    for stage, timing in zip(stages, timings):
        started = time.process_time()
        chunk = [r for r in stage.run(chunk) if not isinstance(r, BaseException)]
        timing.setup_cpu_s += time.process_time() - started
    apply_worker_gc()  # the same collector settings the DoFns apply after set-up: only Beam differs
    records = read_file(str(corpus), max_bytes)
    while True:
        started = time.process_time()
        chunk = [record for _, record in zip(range(BATCH), records)]
        read.cpu_s += time.process_time() - started
        if not chunk:
            break
        read.articles_in += len(chunk)
        for stage, timing in zip(stages, timings):
            timing.articles_in += len(chunk)
            started = time.process_time()
            results = stage.run(chunk)
            timing.cpu_s += time.process_time() - started
            chunk = [r for r in results if not isinstance(r, BaseException)]
            timing.failures += len(results) - len(chunk)
        write.articles_in += len(chunk)
        started = time.process_time()
        for article in chunk:
            to_json_line(article)
        write.cpu_s += time.process_time() - started
        out += len(chunk)
    return [read, *timings, write], out


# ----------------------------------------------------------------------------- the replay


@dataclass
class ReplayRun:
    articles: int
    cpu_s: float
    user_s: float
    sys_s: float
    wall_s: float
    peak_rss_mb: float
    exit_code: int
    enriched: int = -1
    dead_letters: int = -1
    args: list[str] = field(default_factory=list)
    orphans: int = 0  # descendants that outlived the replay's main process (reaped by the benchmark)

    @property
    def per_cpu_s(self) -> float:
        return self.articles / self.cpu_s if self.cpu_s else float("inf")


def count_lines(pattern_dir: Path, prefix: str) -> int:
    return sum(sum(1 for _ in open(p, "rb")) for p in pattern_dir.glob(f"{prefix}-*.jsonl"))


def become_subreaper(on: bool = True) -> bool:
    """Linux: orphaned descendants of our children are re-parented to us (so their CPU is counted)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def child_pids() -> Optional[set[int]]:
    """Our direct children (Linux ``/proc``); None where that cannot be read."""
    import glob

    try:
        return {int(pid) for path in glob.glob(f"/proc/{os.getpid()}/task/*/children")
                for pid in Path(path).read_text().split()}
    except OSError:
        return None


def reap_orphans(already: Optional[set[int]], timeout_s: float = 60.0) -> tuple[int, int]:
    """Wait for the descendants re-parented to us (see ``become_subreaper``), i.e. our children
    not in ``already``: (how many, largest peak RSS in KiB)."""
    reaped, max_rss, deadline = 0, 0, time.monotonic() + timeout_s
    while already is not None:
        now = child_pids()
        waiting = (now or set()) - already
        if not waiting:
            break
        for pid in waiting:
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                reaped += 1
                max_rss = max(max_rss, usage.ru_maxrss)
        if time.monotonic() > deadline:
            raise RuntimeError("a descendant of the replay is still running after the replay exited")
        time.sleep(0.02)
    return reaped, max_rss


@dataclass
class ProcessTreeRun:
    exit_code: int
    user_s: float
    sys_s: float
    wall_s: float
    peak_rss_mb: float  # the largest single process
    orphans: int        # descendants that outlived the main process


def run_process_tree(command: Sequence[str], log: Path) -> ProcessTreeRun:
    """Run ``command`` (output to ``log``) and measure its whole process tree.

    CPU: ``getrusage(RUSAGE_CHILDREN)`` before and after, which counts the child, the
    descendants it waited for and -- with ``become_subreaper`` -- orphaned ones, reaped here.
    """
    become_subreaper()
    already = child_pids()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log, "wb") as handle:
        child = subprocess.Popen(list(command), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)  # usage: the child and the descendants it waited for
    try:
        orphans, orphan_rss = reap_orphans(already)
    finally:
        become_subreaper(False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ProcessTreeRun(
        exit_code=os.waitstatus_to_exitcode(status),
        user_s=after.ru_utime - before.ru_utime,
        sys_s=after.ru_stime - before.ru_stime,
        wall_s=wall,
        peak_rss_mb=max(usage.ru_maxrss, orphan_rss) / 1024,  # KiB on Linux
        orphans=orphans,
    )


def replay(corpus: Path, articles: int, workdir: Path, pipeline_args: Sequence[str],
           profile_to: Optional[Path] = None) -> ReplayRun:
    """``pipelines.ingest`` on ``corpus`` in a child process: CPU time of its process tree, peak RSS."""
    output = workdir / f"out-{articles}"
    command = [sys.executable]
    if profile_to is not None:
        command += ["-m", "pyinstrument", "--renderer", "text", "--outfile", str(profile_to)]
    command += ["-m", "pipelines.ingest", "--input", str(corpus), "--output", str(output), *pipeline_args]
    log = workdir / f"replay-{articles}.log"
    tree = run_process_tree(command, log)
    run = ReplayRun(
        articles=articles,
        cpu_s=tree.user_s + tree.sys_s,
        user_s=tree.user_s,
        sys_s=tree.sys_s,
        wall_s=tree.wall_s,
        peak_rss_mb=tree.peak_rss_mb,
        exit_code=tree.exit_code,
        args=list(pipeline_args),
        orphans=tree.orphans,
    )
    if tree.exit_code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"replay of {articles} articles exited {tree.exit_code}:\n{tail}")
    run.enriched = count_lines(output, "articles")
    run.dead_letters = count_lines(output, "dead_letter")
    return run


# ----------------------------------------------------------------------------- reporting


def marginal(small: ReplayRun, big: ReplayRun, loop_per_cpu_s: float) -> dict[str, float]:
    """Per-article cost of the replay from two runs of different size (the fixed cost cancels):
    articles/CPU-s between them, its ratio to the plain loop, and the fixed cost it leaves in ``small``.
    The larger corpus repeats more names, so its caches hit more often: this flatters a little."""
    per_cpu_s = (big.articles - small.articles) / max(1e-9, big.cpu_s - small.cpu_s)
    return {
        "marginal_articles_per_cpu_s": round(per_cpu_s, 1),
        "marginal_ratio": round(per_cpu_s / loop_per_cpu_s, 3),
        "fixed_cpu_s": round(small.cpu_s - small.articles / per_cpu_s, 3),
    }


def render_markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Corpus: {result['n']} synthetic articles (seed {result['seed']}, text "
        f"{result['corpus']['min_text_bytes']}-{result['corpus']['max_text_bytes']} bytes, "
        f"{result['corpus']['bytes'] / 1e6:.1f} MB JSONL); {result['machine']}.",
        "",
        "| stage (plain loop) | articles / CPU-s | dead letters |",
        "|---|---:|---:|",
    ]
    for stage in result["stages"]:
        lines.append(f"| {stage['name']} | {stage['articles_per_cpu_s']:,.0f} | {stage['failures']} |")
    loop = result["plain_loop"]
    lines.append(f"| **all stages (read to serialize)** | **{loop['articles_per_cpu_s']:,.0f}** | |")
    if "replay" in result:
        rep, runs = result["replay"], result.get("rss", [])
        floor = loop["articles_per_cpu_s"]
        mode = " ".join(rep.get("args") or []) or "defaults: in_memory, 1 worker"
        lines += [
            "",
            f"| local replay (DirectRunner, {mode}) | " + " | ".join(f"N = {r['articles']:,}" for r in runs) + " |",
            "|---|" + "---:|" * len(runs),
            "| CPU-s, whole process tree | " + " | ".join(f"{r['cpu_s']:.1f}" for r in runs) + " |",
            "| articles / CPU-s | " + " | ".join(f"{r['articles_per_cpu_s']:,.0f}" for r in runs) + " |",
            "| ratio pipeline / plain loop | " + " | ".join(f"{r['articles_per_cpu_s'] / floor:.2f}" for r in runs) + " |",
            "| peak RSS | " + " | ".join(f"{r['peak_rss_mb']:,.0f} MB" for r in runs) + " |",
            "| enriched + dead letters | " + " | ".join(f"{r['enriched']} + {r['dead_letters']}" for r in runs) + " |",
            "",
            f"A 1-article replay costs {rep['startup_cpu_s']:.1f} CPU-s (Beam, imports, the stages' set-up).",
        ]
        if "marginal_articles_per_cpu_s" in rep:
            lines[-1] += (
                f" Per article, from the difference between the two replays, the replay runs at "
                f"{rep['marginal_articles_per_cpu_s']:,.0f} articles/CPU-s, ratio {rep['marginal_ratio']:.2f} to the "
                f"plain loop; the fixed cost that leaves in the N = {rep['articles']:,} run is {rep['fixed_cpu_s']:.1f} CPU-s."
            )
        setup = sum(stage.get("setup_cpu_s", 0.0) for stage in result["stages"])
        if setup:
            with_setup = result["n"] / (loop["cpu_s"] + setup)
            lines += [
                "",
                f"For comparison only (not the ratio above): the plain loop's untimed set-up (stage state built "
                f"once and a {BATCH}-article warm-up, {setup:.1f} CPU-s) counted in, it runs at "
                f"{with_setup:,.0f} articles/CPU-s; the N = {rep['articles']:,} replay is "
                f"{rep['articles_per_cpu_s'] / with_setup:.2f} of that.",
            ]
    lines += ["", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles in the timed corpus (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    parser.add_argument("--rss-n", type=int, default=20000,
                        help="articles in the second replay that checks peak RSS is flat (default 20000)")
    parser.add_argument("--skip-rss", action="store_true", help="skip the large RSS replay")
    parser.add_argument("--stages-only", action="store_true", help="time the plain loop only (no replay)")
    parser.add_argument("--profile", action="store_true",
                        help="also write pyinstrument profiles of the plain loop and the replay to the results dir")
    parser.add_argument("--pipeline-arg", action="append", default=[], metavar="ARG",
                        help="extra option for pipelines.ingest, e.g. --pipeline-arg=--direct_num_workers=2 (repeatable)")
    parser.add_argument("--results", default=str(RESULTS), help="results directory (default benchmarks/results)")
    parser.add_argument("--name", default=None,
                        help="results file stem (default 'latest'; 'profile' with --profile, whose figures include profiler overhead)")
    parser.add_argument("--workdir", default=None, help="where corpora and outputs go (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = "profile" if args.profile else "latest"

    sys.path.insert(0, str(ROOT))
    from benchmarks.corpus import write_corpus
    from benchmarks.report import emit
    from transforms.parse import DEFAULT_MAX_BYTES

    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        corpus = workdir / f"corpus-{args.n}.jsonl"
        stats = write_corpus(corpus, args.n, args.seed)
        print(f"corpus: {stats.articles} articles, {stats.bytes / 1e6:.1f} MB, "
              f"text {stats.min_text_bytes}-{stats.max_text_bytes} bytes", flush=True)

        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        timings, out = plain_loop(corpus, DEFAULT_MAX_BYTES)
        if profiler is not None:
            profiler.stop()
            (results_dir / f"{args.name}-stages.txt").write_text(profiler.output_text(unicode=True))
        loop_cpu = sum(t.cpu_s for t in timings)
        command = "python -m benchmarks.run" + "".join(
            f" {flag}" for flag in ([f"--n {args.n}"] if args.n != 2000 else [])
            + ([f"--seed {args.seed}"] if args.seed != 7 else [])
            + (["--skip-rss"] if args.skip_rss else [])
            + (["--stages-only"] if args.stages_only else [])
            + [f"--pipeline-arg={a}" for a in args.pipeline_arg])
        result: dict[str, Any] = {
            "command": command,
            "n": args.n,
            "seed": args.seed,
            "machine": machine(),
            "corpus": vars(stats),
            "stages": [
                {"name": t.name, "articles_in": t.articles_in, "failures": t.failures, "cpu_s": round(t.cpu_s, 4),
                 "setup_cpu_s": round(t.setup_cpu_s, 4), "articles_per_cpu_s": round(t.per_cpu_s, 1)}
                for t in timings
            ],
            "plain_loop": {"articles_in": args.n, "articles_out": out, "cpu_s": round(loop_cpu, 4),
                           "articles_per_cpu_s": round(args.n / loop_cpu, 1)},
        }
        width = max(len(t.name) for t in timings)
        for t in timings:
            print(f"  {t.name:<{width}}  {t.per_cpu_s:>10,.0f} articles/CPU-s  "
                  f"({t.cpu_s:.2f} CPU-s, {t.failures} failed, setup {t.setup_cpu_s:.2f} CPU-s)")
        print(f"  {'all':<{width}}  {args.n / loop_cpu:>10,.0f} articles/CPU-s  ({loop_cpu:.2f} CPU-s)", flush=True)

        if not args.stages_only:
            tiny = workdir / "corpus-1.jsonl"
            write_corpus(tiny, 1, args.seed)
            startup = replay(tiny, 1, workdir, args.pipeline_arg)
            profile_to = results_dir / f"{args.name}-replay.txt" if args.profile else None
            main_run = replay(corpus, args.n, workdir, args.pipeline_arg, profile_to)
            result["replay"] = {
                "articles": args.n, "cpu_s": round(main_run.cpu_s, 3), "user_s": round(main_run.user_s, 3),
                "sys_s": round(main_run.sys_s, 3), "wall_s": round(main_run.wall_s, 2),
                "peak_rss_mb": round(main_run.peak_rss_mb, 1),
                "startup_cpu_s": round(startup.cpu_s, 3),
                "articles_per_cpu_s": round(main_run.per_cpu_s, 1),
                "ratio": round(main_run.per_cpu_s / (args.n / loop_cpu), 3),
                "enriched": main_run.enriched, "dead_letters": main_run.dead_letters,
                "orphaned_descendants": main_run.orphans, "args": list(args.pipeline_arg),
            }
            rss_runs = [main_run]
            print(f"replay: {main_run.per_cpu_s:,.0f} articles/CPU-s ({main_run.cpu_s:.1f} CPU-s, "
                  f"{main_run.wall_s:.1f} s wall; a 1-article replay {startup.cpu_s:.1f} CPU-s); "
                  f"ratio to plain loop {result['replay']['ratio']:.2f}; peak RSS {main_run.peak_rss_mb:,.0f} MB; "
                  f"{main_run.enriched} enriched + {main_run.dead_letters} dead letters", flush=True)
            if not args.skip_rss and args.rss_n != args.n:
                big = workdir / f"corpus-{args.rss_n}.jsonl"
                write_corpus(big, args.rss_n, args.seed)
                big_run = replay(big, args.rss_n, workdir, args.pipeline_arg)
                rss_runs.append(big_run)
                print(f"replay N={args.rss_n}: peak RSS {big_run.peak_rss_mb:,.0f} MB, "
                      f"{big_run.per_cpu_s:,.0f} articles/CPU-s ({big_run.cpu_s:.1f} CPU-s)", flush=True)
                result["replay"].update(marginal(main_run, big_run, args.n / loop_cpu))
                print(f"per article, between the two replays: {result['replay']['marginal_articles_per_cpu_s']:,.0f} "
                      f"articles/CPU-s, ratio to plain loop {result['replay']['marginal_ratio']:.2f}; fixed cost "
                      f"{result['replay']['fixed_cpu_s']:.1f} CPU-s", flush=True)
            result["rss"] = [
                {"articles": r.articles, "peak_rss_mb": round(r.peak_rss_mb, 1), "cpu_s": round(r.cpu_s, 3),
                 "articles_per_cpu_s": round(r.per_cpu_s, 1), "enriched": r.enriched, "dead_letters": r.dead_letters}
                for r in rss_runs
            ]
        result["benchmark_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    json_path = results_dir / f"{args.name}.json"
    md_path = results_dir / f"{args.name}.md"
    emit(result, json_path, echo=False, ensure_ascii=True)
    md_path.write_text(render_markdown(result))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
