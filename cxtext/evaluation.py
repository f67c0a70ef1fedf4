"""Metrics in the `evaluate --json` shape of shared/spec/data-formats.md."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from .classifiers import ModelBundle
from .labels import LabelledSet


def theme_metrics(y_true: np.ndarray, y_pred: np.ndarray, theme_ids: Sequence[str]) -> dict:
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    present = s > 0
    return {
        "micro_f1": round(float(f1_score(y_true, y_pred, average="micro", zero_division=0)), 4),
        # Themes absent from the file have no defined F1; they are left out of the macro mean.
        "macro_f1": round(float(np.mean(f[present])) if present.any() else 0.0, 4),
        "per_theme": {
            t: {"precision": round(float(p[j]), 4), "recall": round(float(r[j]), 4),
                "f1": round(float(f[j]), 4), "support": int(s[j])}
            for j, t in enumerate(theme_ids)
        },
    }


def sentiment_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", labels=["positive", "neutral", "negative"], zero_division=0)), 4),
    }


def f1_intervals(y_true: np.ndarray, y_pred: np.ndarray, theme_ids: Sequence[str], n_boot: int = 1000, seed: int = 0) -> dict:
    """Per-theme F1 with a 95% percentile bootstrap interval over comments (seeded)."""
    rng = np.random.default_rng(seed)
    n = len(y_true)
    if n == 0:
        return {}
    idx = rng.integers(0, n, size=(n_boot, n))
    tp = (y_true & y_pred).astype(np.int32)
    fp = ((1 - y_true) & y_pred).astype(np.int32)
    fn = (y_true & (1 - y_pred)).astype(np.int32)
    out = {}
    for j, theme in enumerate(theme_ids):
        t, f_p, f_n = tp[idx, j].sum(axis=1), fp[idx, j].sum(axis=1), fn[idx, j].sum(axis=1)
        denom = 2 * t + f_p + f_n
        # A resample with no gold and no predicted mention has no F1; leave it out.
        f1 = np.divide(2 * t, denom, out=np.full(n_boot, np.nan), where=denom > 0)
        if np.isnan(f1).all():
            continue
        out[theme] = [round(float(np.nanquantile(f1, 0.025)), 4), round(float(np.nanquantile(f1, 0.975)), 4)]
    return out


def calibration(y_true: np.ndarray, probs: np.ndarray, theme_ids: Sequence[str], bins: int = 10) -> dict:
    """Expected calibration error (equal-width bins) and Brier score per theme and overall:
    how far 'p_theme = 0.7' is from 'mentioned 70% of the time'."""
    def ece(y: np.ndarray, p: np.ndarray) -> float:
        which = np.minimum((p * bins).astype(int), bins - 1)
        total = 0.0
        for b in range(bins):
            mask = which == b
            if mask.any():
                total += mask.sum() / len(p) * abs(float(y[mask].mean()) - float(p[mask].mean()))
        return round(total, 4)

    per = {t: {"ece": ece(y_true[:, j], probs[:, j]),
               "brier": round(float(np.mean((probs[:, j] - y_true[:, j]) ** 2)), 4)}
           for j, t in enumerate(theme_ids)}
    return {"ece": ece(y_true.ravel(), probs.ravel()),
            "brier": round(float(np.mean((probs - y_true) ** 2)), 4), "per_theme": per}


def confusion(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] = ("positive", "neutral", "negative")) -> dict:
    """{gold: {predicted: count}} for the sentiment classes."""
    table = {g: {p: 0 for p in classes} for g in classes}
    for g, p in zip(y_true, y_pred):
        if g in table and p in table[g]:
            table[g][p] += 1
    return table


def theme_sentiment_accuracy(gold: Sequence[dict], predicted: Sequence[dict]) -> dict:
    """Share of gold theme mentions whose theme was found with the right polarity."""
    total = hits = 0
    for g, p in zip(gold, predicted):
        for theme, pol in g.items():
            total += 1
            hits += int(p.get(theme) == pol)
    return {"accuracy": round(hits / total, 4) if total else 0.0, "mentions": total}


def _parse_pairs(value: str) -> dict:
    return {p.split(":")[0]: p.split(":")[1] for p in value.split(";") if ":" in p}


def binarize(theme_lists: Sequence[Sequence[str]], theme_ids: Sequence[str]) -> np.ndarray:
    index = {t: j for j, t in enumerate(theme_ids)}
    y = np.zeros((len(theme_lists), len(theme_ids)), dtype=int)
    for i, themes in enumerate(theme_lists):
        for t in themes:
            if t in index:
                y[i, index[t]] = 1
    return y


def evaluate(bundle: ModelBundle, labels: LabelledSet) -> dict:
    """Score the labelled comments through the bundle's public predict and compare."""
    frame = labels.frame
    pred = bundle.predict(list(frame["comment"]))
    result: dict = {"n": int(len(frame)), "model": bundle.label}
    if labels.has_themes and bundle.theme_model is not None:
        y_true = binarize(frame["themes"], bundle.theme_ids)
        y_pred = binarize([t.split(";") if t else [] for t in pred["themes"]], bundle.theme_ids)
        result["themes"] = theme_metrics(y_true, y_pred, bundle.theme_ids)
    if labels.has_sentiment and bundle.sentiment_model is not None:
        # A comment with no text has no sentiment; score it as neutral rather than drop it.
        predicted = [s or "neutral" for s in pred["sentiment"]]
        result["sentiment"] = sentiment_metrics(list(frame["sentiment"]), predicted)
    if labels.has_theme_sentiments and bundle.theme_model is not None:
        result["theme_sentiment"] = theme_sentiment_accuracy(
            list(frame["theme_sentiments"]), [_parse_pairs(v) for v in pred["theme_sentiments"]]
        )
    return result
