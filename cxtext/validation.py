"""Row validation: every row read is either valid (typed) or a reject with a reason."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

import pandas as pd

from . import schema
from .config import InputConfig
from .normalize import clean_comment
from .readers import ROW_NUMBER, SOURCE_FILE

JST = dt.timezone(dt.timedelta(hours=9))
RAW_VALUES = "raw_values"  # the row as read, JSON; only with keep_duplicates (the run spools it)

_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*\(.\))?"  # (月) weekday as some tools append
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:時]\s*(?P<M>\d{1,2})\s*分?(?:\s*[:]?\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT_DATE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_MISSING = {"", "-", "ー", "―", "—", "na", "n/a", "null", "none", "無回答", "未回答"}
_INTEGER = re.compile(r"^[+]?(\d{1,3})(?:\.0+)?$")


def parse_datetime(value: str) -> dt.datetime | None:
    """Japanese export date styles → naive datetime in local (JST) wall time; None if unparseable.

    >>> parse_datetime("２０２６/10/3 9:05")
    datetime.datetime(2026, 10, 3, 9, 5)
    >>> parse_datetime("2026-10-03T14:22:00+00:00")
    datetime.datetime(2026, 10, 3, 23, 22)
    """
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return None
    g = match.groupdict()
    try:
        result = dt.datetime(
            int(g["y"]), int(g["m"]), int(g["d"]),
            int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0),
        )
    except ValueError:
        return None
    tz = g.get("tz")
    if tz:
        offset = dt.timezone.utc if tz == "Z" else dt.timezone(
            (1 if tz[0] == "+" else -1) * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:]))
        )
        result = result.replace(tzinfo=offset).astimezone(JST).replace(tzinfo=None)
    return result


def parse_score(value: str) -> tuple[int | None, str | None]:
    """'１０', '10', '10.0' → 10. Returns (score, reject reason)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if text.lower() in _MISSING:
        return None, schema.REJECT_MISSING_SCORE
    match = _INTEGER.match(text)
    if not match:
        return None, schema.REJECT_BAD_SCORE
    score = int(match.group(1))
    if not 0 <= score <= 10:
        return None, schema.REJECT_SCORE_RANGE
    return score, None


def _clean_id(value: str) -> str:
    return unicodedata.normalize("NFKC", clean_comment(value)).strip()


FUTURE_DATE = "_future_date"


def split_valid(
    frame: pd.DataFrame, cfg: InputConfig, segments: tuple[str, ...], now: dt.datetime | None = None,
    keep_duplicates: bool = False,
) -> tuple[pd.DataFrame, list[dict]]:
    """Type-check rows read from one or more exports (in input order).

    Returns the valid rows (response_id str, responded_at datetime, nps_score int, comment
    str, segments str) and the rejects. A duplicate response_id keeps the later row —
    unless ``keep_duplicates``: the streaming run sees one chunk at a time and resolves
    duplicates across chunks itself, so it gets every valid row plus its raw values (JSON).
    """
    now = now or dt.datetime.now()
    latest = now + dt.timedelta(days=cfg.max_future_days)
    earliest = dt.datetime.fromisoformat(cfg.min_date)
    rejects: list[dict] = []
    keep: list[dict] = []
    raw_columns = [c for c in frame.columns if c not in (SOURCE_FILE, ROW_NUMBER)]
    for row in frame.to_dict("records"):
        rid = _clean_id(row.get(schema.RESPONSE_ID) or "")
        reason, detail = None, ""
        raw_date = row.get(schema.RESPONDED_AT) or ""
        when = parse_datetime(raw_date) if raw_date.strip() else None
        score, score_reason = parse_score(row.get(schema.NPS_SCORE) or "")
        if not rid:
            reason, detail = schema.REJECT_MISSING_ID, "response id is empty"
        elif not raw_date.strip():
            reason, detail = schema.REJECT_MISSING_DATE, "date is empty"
        elif when is None:
            reason, detail = schema.REJECT_BAD_DATE, f"unrecognised date {raw_date.strip()[:40]!r}"
        elif when > latest:
            reason, detail = schema.REJECT_FUTURE_DATE, f"{when:%Y-%m-%d} is after {latest:%Y-%m-%d}"
        elif when < earliest:
            reason, detail = schema.REJECT_OLD_DATE, f"{when:%Y-%m-%d} is before {cfg.min_date}"
        elif score_reason:
            reason = score_reason
            detail = f"score {str(row.get(schema.NPS_SCORE))[:20]!r} is not an integer from 0 to 10"
        raw_values = [row.get(c, "") for c in raw_columns]
        if reason:
            rejects.append({
                "source_file": row[SOURCE_FILE], "row_number": row[ROW_NUMBER], "response_id": rid,
                "reason": reason, "detail": detail, "raw_values": raw_values,
                # When a later run would accept it (not a rejects.csv column; see run.py).
                **({FUTURE_DATE: when} if reason == schema.REJECT_FUTURE_DATE else {}),
            })
            continue
        record = {
            schema.RESPONSE_ID: rid,
            schema.RESPONDED_AT: when,
            schema.NPS_SCORE: score,
            schema.COMMENT: clean_comment(row.get(schema.COMMENT) or ""),
            SOURCE_FILE: row[SOURCE_FILE],
            ROW_NUMBER: row[ROW_NUMBER],
            "_raw": raw_values,
        }
        for seg in segments:
            record[seg] = unicodedata.normalize("NFKC", clean_comment(row.get(seg) or "")).strip()
        keep.append(record)

    columns = [schema.RESPONSE_ID, schema.RESPONDED_AT, schema.NPS_SCORE, schema.COMMENT, *segments, SOURCE_FILE, ROW_NUMBER]
    if keep_duplicates:
        out = pd.DataFrame([{**{k: r[k] for k in columns}, RAW_VALUES: json.dumps(r["_raw"], ensure_ascii=False)}
                            for r in keep], columns=columns + [RAW_VALUES])
        if len(out):
            out[schema.NPS_SCORE] = out[schema.NPS_SCORE].astype(int)
        return out, rejects

    # Later rows win: walk backwards, the first time an id is seen is its latest row.
    seen: set[str] = set()
    valid: list[dict] = []
    for record in reversed(keep):
        rid = record[schema.RESPONSE_ID]
        if rid in seen:
            rejects.append({
                "source_file": record[SOURCE_FILE], "row_number": record[ROW_NUMBER], "response_id": rid,
                "reason": schema.REJECT_DUPLICATE, "detail": "a later row has the same response_id",
                "raw_values": record["_raw"],
            })
            continue
        seen.add(rid)
        valid.append(record)
    valid.reverse()
    out = pd.DataFrame([{k: r[k] for k in columns} for r in valid], columns=columns)
    if len(out):
        out[schema.NPS_SCORE] = out[schema.NPS_SCORE].astype(int)
    return out, rejects
