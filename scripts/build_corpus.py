"""Merge the per-industry labelled parts into the train and test splits.

    python scripts/build_corpus.py PART.csv...                 # first build: split 80/20
    python scripts/build_corpus.py --append-train PART.csv...  # later parts: train only

Run once when the corpus was assembled from per-industry parts (see data/labelled/README.md;
the parts themselves are not kept: train.csv and test.csv hold every comment that survived); kept as the record
of how the splits were made. Steps: validate every part with cxtext's own label reader;
drop near-duplicates (cosine similarity of character 3-gram sets ≥ 0.8, the later comment
goes); split 80/20 stratified by industry × sentiment with a fixed seed; write
data/labelled/train.csv and data/labelled/test.csv.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split

from cxtext.labels import read_labels
from cxtext.normalize import normalize_comment
from cxtext.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["comment_id", "comment", "themes", "sentiment", "theme_sentiments", "nps_score", "industry"]
NEAR_DUPLICATE = 0.8


def near_duplicates(texts: list[str]) -> list[tuple[int, int, float]]:
    norm = [normalize_comment(t) for t in texts]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), binary=True, use_idf=False, norm="l2")
    x = vec.fit_transform(norm)
    sim = (x @ x.T).tocoo()
    pairs = [(i, j, v) for i, j, v in zip(sim.row, sim.col, sim.data) if i < j and v >= NEAR_DUPLICATE]
    # Very short comments ("高い", "特になし") repeat in real data; only exact repeats count there.
    pairs = [(i, j, v) for i, j, v in pairs if len(norm[i]) >= 8 or norm[i] == norm[j]]
    # Comments under 3 characters have no 3-grams: compare them exactly.
    first: dict[str, int] = {}
    for j, text in enumerate(norm):
        if len(text) < 3:
            if text in first:
                pairs.append((first[text], j, 1.0))
            else:
                first[text] = j
    return pairs


def main(parts: list[str]) -> None:
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomy.csv")
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts]
    read_labels(parts, taxonomy)  # raises with row numbers on any label problem
    df = pd.concat(frames, ignore_index=True)[COLUMNS]
    pairs = near_duplicates(list(df["comment"]))
    drop = sorted({j for _, j, _ in pairs})
    for i, j, v in pairs[:40]:
        print(f"near-duplicate {v:.2f}: {df.at[i, 'comment'][:40]!r} ~ {df.at[j, 'comment'][:40]!r}")
    print(f"{len(df)} comments, {len(drop)} near-duplicates dropped")
    df = df.drop(index=drop).reset_index(drop=True)
    strata = df["industry"] + "/" + df["sentiment"]
    train, test = train_test_split(df, test_size=0.2, random_state=20261122, stratify=strata)
    out = ROOT / "data" / "labelled"
    train.sort_values("comment_id").to_csv(out / "train.csv", index=False, encoding="utf-8")
    test.sort_values("comment_id").to_csv(out / "test.csv", index=False, encoding="utf-8")
    for name, part in (("train", train), ("test", test)):
        counts = pd.Series([t for v in part["themes"] for t in v.split(";") if t]).value_counts()
        print(name, len(part), dict(counts), dict(part["sentiment"].value_counts()))
    all_counts = pd.Series([t for v in df["themes"] for t in v.split(";") if t]).value_counts()
    print("all", len(df), "min theme count", int(all_counts.min()), "no theme", int((df["themes"] == "").sum()))


def append_to_train(parts: list[str]) -> None:
    """Add newly written parts to train.csv only (test.csv stays fixed), dropping comments that
    near-duplicate anything already in train.csv or test.csv, or each other."""
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomy.csv")
    read_labels(parts, taxonomy)
    out = ROOT / "data" / "labelled"
    train = pd.read_csv(out / "train.csv", dtype=str, keep_default_na=False)
    test = pd.read_csv(out / "test.csv", dtype=str, keep_default_na=False)
    new = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts], ignore_index=True)[COLUMNS]
    existing = pd.concat([train, test], ignore_index=True)[COLUMNS]
    both = pd.concat([existing, new], ignore_index=True)
    offset = len(existing)
    drop = sorted({j for i, j, _ in near_duplicates(list(both["comment"])) if j >= offset})
    for j in drop[:30]:
        print(f"near-duplicate dropped: {both.at[j, 'comment'][:50]!r}")
    kept = both.drop(index=drop).loc[lambda f: f.index >= offset]
    print(f"{len(new)} new comments, {len(drop)} near-duplicates dropped, {len(kept)} added to train.csv")
    merged = pd.concat([train[COLUMNS], kept], ignore_index=True).sort_values("comment_id")
    merged.to_csv(out / "train.csv", index=False, encoding="utf-8")
    counts = pd.Series([t for v in merged["themes"] for t in v.split(";") if t]).value_counts()
    print("train", len(merged), dict(counts), dict(merged["sentiment"].value_counts()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append-train", action="store_true", help="add the parts to train.csv only")
    parser.add_argument("parts", nargs="+", metavar="PART.csv")
    args = parser.parse_args()
    (append_to_train if args.append_train else main)(args.parts)
