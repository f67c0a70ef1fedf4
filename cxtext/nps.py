"""NPS with a confidence interval, overall, per segment value and per day."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

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
    cats = np.asarray(categories)
    p = int((cats == PROMOTER).sum())
    m = int((cats == PASSIVE).sum())
    d = int((cats == DETRACTOR).sum())
    n = p + m + d
    low, high = nps_interval(p, m, d)
    # "+ 0.0" turns a rounded -0.0 into 0.0, which is what a reader expects to see.
    return {"n": n, "promoters": p, "passives": m, "detractors": d,
            "nps": round(nps_value(p, d, n), 1) + 0.0, "nps_ci_low": round(low, 1) + 0.0, "nps_ci_high": round(high, 1) + 0.0}


def nps_table(frame: pd.DataFrame, segments: Sequence[str], category_col: str = "nps_category",
              date_col: str = "responded_at") -> pd.DataFrame:
    """Rows: scope=overall; scope=segment (segment=<column>, value=<value>); scope=day
    (segment=responded_at, value=YYYY-MM-DD); scope=week (value=ISO week start, Monday)."""
    rows = [{"scope": "overall", "segment": "", "value": "", **summarize(frame[category_col])}]
    for seg in segments:
        for value, group in frame.groupby(seg, sort=True, observed=True):
            rows.append({"scope": "segment", "segment": seg, "value": value, **summarize(group[category_col])})
    if len(frame):
        # Grouped on datetime64 keys, formatted once per group: no string per response.
        day = pd.to_datetime(frame[date_col]).dt.normalize()
        for key, group in frame.groupby(day, sort=True):
            rows.append({"scope": "day", "segment": date_col, "value": key.strftime("%Y-%m-%d"),
                         **summarize(group[category_col])})
        week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
        for key, group in frame.groupby(week, sort=True):
            rows.append({"scope": "week", "segment": date_col, "value": key.strftime("%Y-%m-%d"),
                         **summarize(group[category_col])})
    return pd.DataFrame(rows, columns=NPS_COLUMNS)
