"""Drift signals: is tonight's input still like the data the model was trained on?

Training records a reference (share of comments with no theme, sentiment-confidence
quantiles, the rate of tokens unseen in training measured across CV folds, and the training
vocabulary). Each run compares its own figures with it and warns when they move far: a
jump in unthemed comments or unknown words usually means a new topic or a new product
line that the taxonomy or the labelled data do not cover yet.
"""

from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np
import pandas as pd

from .tokens import MARKERS, NEG

log = logging.getLogger(__name__)
SAMPLE = 1000  # comments tokenized again for the unseen-word rate: ~15,000 words, fine against the 5-point warning threshold
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def content_tokens(tokens: Sequence[str]) -> list[str]:
    return [t[: -len(NEG)] if t.endswith(NEG) else t for t in tokens if t not in MARKERS]


def unseen_rate(token_lists: Sequence[Sequence[str]], vocabulary: frozenset[str] | set[str]) -> float:
    total = unseen = 0
    for tokens in token_lists:
        words = content_tokens(tokens)
        total += len(words)
        unseen += sum(1 for w in words if w not in vocabulary)
    return unseen / total if total else 0.0


def reference_profile(token_lists: Sequence[Sequence[str]], no_theme: np.ndarray, confidence: np.ndarray,
                      folds: int = 5, seed: int = 0) -> dict:
    """The training-side reference: figures measured out of fold, like the run will see them."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(token_lists))
    rates = []
    for k in range(folds):
        held = set(order[k::folds].tolist())
        vocab = {w for i, toks in enumerate(token_lists) if i not in held for w in content_tokens(toks)}
        rates.append(unseen_rate([token_lists[i] for i in held], vocab))
    return {
        "no_theme_share": round(float(np.mean(no_theme)), 4) if len(no_theme) else 0.0,
        "sentiment_confidence_quantiles": dict(zip(map(str, QUANTILES), np.round(np.quantile(confidence, QUANTILES), 4).tolist()))
        if len(confidence) else {},
        "unseen_token_rate": round(float(np.mean(rates)), 4) if rates else 0.0,
        "n": int(len(token_lists)),
    }


def _two_proportion_z(p1: float, n1: int, p2: float, n2: int) -> float:
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) if 0 < pooled < 1 else 0.0
    return (p1 - p2) / se if se else 0.0


def drift_signals(bundle, comments: Sequence[str], predictions: pd.DataFrame, seed: int = 0) -> dict:
    """Tonight's figures next to the model's reference, plus human-readable warnings.

    ``predictions`` (columns themes, sentiment_confidence) covers every scored comment;
    ``comments`` is their text, or a uniform sample of it, for the unseen-word rate."""
    reference = (bundle.info or {}).get("reference") or {}
    vocabulary = (bundle.info or {}).get("vocabulary")
    n = len(predictions)
    result: dict = {"n": n, "reference": {k: v for k, v in reference.items()}, "warnings": []}
    if n == 0:
        return result
    no_theme = float((predictions["themes"] == "").mean())
    confidence = predictions["sentiment_confidence"].to_numpy(dtype=float)
    result["no_theme_share"] = round(no_theme, 4)
    result["sentiment_confidence_quantiles"] = dict(zip(map(str, QUANTILES), np.round(np.quantile(confidence, QUANTILES), 4).tolist()))
    if vocabulary and len(comments):
        # ``comments`` may already be a sample (the streaming run keeps a reservoir of them).
        rng = np.random.default_rng(seed)
        m = len(comments)
        pick = rng.choice(m, size=SAMPLE, replace=False) if m > SAMPLE else np.arange(m)
        docs = bundle.analyze([comments[i] for i in sorted(pick.tolist())])
        result["unseen_token_rate"] = round(unseen_rate([d.tokens for d in docs], vocabulary), 4)
    if not reference:
        return result
    warnings = result["warnings"]
    ref_share, ref_n = reference.get("no_theme_share", 0.0), max(reference.get("n", 0), 1)
    z = _two_proportion_z(no_theme, n, ref_share, ref_n)
    # Only a rise matters: fewer unthemed comments than in training is not a coverage problem.
    if no_theme - ref_share >= 0.10 and z >= 3:
        warnings.append(f"share of comments with no theme is {no_theme:.0%} against {ref_share:.0%} in training "
                        f"(z = {z:.1f}): new topics the taxonomy may not cover")
    ref_median = reference.get("sentiment_confidence_quantiles", {}).get("0.5")
    median = result["sentiment_confidence_quantiles"]["0.5"]
    if ref_median is not None and median < ref_median - 0.10:
        warnings.append(f"median sentiment confidence fell to {median:.2f} from {ref_median:.2f} in training")
    rate, ref_rate = result.get("unseen_token_rate"), reference.get("unseen_token_rate")
    if rate is not None and ref_rate is not None and rate > ref_rate + max(0.05, 0.5 * ref_rate):
        warnings.append(f"{rate:.0%} of words were never seen in training (training held-out: {ref_rate:.0%}): "
                        "label some of these comments (cxtext suggest-labels) and retrain")
    for message in warnings:
        log.warning("drift: %s", message)
    return result
