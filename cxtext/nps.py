"""NPS with a confidence interval, overall, per segment value and per day."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from .cells import collapse, days
from .schema import DETRACTOR, NPS_COLUMNS, PASSIVE, PROMOTER

Z95 = 1.959963984540054
# Pseudo-responses added to each category for the interval only (not the point estimate):
# keeps the interval honest for small groups and for 0% or 100% promoters.
PSEUDO = 0.5


def nps_value(promoters: int, detractors: int, n: int) -> float:
    return 100.0 * (promoters - detractors) / n if n else float("nan")


def nps_interval(promoters: int, passives: int, detractors: int, z: float = Z95) -> tuple[float, float]:
    """Adjusted Wald interval for NPS (a difference of two multinomial proportions).

    Var(p+ − p−) = (p+ + p− − (p+ − p−)²) / n, computed with PSEUDO added to each of the
    three categories; the interval is centred on the adjusted estimate and clipped to ±100.
    """
    n = promoters + passives + detractors
    if n == 0:
        return float("nan"), float("nan")
    na = n + 3 * PSEUDO
    pp, pd_ = (promoters + PSEUDO) / na, (detractors + PSEUDO) / na
    centre = pp - pd_
    half = z * math.sqrt(max(pp + pd_ - centre**2, 0.0) / na)
    return max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def summarize(categories: Sequence[str]) -> dict:
    # value_counts on a categorical counts its codes: no string per response is materialized.
    counts = pd.Series(categories).value_counts()
    return summarize_counts(*(int(counts.get(c, 0)) for c in (PROMOTER, PASSIVE, DETRACTOR)))


def summarize_counts(p: int, m: int, d: int) -> dict:
    n = p + m + d
    low, high = nps_interval(p, m, d)
    # "+ 0.0" turns a rounded -0.0 into 0.0, which is what a reader expects to see.
    return {"n": n, "promoters": p, "passives": m, "detractors": d,
            "nps": round(nps_value(p, d, n), 1) + 0.0, "nps_ci_low": round(low, 1) + 0.0, "nps_ci_high": round(high, 1) + 0.0}


def _counts_by(frame: pd.DataFrame, key_col: str, category_col: str) -> pd.DataFrame:
    """Promoters, passives and detractors per distinct key (rows sorted by key; missing keys dropped)."""
    cells, weights = collapse(frame, [key_col, category_col])
    cells = cells.assign(_n=weights)
    cells = cells[cells[key_col].notna()]
    table = cells.pivot_table(index=key_col, columns=category_col, values="_n", aggfunc="sum", fill_value=0,
                              observed=True)
    return table.reindex(columns=[PROMOTER, PASSIVE, DETRACTOR], fill_value=0).sort_index()


def _summary_rows(table: pd.DataFrame, scope: str, segment: str, key_format=lambda key: key) -> list[dict]:
    return [{"scope": scope, "segment": segment, "value": key_format(key), **summarize_counts(*map(int, row))}
            for key, row in zip(table.index, table.to_numpy())]


def nps_table(frame: pd.DataFrame, segments: Sequence[str], category_col: str = "nps_category",
              date_col: str = "responded_at") -> pd.DataFrame:
    """Rows: scope=overall; scope=segment (segment=<column>, value=<value>); scope=day
    (segment=responded_at, value=YYYY-MM-DD); scope=week (value=ISO week start, Monday).
    Counted on collapsed cells (cells.py), so memory does not grow with the responses."""
    rows = [{"scope": "overall", "segment": "", "value": "", **summarize(frame[category_col])}]
    for seg in segments:
        rows += _summary_rows(_counts_by(frame, seg, category_col), "segment", seg)
    if len(frame):
        per_day = _counts_by(pd.DataFrame({date_col: days(frame[date_col]), category_col: frame[category_col]}),
                             date_col, category_col)
        day_index = pd.DatetimeIndex(per_day.index)
        per_week = per_day.groupby(day_index - pd.to_timedelta(day_index.day_of_week, unit="D"), sort=True).sum()
        for table, scope in ((per_day, "day"), (per_week, "week")):
            rows += _summary_rows(table, scope, date_col, lambda key: pd.Timestamp(key).strftime("%Y-%m-%d"))
    return pd.DataFrame(rows, columns=NPS_COLUMNS)
