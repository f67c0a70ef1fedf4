"""Training: labelled comments → a ModelBundle plus cross-validated metrics."""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings
from typing import Callable

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from .classifiers import ModelBundle
from .config import TrainingConfig
from .drift import content_tokens, reference_profile
from .errors import InputError
from .evaluation import binarize, calibration, confusion, f1_intervals, sentiment_metrics, theme_metrics
from .features import build_vectorizer
from .labels import LabelledSet
from .taxonomy import Taxonomy
from .tokens import JapaneseTokenizer

log = logging.getLogger(__name__)
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)
MIN_POLARITY_EXAMPLES = 30


def theme_pipeline(cfg: TrainingConfig, taxonomy: Taxonomy | None = None) -> Pipeline:
    clf = OneVsRestClassifier(LogisticRegression(C=cfg.theme_C, solver="liblinear", max_iter=1000, random_state=cfg.random_state))
    cues = tuple((t.id, tuple(t.keywords)) for t in taxonomy.themes) if taxonomy is not None else ()
    return Pipeline([("features", build_vectorizer("theme", cues)), ("classifier", clf)])


def sentiment_pipeline(cfg: TrainingConfig) -> Pipeline:
    clf = LogisticRegression(C=cfg.sentiment_C, max_iter=3000, class_weight="balanced", random_state=cfg.random_state)
    return Pipeline([("features", build_vectorizer("sentiment")), ("classifier", clf)])


