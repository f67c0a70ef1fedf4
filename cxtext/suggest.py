"""Which comments to label next: the ones the model learns most from.

Each comment of an export gets a usefulness score, the sum of:
- theme uncertainty: how close the nearest theme probability is to that theme's threshold
  (1 at the threshold, 0 far from it);
- sentiment uncertainty: 1 − the sentiment model's confidence;
- disagreement: negative sentiment but no theme (a complaint the taxonomy missed), or a
  theme with a polarity opposite to the overall sentiment;
- new vocabulary: the share of its words never seen in training.
Comments are then picked greedily by score, skipping any whose character 3-grams overlap an
already picked one by cosine ≥ 0.8 (the corpus's near-duplicate rule), so the batch is
diverse. The output is the labelled-comments format with the model's predictions pre-filled
(the analyst corrects them) plus `suggest_reason` and `suggest_score` at the end, which
`cxtext train` ignores.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from .drift import content_tokens
from .privacy import mask_personal_data

SIMILAR = 0.8
LABEL_COLUMNS = ["comment_id", "comment", "themes", "sentiment", "theme_sentiments", "nps_score"]


def _trigram_vector(text: str) -> dict[str, float]:
    grams = {text[i : i + 3] for i in range(max(len(text) - 2, 1))}
    norm = math.sqrt(len(grams)) or 1.0
    return {g: 1 / norm for g in grams}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def usefulness(bundle, texts: Sequence[str], predictions: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    ids = bundle.theme_ids
    probs = predictions[[f"p_{t}" for t in ids]].to_numpy(dtype=float)
    thresholds = bundle.theme_thresholds if bundle.theme_thresholds is not None else np.full(len(ids), 0.5)
    # Distance to the threshold on each side, scaled so both sides run from 0 to 1.
    scale = np.where(probs >= thresholds, 1 - thresholds, thresholds)
    closeness = 1 - np.abs(probs - thresholds) / np.maximum(scale, 1e-9)
    theme_unc = closeness.max(axis=1)
    sent_unc = 1 - predictions["sentiment_confidence"].to_numpy(dtype=float)
    unthemed_complaint = ((predictions["sentiment"] == "negative") & (predictions["themes"] == "")).to_numpy()
    opposite = np.array([
        any((pol == "positive" and s == "negative") or (pol == "negative" and s == "positive")
            for pol in (p.split(":")[1] for p in tp.split(";") if ":" in p))
        for tp, s in zip(predictions["theme_sentiments"], predictions["sentiment"])])
    vocabulary = (bundle.info or {}).get("vocabulary") or frozenset()
    docs = bundle.analyze(list(texts))
    new_words = np.array([
        (sum(w not in vocabulary for w in words) / len(words)) if (words := content_tokens(d.tokens)) and vocabulary else 0.0
        for d in docs])
    score = theme_unc + sent_unc + 0.5 * unthemed_complaint + 0.5 * opposite + new_words
    reasons = []
    for i in range(len(texts)):
        parts = []
        if theme_unc[i] >= 0.7:
            parts.append("theme near threshold")
        if sent_unc[i] >= 0.4:
            parts.append("sentiment uncertain")
        if unthemed_complaint[i]:
            parts.append("complaint without theme")
        if opposite[i]:
            parts.append("theme polarity disagrees with sentiment")
        if new_words[i] >= 0.3:
            parts.append("new vocabulary")
        reasons.append("; ".join(parts) or "highest remaining score")
    return score, reasons


def suggest_labels(bundle, response_ids: Sequence[str], texts: Sequence[str], n: int,
                   scores: Sequence[int | None] | None = None) -> pd.DataFrame:
    """Up to n diverse comments most worth labelling, in the labelled-comments format."""
    texts = [t for t in texts]
    keep = [i for i, t in enumerate(texts) if t and t.strip()]
    texts_kept = [texts[i] for i in keep]
    predictions = bundle.predict(texts_kept)
    score, reasons = usefulness(bundle, texts_kept, predictions)
    normalized = [d.text for d in bundle.analyze(texts_kept)]
    chosen: list[int] = []
    vectors: list[dict[str, float]] = []
    for k in np.argsort(-score, kind="stable"):
        vec = _trigram_vector(normalized[k])
        if any(_cosine(vec, other) >= SIMILAR for other in vectors):
            continue
        chosen.append(int(k))
        vectors.append(vec)
        if len(chosen) == n:
            break
    rows = []
    for k in chosen:
        i = keep[k]
        rows.append({"comment_id": str(response_ids[i]), "comment": mask_personal_data(texts[i]),
                     "themes": predictions.at[k, "themes"], "sentiment": predictions.at[k, "sentiment"] or "neutral",
                     "theme_sentiments": predictions.at[k, "theme_sentiments"],
                     "nps_score": "" if scores is None or scores[i] is None else scores[i],
                     "suggest_reason": reasons[k], "suggest_score": round(float(score[k]), 4)})
    return pd.DataFrame(rows, columns=LABEL_COLUMNS + ["suggest_reason", "suggest_score"])
