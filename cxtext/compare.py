"""Is a candidate model better than the current one? Compare on the same labelled file, then
promote (with the previous model kept for rollback) only when it is not worse.

Metrics per model on one file: theme micro-F1 and macro-F1, per-theme F1, sentiment
macro-F1 and theme-polarity accuracy. Deltas (candidate − current) get paired bootstrap 95%
intervals: the same resampled comments score both models (1,000 resamples, seeded).

"Not worse", the promotion rule: for each headline metric (theme micro-F1, theme macro-F1,
sentiment macro-F1, polarity accuracy) the delta's point estimate is above −0.01 and the
upper bound of its interval is above 0 — a drop large and clear enough to be outside the
noise refuses the promotion. `--force` overrides it (the comparison is still recorded).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from .artifacts import load_bundle, read_card
from .errors import ModelError
from .evaluation import _parse_pairs, binarize
from .labels import read_labels

log = logging.getLogger(__name__)
HEADLINE = ("theme_micro_f1", "theme_macro_f1", "sentiment_macro_f1", "theme_polarity_accuracy")
TOLERANCE = 0.01
BOOTSTRAP = 1000
PREVIOUS_SUFFIX = ".previous"
SENTIMENTS = ("positive", "neutral", "negative")


def _per_comment(bundle, labels) -> dict[str, np.ndarray]:
    """Per-comment counts from which every metric can be recomputed on any resample."""
    frame = labels.frame
    pred = bundle.predict(list(frame["comment"]))
    ids = bundle.taxonomy.ids
    out: dict[str, np.ndarray] = {}
    if labels.has_themes:
        gold = binarize(list(frame["themes"]), ids)
        guess = binarize([v.split(";") if v else [] for v in pred["themes"]], ids)
        out["tp"], out["fp"], out["fn"] = gold & guess, (1 - gold) & guess, gold & (1 - guess)
    if labels.has_sentiment:
        gold_s = np.asarray(frame["sentiment"])
        guess_s = np.asarray([s or "neutral" for s in pred["sentiment"]])
        for c in SENTIMENTS:
            out[f"s_tp_{c}"] = ((gold_s == c) & (guess_s == c)).astype(int)
            out[f"s_fp_{c}"] = ((gold_s != c) & (guess_s == c)).astype(int)
            out[f"s_fn_{c}"] = ((gold_s == c) & (guess_s != c)).astype(int)
    if labels.has_theme_sentiments:
        predicted = [_parse_pairs(v) for v in pred["theme_sentiments"]]
        gold_p = list(frame["theme_sentiments"])
        out["pol_hits"] = np.array([sum(p.get(t) == v for t, v in g.items()) for g, p in zip(gold_p, predicted)])
        out["pol_total"] = np.array([len(g) for g in gold_p])
    return out


def _f1(tp, fp, fn):
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.full(np.shape(denom), np.nan, dtype=float), where=denom > 0)


def _metrics(parts: dict[str, np.ndarray], weights: np.ndarray, theme_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Metrics for each row of `weights` (resamples × comments: how often each comment is drawn)."""
    m: dict[str, np.ndarray] = {}
    if "tp" in parts:
        tp, fp, fn = (weights @ parts[k] for k in ("tp", "fp", "fn"))  # resamples × themes
        m["theme_micro_f1"] = _f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))
        per = _f1(tp, fp, fn)
        with np.errstate(invalid="ignore"):
            m["theme_macro_f1"] = np.nanmean(np.where(tp + fn > 0, per, np.nan), axis=1)
        for j, theme in enumerate(theme_ids):
            m[f"f1_{theme}"] = per[:, j]
    if "s_tp_positive" in parts:
        f1s = [_f1(weights @ parts[f"s_tp_{c}"], weights @ parts[f"s_fp_{c}"], weights @ parts[f"s_fn_{c}"]) for c in SENTIMENTS]
        m["sentiment_macro_f1"] = np.nanmean(np.vstack(f1s), axis=0)
    if "pol_hits" in parts:
        total = weights @ parts["pol_total"]
        m["theme_polarity_accuracy"] = np.divide(weights @ parts["pol_hits"], total, out=np.full(total.shape, np.nan),
                                                 where=total > 0)
    return m


