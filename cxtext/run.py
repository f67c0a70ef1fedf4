"""The nightly run: read → validate → score → NPS and drivers → write. The one place where
the stages are wired; the CLI and jobs/nightly.py both call run_nightly."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from . import schema
from .artifacts import default_model_dir, load_bundle
from .config import Config
from .drift import drift_signals
from .drivers import drivers_table
from .errors import ConfigError, InputError
from .followup import VERBATIM_COLUMNS, followup_table, verbatims_table
from .history import (ALERTS_COLUMNS, HISTORY_COLUMNS, HISTORY_FILE, TRENDS_COLUMNS, alerts_table, daily_counts,
                      read_history, trends_table, update_history)
from .nps import nps_table
from .outputs import write_json, write_table
from .privacy import mask_personal_data
from .publish import RunLock, new_staging, publish
from .readers import ROW_NUMBER, SOURCE_FILE, expand_inputs, read_survey
from .report import render_report
from .scoring import ScoreCache, default_jobs, score_dask, score_with_cache
from .validation import split_valid

log = logging.getLogger(__name__)

CACHE_NAME = ".cxtext-scores.sqlite"  # in the output folder; delete it to force a full re-score
OUTPUT_FILES = ("comments.csv", "nps.csv", "drivers.csv", "rejects.csv", "trends.csv", "alerts.csv",
                "followup.csv", "verbatims.csv", "history.csv", "report.html", "run.json")


@dataclass
class RunSummary:
    rows_read: int
    rows_scored: int
    rows_rejected: int
    rows_with_comment: int
    model: str
    out_dir: str
    reject_reasons: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.reject_reasons.items())) or "none"
        return (f"run complete: {self.rows_read} rows read, {self.rows_scored} scored "
                f"({self.rows_with_comment} with a comment), {self.rows_rejected} rejected ({reasons}); "
                f"model {self.model}; outputs in {self.out_dir}")


def _rejects_frame(rejects: list[dict], mask: bool) -> pd.DataFrame:
    rows = []
    for r in rejects:
        raw = [mask_personal_data(v) if mask else v for v in r["raw_values"]]
        rows.append({**r, "raw_values": json.dumps(raw, ensure_ascii=False)})
    frame = pd.DataFrame(rows, columns=schema.REJECTS_COLUMNS)
    return frame.sort_values(["source_file", "row_number"], kind="stable") if len(frame) else frame


def run_nightly(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    cfg: Config,
    model_dir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> RunSummary:
    """Run the whole pipeline on the exports and publish the outputs in out_dir.

    Holds the output folder's lock for the whole run; outputs change only when the run
    completes (see publish.py). Raises CxtextError subclasses for operator-fixable problems.
    """
    with RunLock(Path(out_dir)):
        return _run_locked(inputs, out_dir, cfg, model_dir, progress, on_start, now)


def _run_locked(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    cfg: Config,
    model_dir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> RunSummary:
    started = dt.datetime.now()
    now = now or started
    out_dir = Path(out_dir)
    files = expand_inputs([str(i) for i in inputs])
    if not files:
        raise InputError("no input files given; pass --input PATH")
    surveys = [read_survey(f, cfg.input) for f in files]
    segments = tuple(s for s in cfg.input.segments if any(s in sv.segments for sv in surveys))
    frames = []
    for sv in surveys:
        f = sv.rows
        for seg in segments:
            if seg not in f:
                f = f.assign(**{seg: ""})
        frames.append(f)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rejects = [r for sv in surveys for r in sv.rejects]
    valid, invalid = split_valid(rows, cfg.input, segments, now=now)
    rejects += invalid
    rows_read = sum(sv.rows_read for sv in surveys)

    model_path = Path(model_dir or cfg.run.model or default_model_dir())
    bundle = load_bundle(model_path)
    bundle.max_comment_chars = cfg.run.max_comment_chars

    has_comment = valid[schema.COMMENT].str.strip().str.len() > 0 if len(valid) else pd.Series([], dtype=bool)
    texts = list(valid.loc[has_comment, schema.COMMENT]) if len(valid) else []
    if on_start:
        on_start(len(texts))
    ids = list(valid.loc[has_comment, schema.RESPONSE_ID]) if len(valid) else []
    jobs = cfg.run.jobs or default_jobs()
    cache = ScoreCache(out_dir / CACHE_NAME, bundle.label) if cfg.run.cache else None
    try:
        scorer = None
        if cfg.run.engine == "dask":
            scorer = partial(score_dask, bundle, scheduler=cfg.run.scheduler or None, workers=jobs)
        elif cfg.run.engine != "local":
            raise ConfigError(f"[run] engine = {cfg.run.engine!r}: use \"local\" or \"dask\"")
        predictions, cache_hits = score_with_cache(bundle, ids, texts, cache, jobs=jobs, progress=progress, scorer=scorer)
    finally:
        if cache is not None:
            cache.close()
    log.info("scored %d comments with %d job(s); %d reused from the cache", len(texts) - cache_hits, jobs, cache_hits)
    drift = drift_signals(bundle, texts, predictions)

    comments = valid.copy()
    comments["nps_category"] = comments[schema.NPS_SCORE].map(schema.nps_category) if len(comments) else []
    pred_cols = list(predictions.columns)
    for col in pred_cols:
        comments[col] = "" if col in ("sentiment", "themes", "theme_sentiments") else None
    if len(texts):
        predictions.index = comments.index[has_comment.to_numpy()]
        for col in pred_cols:
            comments.loc[has_comment, col] = predictions[col]
    comments["comment_truncated"] = comments[schema.COMMENT].str.len() > cfg.run.max_comment_chars if len(comments) else []
    nps = nps_table(comments, segments)
    drivers = drivers_table(comments, "themes", bundle.taxonomy, segments,
                            min_support=cfg.run.min_support, min_segment_responses=cfg.run.min_segment_responses)
    history = update_history(read_history(out_dir), daily_counts(comments, bundle.taxonomy))
    trends = trends_table(history, bundle.taxonomy)
    alerts = alerts_table(history, bundle.taxonomy)
    if cfg.run.mask_personal_data and len(comments):
        comments[schema.COMMENT] = comments[schema.COMMENT].map(mask_personal_data)
    if len(comments):
        comments[schema.RESPONDED_AT] = pd.to_datetime(comments[schema.RESPONDED_AT]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    ordered = schema.COMMENTS_COLUMNS + list(segments) + [c for c in pred_cols if c not in schema.COMMENTS_COLUMNS] + [
        "comment_truncated", SOURCE_FILE, ROW_NUMBER]
    comments = comments[ordered]
    rejects_frame = _rejects_frame(rejects, cfg.run.mask_personal_data)
    followup = followup_table(comments, segments)
    verbatims = verbatims_table(comments, drivers, bundle.taxonomy)

    summary = RunSummary(rows_read, len(comments), len(rejects_frame), len(texts), bundle.label, str(out_dir),
                         dict(Counter(r["reason"] for r in rejects)))
    if summary.rows_read != summary.rows_scored + summary.rows_rejected:  # a bug, never user error
        raise AssertionError(f"rows lost: read {rows_read}, scored {len(comments)}, rejected {len(rejects_frame)}")
    run_info = {
        "rows_read": rows_read,
        "rows_scored": summary.rows_scored,
        "rows_rejected": summary.rows_rejected,
        "rows_with_comment": len(texts),
        "reject_reasons": summary.reject_reasons,
        "model": {"name": bundle.name, "version": bundle.version, "path": str(model_path)},
        "inputs": [{"path": sv.path, "sha256": sv.sha256, "encoding": sv.encoding, "rows_read": sv.rows_read} for sv in surveys],
        "segments": list(segments),
        "drift": drift,
        "config": cfg.source,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    report = render_report(run_info, nps, drivers, trends, alerts, verbatims, drift)
    _write_outputs(out_dir, cfg, {"comments.csv": (comments, ordered), "nps.csv": (nps, schema.NPS_COLUMNS),
                                  "drivers.csv": (drivers, schema.DRIVERS_COLUMNS),
                                  "rejects.csv": (rejects_frame, schema.REJECTS_COLUMNS),
                                  "trends.csv": (trends, TRENDS_COLUMNS), "alerts.csv": (alerts, ALERTS_COLUMNS),
                                  "followup.csv": (followup, list(followup.columns)),
                                  "verbatims.csv": (verbatims, VERBATIM_COLUMNS),
                                  "history.csv": (history, HISTORY_COLUMNS)}, run_info, {"report.html": report})
    log.info(summary.line())
    return summary


def _write_outputs(out_dir: Path, cfg: Config, tables: dict, run_info: dict, pages: dict[str, str]) -> None:
    """Write everything to a staging folder, then publish it (run.json last)."""
    staging = new_staging(out_dir)
    try:
        for name, (frame, columns) in tables.items():
            # The history is read back by the next run: keep it UTF-8 whatever the report encoding.
            encoding = "utf-8-sig" if name == HISTORY_FILE else cfg.run.output_encoding
            write_table(frame, staging / name, columns, encoding=encoding)
        for name, text in pages.items():
            (staging / name).write_text(text, encoding="utf-8")
        write_json(run_info, staging / "run.json")
        publish(staging, out_dir, list(tables) + list(pages) + ["run.json"])
    finally:
        if staging.exists() and not (staging / "COMMIT").exists():
            shutil.rmtree(staging, ignore_errors=True)
