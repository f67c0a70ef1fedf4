"""Throughput and memory of the nightly run against raw fugashi, in one process.

    python benchmarks/bench_run.py [--rows 20000] [--model models/default]

Builds a synthetic export of --rows responses whose comments are drawn from the bundled
sample export and the labelled corpus (thousands of distinct real-style comments, not one
line repeated), then measures in the same process:
  1. raw fugashi (unidic-lite) tokenization of exactly the comments the run scores;
  2. cxtext run end to end (read, validate, normalize, tokenize, both models, per-theme
     polarity, NPS, drivers, writing every output).
Prints comments per second for both, their ratio, and the peak resident memory; then
(unless --quick) the speed-up from 1 to 2 jobs and a cold vs warm re-run of the same night: once
recomputing with every score from the cache (--force), once as the nightly job does by default
(nothing changed, so the published outputs are kept).

    python benchmarks/bench_run.py --memory-rows 100000 1000000

runs one fresh process per size instead (1 job, no cache, so that one process holds all the
memory) and prints each run's time and peak resident memory, and their ratio: the streaming
run should need about the same memory for a million responses as for a hundred thousand.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import random
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_comments() -> list[str]:
    comments = []
    for path in sorted((ROOT / "data" / "labelled").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            comments += [r["comment"] for r in csv.DictReader(fh) if r["comment"].strip()]
    sample = ROOT / "data" / "samples" / "survey_sample.csv"
    if sample.exists():
        with sample.open(encoding="cp932", newline="") as fh:
            comments += [r["推奨度の理由"] for r in csv.DictReader(fh) if (r.get("推奨度の理由") or "").strip()]
    return comments


def write_export(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    pool = corpus_comments()
    start = dt.datetime(2026, 9, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["回答ID", "回答日時", "推奨度", "推奨度の理由", "チャネル", "商品カテゴリ", "地域"])
        for i in range(rows):
            when = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
            comment = rng.choice(pool) if rng.random() > 0.1 else ""
            w.writerow([f"B{i:08d}", when.strftime("%Y/%m/%d %H:%M"), rng.randint(0, 10), comment,
                        rng.choice(["店舗", "オンラインストア", "アプリ", "コールセンター"]),
                        rng.choice(["家電", "家具", "日用品", "食品"]),
                        rng.choice(["北海道・東北", "関東", "中部", "近畿", "中国・四国", "九州"])])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


_ONE_RUN = """
import dataclasses, datetime as dt, json, resource, sys, time
from cxtext.config import load_config
from cxtext.run import run_nightly
export, out, model, config = sys.argv[1:5]
cfg = load_config(config)
cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, jobs=1, cache=False))
t0 = time.perf_counter()
summary = run_nightly([export], out, cfg, model_dir=model, now=dt.datetime(2026, 11, 30))
print(json.dumps({"seconds": time.perf_counter() - t0, "comments": summary.rows_with_comment,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def memory_by_size(sizes: list[int], model: str) -> None:
    peaks = {}
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "bench.csv"
            write_export(export, rows)
            done = subprocess.run([sys.executable, "-c", _ONE_RUN, str(export), str(Path(tmp) / "out"), model,
                                   str(ROOT / "jobs" / "cxtext.toml")], capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"run of {rows} rows failed:\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
        peaks[rows] = result["peak_mb"]
        print(f"{rows:>9,} responses: {result['seconds']:8.1f} s, {result['comments'] / result['seconds']:,.0f} "
              f"comments/s, peak memory {result['peak_mb']:,.0f} MB (1 job, one process)")
        sys.stdout.flush()
    smallest = min(peaks)
    for rows in sorted(peaks):
        if rows != smallest:
            print(f"peak memory {rows:,} vs {smallest:,} responses: {peaks[rows] / peaks[smallest]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--quick", action="store_true", help="only raw fugashi vs one 1-job run")
    parser.add_argument("--memory-rows", type=int, nargs="+", metavar="N",
                        help="instead: peak memory of one run per export size")
    args = parser.parse_args()
    if args.memory_rows:
        memory_by_size(args.memory_rows, args.model)
        return

    import fugashi
    import unidic_lite

    from cxtext.config import load_config
    from cxtext.readers import read_survey
    from cxtext.run import run_nightly

    cfg = load_config(ROOT / "jobs" / "cxtext.toml")
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "bench.csv"
        write_export(export, args.rows)
        comments = [c for c in read_survey(export, cfg.input).rows["comment"] if c.strip()]
        chars = sum(map(len, comments))

        tagger = fugashi.Tagger(f'-d "{unidic_lite.DICDIR}"')
        t0 = time.perf_counter()
        for c in comments:
            [w.surface for w in tagger(c)]
        raw = time.perf_counter() - t0

        def timed_run(out: Path, jobs: int, cache: bool, reuse_outputs: bool = False):
            run_cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, jobs=jobs, cache=cache,
                                                                       reuse_outputs=reuse_outputs))
            t0 = time.perf_counter()
            result = run_nightly([export], out, run_cfg, model_dir=args.model, now=dt.datetime(2026, 11, 30))
            return result, time.perf_counter() - t0

        summary, run = timed_run(Path(tmp) / "out1", jobs=1, cache=False)
        timings = {}
        if not args.quick:
            _, timings["2 jobs"] = timed_run(Path(tmp) / "out2", jobs=2, cache=False)
            _, timings["cold (cache on, 2 jobs)"] = timed_run(Path(tmp) / "out3", jobs=2, cache=True)
            # The same night again: first recomputing with every score from the cache (--force),
            # then as the nightly job would by default, which finds the outputs up to date.
            _, timings["warm re-run, score cache"] = timed_run(Path(tmp) / "out3", jobs=2, cache=True)
            kept, timings["warm re-run, outputs kept"] = timed_run(Path(tmp) / "out3", jobs=2, cache=True,
                                                                    reuse_outputs=True)
            assert kept.up_to_date

    print(f"responses: {args.rows}, comments scored: {summary.rows_with_comment}, mean length {chars / len(comments):.1f} chars")
    print(f"raw fugashi tokenization: {len(comments) / raw:,.0f} comments/s ({raw:.2f} s)")
    print(f"cxtext run end to end:    {summary.rows_with_comment / run:,.0f} comments/s ({run:.2f} s, 1 job, no cache)")
    print(f"ratio run / raw fugashi:  {raw / run:.3f}")
    if timings:
        two = timings["2 jobs"]
        print(f"2 jobs:                   {summary.rows_with_comment / two:,.0f} comments/s ({two:.2f} s), "
              f"speed-up {run / two:.2f}x over 1 job")
        cold, warm = timings["cold (cache on, 2 jobs)"], timings["warm re-run, score cache"]
        kept = timings["warm re-run, outputs kept"]
        print(f"same night again: cold {cold:.2f} s; warm, recomputed from the score cache (--force) {warm:.2f} s, "
              f"{cold / warm:.1f}x faster; warm, nothing changed (outputs kept) {kept:.2f} s, {cold / kept:.1f}x faster")
    print(f"peak memory (max RSS):    {peak_rss_mb():,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