def compare_models(candidate_dir: str | Path, current_dir: str | Path, label_file: str | Path,
                   n_boot: int = BOOTSTRAP, seed: int = 0) -> dict:
    """Both models on the same labelled file: metrics, deltas and paired bootstrap intervals."""
    candidate, current = load_bundle(candidate_dir), load_bundle(current_dir)
    if candidate.taxonomy.ids != current.taxonomy.ids:
        log.warning("the models have different themes; only shared themes are compared per theme")
    labels = read_labels(label_file, candidate.taxonomy)
    n = len(labels.frame)
    parts_c, parts_o = _per_comment(candidate, labels), _per_comment(current, labels)
    ids = candidate.taxonomy.ids
    point_c = _metrics(parts_c, np.ones((1, n)), ids)
    point_o = _metrics(parts_o, np.ones((1, n)), ids)
    draws = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=n_boot)  # paired resamples
    boot_c, boot_o = _metrics(parts_c, draws, ids), _metrics(parts_o, draws, ids)
    metrics = {}
    for name in point_c:
        if name not in point_o:
            continue
        delta = boot_c[name] - boot_o[name]
        delta = delta[~np.isnan(delta)]
        c, o = float(point_c[name][0]), float(point_o[name][0])
        metrics[name] = {
            "candidate": None if np.isnan(c) else round(c, 4), "current": None if np.isnan(o) else round(o, 4),
            "delta": None if np.isnan(c - o) else round(c - o, 4),
            "delta_ci_low": round(float(np.quantile(delta, 0.025)), 4) if delta.size else None,
            "delta_ci_high": round(float(np.quantile(delta, 0.975)), 4) if delta.size else None,
        }
    worse = [name for name in HEADLINE if name in metrics and metrics[name]["delta"] is not None
             and (metrics[name]["delta"] < -TOLERANCE or (metrics[name]["delta_ci_high"] or 0) < 0)]
    return {"labels": str(label_file), "n": n, "candidate": candidate.label, "current": current.label,
            "metrics": metrics, "worse_on": worse, "not_worse": not worse,
            "rule": f"refuse when a headline delta < -{TOLERANCE} or its 95% interval lies below 0"}


def format_comparison(result: dict) -> str:
    lines = [f"candidate {result['candidate']} vs current {result['current']} on {result['labels']} (n = {result['n']})",
             f"{'metric':28s} {'current':>8s} {'candidate':>9s} {'delta':>7s}  95% interval"]
    for name, m in result["metrics"].items():
        fmt = lambda v: "" if v is None else f"{v:.4f}"  # noqa: E731
        lines.append(f"{name:28s} {fmt(m['current']):>8s} {fmt(m['candidate']):>9s} {fmt(m['delta']):>7s}  "
                     f"[{fmt(m['delta_ci_low'])}, {fmt(m['delta_ci_high'])}]")
    lines.append("verdict: " + ("not worse — can be promoted" if result["not_worse"]
                                else "worse on " + ", ".join(result["worse_on"])))
    return "\n".join(lines)


def promote(candidate_dir: str | Path, target_dir: str | Path, label_file: str | Path, force: bool = False) -> dict:
    """Replace target_dir by the candidate when it is not worse on label_file (or force).
    The replaced model is kept as `<target>.previous` for `rollback`."""
    candidate_dir, target_dir = Path(candidate_dir), Path(target_dir)
    load_bundle(candidate_dir)  # integrity and version checks first: never promote a broken folder
    if candidate_dir.resolve() == target_dir.resolve():
        raise ModelError(f"{candidate_dir} is already the model in use")
    result = None
    if target_dir.exists():
        result = compare_models(candidate_dir, target_dir, label_file)
        if not result["not_worse"] and not force:
            details = "; ".join(f"{k} {result['metrics'][k]['delta']:+.4f} "
                                f"[{result['metrics'][k]['delta_ci_low']:+.4f}, {result['metrics'][k]['delta_ci_high']:+.4f}]"
                                for k in result["worse_on"])
            raise ModelError(f"candidate {result['candidate']} is worse than {result['current']} on {label_file}: "
                             f"{details}; not promoted (use --force to promote anyway)")
    previous = target_dir.with_name(target_dir.name + PREVIOUS_SUFFIX)
    staging = target_dir.with_name(f".{target_dir.name}.promoting")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(candidate_dir, staging)
    record = {"promoted_at": dt.datetime.now().isoformat(timespec="seconds"), "from": str(candidate_dir),
              "forced": bool(force and result is not None and not result["not_worse"]), "comparison": result}
    (staging / "PROMOTION.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if target_dir.exists():
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(target_dir, previous)
    os.replace(staging, target_dir)
    log.info("promoted %s to %s%s", read_card(target_dir).get("version"), target_dir,
             f"; previous model kept in {previous}" if previous.exists() else "")
    return {"target": str(target_dir), "previous": str(previous) if previous.exists() else None, **record}


def rollback(target_dir: str | Path) -> dict:
    """Swap the model in use with the one it replaced."""
    target_dir = Path(target_dir)
    previous = target_dir.with_name(target_dir.name + PREVIOUS_SUFFIX)
    if not previous.is_dir():
        raise ModelError(f"no previous model at {previous}; nothing to roll back to")
    load_bundle(previous)
    swap = target_dir.with_name(f".{target_dir.name}.rollback")
    shutil.rmtree(swap, ignore_errors=True)
    os.replace(target_dir, swap)
    os.replace(previous, target_dir)
    os.replace(swap, previous)
    return {"target": str(target_dir), "now": read_card(target_dir).get("version"),
            "previous": read_card(previous).get("version")}
