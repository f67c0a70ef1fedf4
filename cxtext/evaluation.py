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
