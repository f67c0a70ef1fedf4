"""The nightly run: read → validate → score → NPS and drivers → write. The one place where
the stages are wired; the CLI and jobs/nightly.py both call run_nightly.

The run streams: exports are read, validated and scored ``[run] chunk_rows`` responses at a
time. Each chunk's output rows go to an on-disk spool (spool.py); only compact columns
(date, NPS category, themes, segments as categoricals) stay in memory for the aggregates, so
memory depends on the chunk size, not on the size of the export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import random
import shutil
import threading
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
from pandas.api.types import union_categoricals

from . import __version__, schema
from .artifacts import default_model_dir, file_sha256, load_bundle, read_card
from .config import Config
from .drift import SAMPLE as DRIFT_SAMPLE
from .drift import drift_signals
from .drivers import drivers_table
from .errors import ConfigError, InputError
from .followup import (FOLLOWUP_BASE, FOLLOWUP_ORDER, MAX_CHARS, MIN_CHARS, SHORT_ENOUGH, VERBATIM_COLUMNS,
                       followup_keys, is_followup, verbatim_themes, verbatims_table)
from .history import (ALERTS_COLUMNS, HISTORY_COLUMNS, HISTORY_FILE, TRENDS_COLUMNS, alerts_table, daily_counts,
                      read_history, trends_table, update_history)
from .nps import nps_table
from .outputs import TableWriter, write_json, write_table
from .privacy import mask_personal_data
from .publish import COMMIT, RunLock, new_staging, publish
from .readers import ROW_NUMBER, SOURCE_FILE, expand_inputs, iter_survey
from .report import render_report
from .schema import DETRACTOR
from .scoring import DaskScorer, ProcessScorer, ScoreCache, cached_rows, default_jobs, merge_cached, score
from .spool import SEQ, RowSpool
from .validation import FUTURE_DATE, RAW_VALUES, split_valid

log = logging.getLogger(__name__)

CACHE_NAME = ".cxtext-scores.sqlite"  # in the output folder; delete it to force a full re-score
SPOOL_NAME = "spool.sqlite"  # scratch, in the staging folder
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
    up_to_date: bool = False  # the outputs of an identical earlier run were kept

    def line(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.reject_reasons.items())) or "none"
        kept = " (outputs already up to date: kept, nothing recomputed; --force recomputes)" if self.up_to_date else ""
        return (f"run complete: {self.rows_read} rows read, {self.rows_scored} scored "
                f"({self.rows_with_comment} with a comment), {self.rows_rejected} rejected ({reasons}); "
                f"model {self.model}; outputs in {self.out_dir}{kept}")


def run_fingerprint(streams, model_path: Path, cfg: Config, now: dt.datetime) -> dict:
    """Everything the outputs depend on: the input files' content, the model, the
    configuration (how many processes score does not change a result), the cxtext version
    and the run date (dates after it are rejected). The history is not part of it: a re-run
    of the same day replaces that day, so it leaves the history as it was."""
    settings = dataclasses.asdict(cfg)
    settings.pop("source", None)
    for key in ("jobs", "engine", "scheduler", "reuse_outputs", "chunk_rows"):
        settings["run"].pop(key, None)
    card = read_card(model_path)  # name, version and file checksums: no need to load the model
    return {"inputs": [{"path": str(Path(st.path).resolve()), "sha256": st.sha256} for st in streams],
            "model": {k: card.get(k) for k in ("name", "version", "files")},
            "config_sha256": hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest(),
            "cxtext": __version__, "run_date": now.date().isoformat()}


def _future_rejects_valid_from(rejects: list[dict], cfg: Config) -> str | None:
    """The first moment a run would accept one of the rows rejected as dated in the future."""
    dates = [r[FUTURE_DATE] for r in rejects if r.get(FUTURE_DATE) is not None]
    if not dates:
        return None
    return (min(dates) - dt.timedelta(days=cfg.input.max_future_days)).isoformat(timespec="seconds")


def outputs_up_to_date(out_dir: Path, fingerprint: dict, now: dt.datetime) -> RunSummary | None:
    """The published run's summary when it had the same fingerprint and its outputs are
    byte for byte what it wrote; None when anything differs (then the run recomputes)."""
    try:
        info = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    manifest = info.get("outputs") or {}
    if info.get("fingerprint") != fingerprint or set(manifest) != set(OUTPUT_FILES) - {"run.json"}:
        return None
    if (info.get("reject_reasons") or {}).get(schema.REJECT_FUTURE_DATE):
        # Rows rejected as dated in the future become valid as time passes.
        until = info.get("future_rejects_valid_from")
        if not until or now >= dt.datetime.fromisoformat(until):
            return None
    for name, digest in manifest.items():
        path = out_dir / name
        if not path.is_file() or file_sha256(path) != digest:
            return None
    return RunSummary(info["rows_read"], info["rows_scored"], info["rows_rejected"], info["rows_with_comment"],
                      f"{info['model']['name']} {info['model']['version']}", str(out_dir),
                      dict(info.get("reject_reasons") or {}), up_to_date=True)


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


class _Reservoir:
    """A uniform sample of a stream (algorithm R), the same for the same input order."""

    def __init__(self, size: int, seed: int = 0):
        self.size, self.items, self.seen, self._rng = size, [], 0, random.Random(seed)

    def extend(self, values: Sequence[str]) -> None:
        for value in values:
            self.seen += 1
            if len(self.items) < self.size:
                self.items.append(value)
            else:
                j = self._rng.randrange(self.seen)
                if j < self.size:
                    self.items[j] = value


def estimate_rows(files: Sequence[Path]) -> int:
    """Line count minus headers: the progress bar's length (comments spanning lines make it
    a slight over-estimate). Reads in blocks, at disk speed."""
    total = 0
    for f in files:
        with open(f, "rb") as fh:
            total += sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1
    return max(total, 0)


# Columns the compact, in-memory part of each chunk keeps: enough for NPS, drivers, history
# and drift, with repeated values stored once (categoricals; the response time only as its
# day, all the aggregates need). The text stays on disk.
_COMPACT_CATEGORIES = ("nps_category", "themes", "theme_sentiments")


def _compact(comments: pd.DataFrame, segments: Sequence[str], has_comment: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({SEQ: comments[SEQ].to_numpy(),
                        schema.RESPONDED_AT: pd.Categorical(pd.to_datetime(comments[schema.RESPONDED_AT]).dt.normalize()),
                        "sentiment_confidence": pd.to_numeric(comments["sentiment_confidence"], errors="coerce"),
                        "has_comment": has_comment.to_numpy()}, index=comments.index)
    for col in (*_COMPACT_CATEGORIES, *segments):
        out[col] = pd.Categorical(comments[col].fillna("").astype(str))
    return out


def _concat_compact(parts: list[pd.DataFrame], segments: Sequence[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=[SEQ, schema.RESPONDED_AT, "sentiment_confidence", "has_comment",
                                     *_COMPACT_CATEGORIES, *segments])
    plain = [c for c in parts[0].columns if c not in (*_COMPACT_CATEGORIES, *segments, schema.RESPONDED_AT)]
    out = pd.concat([p[plain] for p in parts], ignore_index=True)
    out[schema.RESPONDED_AT] = union_categoricals([p[schema.RESPONDED_AT].array for p in parts], sort_categories=True)
    for col in (*_COMPACT_CATEGORIES, *segments):
        merged = union_categoricals([p[col].array for p in parts], sort_categories=True)
        if "" not in merged.categories:  # fillna("") must stay possible downstream
            merged = merged.add_categories([""])
        out[col] = merged
    return out


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
    if cfg.run.engine not in ("local", "dask"):
        raise ConfigError(f"[run] engine = {cfg.run.engine!r}: use \"local\" or \"dask\"")
    if cfg.run.chunk_rows < 1:
        raise ConfigError(f"[run] chunk_rows = {cfg.run.chunk_rows}: use a positive number such as 20000")
    # Every file's header is checked before any work: a missing column stops the run at once.
    streams = [iter_survey(f, cfg.input, cfg.run.chunk_rows) for f in files]
    segments = tuple(s for s in cfg.input.segments if any(s in st.segments for st in streams))

    model_path = Path(model_dir or cfg.run.model or default_model_dir())
    fingerprint = run_fingerprint(streams, model_path, cfg, now)
    if cfg.run.reuse_outputs and (kept := outputs_up_to_date(out_dir, fingerprint, now)) is not None:
        log.info(kept.line())
        return kept
    bundle = load_bundle(model_path)
    bundle.max_comment_chars = cfg.run.max_comment_chars
    if on_start:
        on_start(estimate_rows(files))
    jobs = cfg.run.jobs or default_jobs()

    staging = new_staging(out_dir)
    cache = ScoreCache(out_dir / CACHE_NAME, bundle.label) if cfg.run.cache else None
    spool = RowSpool(staging / SPOOL_NAME)
    try:
        with ExitStack() as stack:
            scorer = None
            if cfg.run.engine == "dask":
                scorer = stack.enter_context(DaskScorer(bundle, scheduler=cfg.run.scheduler or None, workers=jobs))
            elif jobs > 1:  # one pool of workers for the whole run, each loading the model once
                scorer = stack.enter_context(ProcessScorer(bundle, jobs))
            chunks = _ChunkScorer(bundle, cfg, segments, now, cache, jobs, scorer, spool, progress)
            for stream in streams:
                for rows, parse_rejects in stream:
                    chunks.add(rows, parse_rejects)
            chunks.finish()
        if cache is not None:
            cache.close()
            cache = None
        log.info("scored %d comments with %d job(s); %d reused from the cache",
                 chunks.comments_scored - chunks.cache_hits, jobs, chunks.cache_hits)

        rejects = chunks.rejects
        superseded = spool.superseded(schema.RESPONSE_ID, [schema.RESPONSE_ID, SOURCE_FILE, ROW_NUMBER, RAW_VALUES])
        for row in superseded.itertuples(index=False):
            rejects.append({"source_file": getattr(row, SOURCE_FILE), "row_number": getattr(row, ROW_NUMBER),
                            "response_id": getattr(row, schema.RESPONSE_ID), "reason": schema.REJECT_DUPLICATE,
                            "detail": "a later row has the same response_id", "raw_values": json.loads(row[-1])})
        compact = _concat_compact(chunks.compact_parts, segments)
        chunks.compact_parts.clear()
        if len(superseded):
            compact = compact[~compact[SEQ].isin(superseded[SEQ])].reset_index(drop=True)
        drift = drift_signals(bundle, chunks.drift_sample.items,
                              compact.loc[compact["has_comment"], ["themes", "sentiment_confidence"]])

        nps = nps_table(compact, segments)
        drivers = drivers_table(compact, "themes", bundle.taxonomy, segments,
                                min_support=cfg.run.min_support, min_segment_responses=cfg.run.min_segment_responses)
        history = update_history(read_history(out_dir), daily_counts(compact, bundle.taxonomy))
        trends = trends_table(history, bundle.taxonomy)
        alerts = alerts_table(history, bundle.taxonomy)
        rejects_frame = _rejects_frame(rejects, cfg.run.mask_personal_data)
        verbatims = verbatims_table(_verbatim_candidates(spool, drivers, chunks.columns), drivers, bundle.taxonomy)

        rows_read = sum(st.rows_read for st in streams)
        summary = RunSummary(rows_read, len(compact), len(rejects_frame), int(compact["has_comment"].sum()),
                             bundle.label, str(out_dir), dict(Counter(r["reason"] for r in rejects)))
        if summary.rows_read != summary.rows_scored + summary.rows_rejected:  # a bug, never user error
            raise AssertionError(f"rows lost: read {rows_read}, scored {summary.rows_scored}, "
                                 f"rejected {summary.rows_rejected}")
        run_info = {
            "rows_read": rows_read,
            "rows_scored": summary.rows_scored,
            "rows_rejected": summary.rows_rejected,
            "rows_with_comment": summary.rows_with_comment,
            "reject_reasons": summary.reject_reasons,
            "model": {"name": bundle.name, "version": bundle.version, "path": str(model_path)},
            "inputs": [{"path": st.path, "sha256": st.sha256, "encoding": st.encoding, "rows_read": st.rows_read}
                       for st in streams],
            "segments": list(segments),
            "drift": drift,
            "config": cfg.source,
            "fingerprint": fingerprint,
            "future_rejects_valid_from": _future_rejects_valid_from(rejects, cfg),
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
        }
        report = render_report(run_info, nps, drivers, trends, alerts, verbatims, drift)

        encoding = cfg.run.output_encoding
        with TableWriter(staging / "comments.csv", chunks.columns, encoding) as writer:
            for part in spool.read(chunks.columns):
                writer.write(part.assign(comment_truncated=part["comment_truncated"].astype(bool)))
        followup_columns = FOLLOWUP_BASE + list(segments) + [schema.COMMENT]
        with TableWriter(staging / "followup.csv", followup_columns, encoding) as writer:
            for part in spool.read(followup_columns, where=f"{_FOLLOWUP_FLAG} = 1", order=FOLLOWUP_ORDER):
                writer.write(part)
        tables = {"nps.csv": (nps, schema.NPS_COLUMNS), "drivers.csv": (drivers, schema.DRIVERS_COLUMNS),
                  "rejects.csv": (rejects_frame, schema.REJECTS_COLUMNS), "trends.csv": (trends, TRENDS_COLUMNS),
                  "alerts.csv": (alerts, ALERTS_COLUMNS), "verbatims.csv": (verbatims, VERBATIM_COLUMNS),
                  "history.csv": (history, HISTORY_COLUMNS)}
        for name, (frame, columns) in tables.items():
            # The history is read back by the next run: keep it UTF-8 whatever the report encoding.
            write_table(frame, staging / name, columns, encoding="utf-8-sig" if name == HISTORY_FILE else encoding)
        (staging / "report.html").write_text(report, encoding="utf-8")
        run_info["outputs"] = {name: file_sha256(staging / name) for name in OUTPUT_FILES if name != "run.json"}
        write_json(run_info, staging / "run.json")
        spool.close()
        (staging / SPOOL_NAME).unlink(missing_ok=True)
        publish(staging, out_dir, list(OUTPUT_FILES))
    finally:
        if cache is not None:
            cache.close()
        spool.close()
        if staging.exists() and not (staging / COMMIT).exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info(summary.line())
    return summary


_FOLLOWUP_FLAG = "_cx_followup"
_NEGATIVE_THEMES = "_cx_negative_themes"  # ";delivery;price;" so that LIKE '%;price;%' is exact
_QUOTE_LEN = "_cx_quote_len"  # length of the masked comment, as verbatims.csv would quote it
_QUOTE_LONG = "_cx_quote_long"
VERBATIM_CANDIDATES = 200  # per theme; far more than the 3 dissimilar quotes needed


class _Background:
    """Runs one call in a daemon thread (a daemon, so that SIGTERM or Ctrl-C never waits for
    a chunk to finish scoring); ``result()`` waits and re-raises its exception."""

    def __init__(self, fn: Callable, *args):
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, *args), daemon=True, name="cxtext-scoring")
        self._thread.start()

    def _run(self, fn: Callable, *args) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class _ChunkScorer:
    """Validates and scores one chunk of rows at a time: output rows go to the spool, the
    compact columns aggregates need stay in memory, rejects are collected.

    Scoring a chunk runs in a background thread (the work itself is in the worker processes,
    or in C code that releases the GIL), so that reading and validating the next chunk in
    this thread overlaps it. Chunks are finished strictly in input order."""

    def __init__(self, bundle, cfg: Config, segments: tuple[str, ...], now: dt.datetime, cache, jobs: int,
                 scorer, spool: RowSpool, progress: Callable[[int], None] | None):
        self.bundle, self.cfg, self.segments, self.now = bundle, cfg, segments, now
        self.cache, self.jobs, self.scorer, self.spool, self.progress = cache, jobs, scorer, spool, progress
        self.rejects: list[dict] = []
        self.compact_parts: list[pd.DataFrame] = []
        self.drift_sample = _Reservoir(DRIFT_SAMPLE)
        self.columns: list[str] = []
        self.next_seq = 0
        self.comments_scored = self.cache_hits = 0
        self._in_flight: tuple | None = None

    def _score(self, texts: list[str]) -> pd.DataFrame:
        if self.scorer is not None and texts:
            return self.scorer(texts)
        return score(self.bundle, texts, jobs=self.jobs)

    def add(self, rows: pd.DataFrame, parse_rejects: list[dict]) -> None:
        self.rejects += parse_rejects
        for seg in self.segments:
            if seg not in rows:
                rows = rows.assign(**{seg: ""})
        valid, invalid = split_valid(rows, self.cfg.input, self.segments, now=self.now, keep_duplicates=True)
        self.rejects += invalid
        has_comment = valid[schema.COMMENT].str.strip().str.len() > 0 if len(valid) else pd.Series([], dtype=bool)
        texts = list(valid.loc[has_comment, schema.COMMENT]) if len(valid) else []
        ids = list(valid.loc[has_comment, schema.RESPONSE_ID]) if len(valid) else []
        cached, todo = cached_rows(self.cache, ids, texts)
        self.drift_sample.extend(texts)
        scoring = _Background(self._score, [texts[i] for i in todo])
        self.finish()  # the previous chunk, while this one is being scored
        self._in_flight = (valid, has_comment, texts, ids, cached, todo, scoring, len(rows) + len(parse_rejects))

    def finish(self) -> None:
        """Wait for the chunk in flight and store its rows."""
        if self._in_flight is None:
            return
        valid, has_comment, texts, ids, cached, todo, scoring, n_rows = self._in_flight
        self._in_flight = None
        fresh = scoring.result()
        if self.cache is not None and todo:
            self.cache.store([ids[i] for i in todo], [texts[i] for i in todo], fresh)
        predictions = merge_cached(cached, todo, fresh)
        self.comments_scored += len(texts)
        self.cache_hits += len(texts) - len(todo)
        if self.progress:
            self.progress(n_rows)

        comments = valid.copy()
        comments[SEQ] = range(self.next_seq, self.next_seq + len(comments))
        self.next_seq += len(comments)
        comments["nps_category"] = comments[schema.NPS_SCORE].map(schema.nps_category) if len(comments) else []
        pred_cols = list(predictions.columns)
        for col in pred_cols:
            comments[col] = "" if col in ("sentiment", "themes", "theme_sentiments") else None
        if len(texts):
            predictions.index = comments.index[has_comment.to_numpy()]
            for col in pred_cols:
                comments.loc[has_comment, col] = predictions[col]
        max_chars = self.cfg.run.max_comment_chars
        comments["comment_truncated"] = comments[schema.COMMENT].str.len() > max_chars if len(comments) else []
        self.columns = schema.COMMENTS_COLUMNS + list(self.segments) + [
            c for c in pred_cols if c not in schema.COMMENTS_COLUMNS] + ["comment_truncated", SOURCE_FILE, ROW_NUMBER]
        if not len(comments):
            return
        self.compact_parts.append(_compact(comments, self.segments, has_comment))

        if self.cfg.run.mask_personal_data:
            comments[schema.COMMENT] = comments[schema.COMMENT].map(mask_personal_data)
        comments[schema.RESPONDED_AT] = pd.to_datetime(comments[schema.RESPONDED_AT]).dt.strftime("%Y-%m-%dT%H:%M:%S")
        keys = followup_keys(comments)
        followup = is_followup(comments)
        detractor = comments["nps_category"] == DETRACTOR
        quote_len = comments[schema.COMMENT].where(detractor, "").map(lambda t: len(mask_personal_data(t)) if t else 0)
        extra = keys.assign(**{_FOLLOWUP_FLAG: followup.astype(int), _NEGATIVE_THEMES: ";" + keys["negative_themes"] + ";",
                               _QUOTE_LEN: quote_len, _QUOTE_LONG: (quote_len > SHORT_ENOUGH).astype(int)})
        self.spool.add(pd.concat([comments[self.columns + [SEQ, RAW_VALUES]], extra], axis=1))


def _verbatim_candidates(spool: RowSpool, drivers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The best-placed rows to quote for each top driver, in the order verbatims_table ranks
    them, so that it chooses among them exactly as it would among all rows."""
    wanted = [c for c in columns if c != "comment_truncated"]
    parts = []
    for theme in verbatim_themes(drivers):
        if f"p_{theme}" not in columns:
            continue
        parts += list(spool.read(
            [SEQ, *wanted], where=f"nps_category = ? AND {_NEGATIVE_THEMES} LIKE ? AND {_QUOTE_LEN} BETWEEN ? AND ?",
            params=[DETRACTOR, f"%;{theme};%", MIN_CHARS, MAX_CHARS],
            order=[(_QUOTE_LONG, True), (f"p_{theme}", False), (schema.RESPONSE_ID, True)], limit=VERBATIM_CANDIDATES))
    if not parts:
        return pd.DataFrame(columns=wanted)
    return pd.concat(parts, ignore_index=True).drop_duplicates(SEQ).sort_values(SEQ).drop(columns=SEQ)