def choose_thresholds(y: np.ndarray, probs: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Per theme, the probability cut that maximizes F-beta on out-of-fold predictions."""
    b2 = beta * beta
    out = np.full(y.shape[1], 0.5)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            continue
        best, best_f1 = 0.5, -1.0
        for t in THRESHOLD_GRID:
            pred = probs[:, j] >= t
            tp = float((pred & (y[:, j] == 1)).sum())
            denom = pred.sum() + b2 * y[:, j].sum()
            f1 = (1 + b2) * tp / denom if denom else 0.0
            if f1 > best_f1 + 1e-9:
                best, best_f1 = t, f1
        out[j] = best
    return out


def _theme_oof(docs, y: np.ndarray, cfg: TrainingConfig, taxonomy: Taxonomy, bundle: ModelBundle) -> np.ndarray:
    """Out-of-fold theme probabilities computed exactly as the bundle will score (clause pooling
    included), so thresholds and calibration are chosen on the scores the run will see."""
    oof = np.zeros(y.shape, dtype=float)
    folds = KFold(cfg.cv_folds, shuffle=True, random_state=cfg.random_state)
    for train_idx, test_idx in folds.split(docs):
        fold = ModelBundle(bundle.name, bundle.version, taxonomy, bundle.tokenizer, None, None, None, None,
                           clause_pooling=bundle.clause_pooling)
        fold.theme_model = theme_pipeline(cfg, taxonomy).fit([docs[i] for i in train_idx], y[train_idx])
        oof[test_idx] = fold.theme_scores([docs[i] for i in test_idx])[0]
    return oof


def train(
    labels: LabelledSet,
    taxonomy: Taxonomy,
    cfg: TrainingConfig,
    name: str = "cxtext",
    version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[ModelBundle, dict]:
    """Train what the labels allow. Returns the bundle and a report (CV metrics, counts, skipped)."""
    started = time.perf_counter()
    frame = labels.frame
    if len(frame) < 20:
        raise InputError(f"only {len(frame)} labelled comments; at least 20 are needed to train")
    say = progress or (lambda msg: log.info(msg))
    version = version or dt.date.today().isoformat() + "-" + labels.sha256[:8]
    bundle = ModelBundle(name, version, taxonomy, JapaneseTokenizer(), None, None, None, None,
                         clause_pooling=cfg.clause_pooling)
    say(f"tokenizing {len(frame)} labelled comments")
    docs = bundle.analyze(list(frame["comment"]))
    report: dict = {"n": int(len(frame)), "skipped": [], "cv": {}, "label_counts": {}}
    rs = cfg.random_state

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
        if labels.has_themes:
            y = binarize(frame["themes"], taxonomy.ids)
            counts = dict(zip(taxonomy.ids, map(int, y.sum(axis=0))))
            report["label_counts"]["themes"] = counts
            report["label_counts"]["no_theme"] = int((y.sum(axis=1) == 0).sum())
            thin = [t for t, c in counts.items() if c < 5]
            if thin:
                log.warning("themes with fewer than 5 examples will not be predicted well: %s", ", ".join(thin))
            say(f"cross-validating the theme model ({cfg.cv_folds} folds)")
            oof = _theme_oof(docs, y, cfg, taxonomy, bundle)
            thresholds = choose_thresholds(y, oof, cfg.threshold_beta)
            oof_pred = (oof >= thresholds).astype(int)
            report["cv"]["themes"] = theme_metrics(y, oof_pred, taxonomy.ids)
            report["cv"]["theme_f1_95ci"] = f1_intervals(y, oof_pred, taxonomy.ids, seed=rs)
            report["cv"]["calibration"] = calibration(y, oof, taxonomy.ids)
            report["thresholds"] = dict(zip(taxonomy.ids, map(float, thresholds)))
            say("fitting the theme model")
            bundle.theme_model = theme_pipeline(cfg, taxonomy).fit(docs, y)
            bundle.theme_thresholds = thresholds
        else:
            report["skipped"].append("themes (no themes column)")

        if labels.has_sentiment:
            y_sent = np.asarray(frame["sentiment"])
            report["label_counts"]["sentiment"] = {k: int(v) for k, v in zip(*np.unique(y_sent, return_counts=True))}
            say(f"cross-validating the sentiment model ({cfg.cv_folds} folds)")
            folds = StratifiedKFold(cfg.cv_folds, shuffle=True, random_state=rs)
            oof_sent_proba = cross_val_predict(sentiment_pipeline(cfg), docs, y_sent, cv=folds, method="predict_proba")
            sentiment_classes = np.unique(y_sent)  # the column order of predict_proba
            oof_sent = sentiment_classes[oof_sent_proba.argmax(axis=1)]
            report["cv"]["sentiment"] = sentiment_metrics(y_sent, oof_sent)
            report["cv"]["sentiment_confusion"] = confusion(y_sent, oof_sent)
            say("fitting the sentiment model")
            bundle.sentiment_model = sentiment_pipeline(cfg).fit(docs, y_sent)
        else:
            report["skipped"].append("sentiment (no sentiment column)")

        if labels.has_theme_sentiments and bundle.theme_model is not None:
            gold = list(frame["theme_sentiments"])
            contexts = bundle.contexts_for(docs, [list(g) for g in gold])
            xs = [ctx[t] for ctx, g in zip(contexts, gold) for t in g]
            ys = [g[t] for g in gold for t in g]
            report["label_counts"]["theme_mentions"] = len(ys)
            if len(ys) >= MIN_POLARITY_EXAMPLES and len(set(ys)) > 1:
                say("fitting the per-theme polarity model")
                bundle.polarity_model = sentiment_pipeline(cfg).fit(xs, ys)
            else:
                report["skipped"].append("per-theme polarity (too few theme_sentiments); the overall sentiment model is used")
        else:
            report["skipped"].append("per-theme polarity (no theme_sentiments column)")

    no_theme = (oof_pred.sum(axis=1) == 0) if labels.has_themes else np.zeros(0)
    confidence = oof_sent_proba.max(axis=1) if labels.has_sentiment else np.zeros(0)
    report["reference"] = reference_profile([d.tokens for d in docs], no_theme, confidence, cfg.cv_folds, rs)
    vocabulary = frozenset(w for d in docs for w in content_tokens(d.tokens))
    report["train_seconds"] = round(time.perf_counter() - started, 2)
    bundle.info = {"training": report, "reference": report["reference"], "vocabulary": vocabulary}
    return bundle, report


def train_and_save(
    label_files: list[str],
    out_dir: str,
    taxonomy_path: str,
    cfg: TrainingConfig,
    name: str = "cxtext-default",
    version: str | None = None,
    test_file: str | None = None,
) -> dict:
    """Train, score the test file through the trained bundle, and save the candidate with its card."""
    import dataclasses

    from .artifacts import save_bundle
    from .evaluation import evaluate
    from .labels import read_labels
    from .taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_path)
    labels = read_labels(label_files, taxonomy)
    bundle, report = train(labels, taxonomy, cfg, name=name, version=version)
    card: dict = {
        "training_data": {"sources": list(labels.sources), "sha256": labels.sha256, "n": len(labels)},
        "training": report,
        "settings": dataclasses.asdict(cfg),
    }
    if test_file:
        test = read_labels(test_file, taxonomy)
        overlap = set(test.frame["comment"].str.strip()) & set(labels.frame["comment"].str.strip())
        if overlap:
            log.warning("%d comments of the test file also occur in the training data", len(overlap))
        card["test_metrics"] = evaluate(bundle, test)
        card["test_data"] = {"source": test_file, "sha256": test.sha256, "n": len(test)}
    save_bundle(bundle, out_dir, card)
    log.info("candidate model written to %s (trained in %.1f s)", out_dir, report["train_seconds"])
    return {"out": str(out_dir), "model": bundle.label, "train_seconds": report["train_seconds"],
            "cv": report["cv"], "test": card.get("test_metrics"), "skipped": report["skipped"]}
