"""Training time of `cxtext train` at a given corpus size.

    python benchmarks/bench_train.py [--n 5000]

The labelled corpus is smaller than --n, so the benchmark makes a training file of --n rows
by taking the corpus and, for the rows beyond it, corpus comments with a suffix that changes
their tokens and characters (「。」+ a short tail) — the point is the cost of tokenizing,
cross-validating and fitting at that size, not the accuracy. Prints rows, seconds, rows/s
and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAILS = ["以上です", "よろしくお願いします", "今後に期待", "また利用するかも", "以上", "ご検討ください", "とのことでした"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()

    from cxtext.config import TrainingConfig
    from cxtext.labels import read_labels
    from cxtext.taxonomy import load_taxonomy
    from cxtext.training import train

    with (ROOT / "data" / "labelled" / "train.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(0)
    out = []
    for i in range(args.n):
        row = dict(rows[i % len(rows)])
        if i >= len(rows):
            row["comment"] = f"{row['comment']}。{rng.choice(TAILS)}{i}"
        row["comment_id"] = f"bench-{i}"
        out.append(row)
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomy.csv")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(out[0]))
            writer.writeheader()
            writer.writerows(out)
        labels = read_labels(path, taxonomy)
        started = time.perf_counter()
        train(labels, taxonomy, TrainingConfig())
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"train: {args.n} labelled comments in {seconds:.1f} s ({args.n / seconds:.0f} comments/s), "
          f"5-fold CV + final fit of theme, sentiment and polarity models; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
