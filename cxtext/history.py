"""History across nightly runs, trends per day and week, and alerts.

The history is one compact table, `history.csv` in the output folder: per response date and
theme, the counts trends need (responses, promoters, passives, detractors, detractors
mentioning the theme negatively or at all). A run replaces the dates its input covers and
keeps every other date, so re-running a night never doubles it and a new night extends it.
It is published with the other outputs (staged, then moved), so a killed run leaves the
previous history intact.

Alerts compare, per theme, the share of detractors naming it in the last 7 days of the
history with the 28 days before (two proportions: Fisher's exact test when an expected cell
is below 5, chi-square otherwise; Benjamini–Hochberg across themes). A theme is listed when
its share rose and q < 0.05.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
import numpy as np
import pandas as pd

from .cells import collapse, days
from .drivers import (benjamini_hochberg, independence_test, negative_theme_matrix, risk_difference_ci,
                      theme_matrix, theme_text, wilson)
from .nps import nps_interval, nps_value
from .schema import DETRACTOR, PASSIVE, PROMOTER
from .taxonomy import Taxonomy

HISTORY_FILE = "history.csv"
TOTAL = ""  # theme value of the per-day totals row
HISTORY_COLUMNS = ["date", "theme", "responses", "promoters", "passives", "detractors",
                   "detractor_mentions", "detractor_negative_mentions"]
TRENDS_COLUMNS = ["period_type", "period", "theme", "theme_name", "responses", "promoters", "passives", "detractors",
                  "nps", "nps_ci_low", "nps_ci_high", "detractor_mentions", "share_of_detractors",
                  "share_ci_low", "share_ci_high"]
ALERTS_COLUMNS = ["theme", "theme_name", "window_start", "window_end", "baseline_start", "baseline_end",
                  "detractors_recent", "mentions_recent", "share_recent", "detractors_baseline",
                  "mentions_baseline", "share_baseline", "difference", "difference_ci_low", "difference_ci_high",
                  "test", "p_value", "q_value"]
RECENT_DAYS, BASELINE_DAYS = 7, 28
ALERT_Q = 0.05


def daily_counts(comments: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """This run's rows for the history: one totals row and one row per theme per date."""
    if not len(comments):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    # Counted on collapsed cells (cells.py): responses per (day, category), and the detractors'
    # theme combinations per day; memory of a few thousand combinations, not of the responses.
    day = days(comments["responded_at"])
    per_day, responses = collapse(pd.DataFrame({"day": day, "nps_category": comments["nps_category"]}),
                                  ["day", "nps_category"])
    cell_day, cell_cat = per_day["day"].to_numpy(), per_day["nps_category"].to_numpy()
    is_detractor = (comments["nps_category"] == DETRACTOR).to_numpy()
    mentions = {}  # kind -> (day of each cell, theme matrix, detractors per cell)
    for kind, column, matrix in (("any", "themes", theme_matrix), ("negative", "theme_sentiments", negative_theme_matrix)):
        cells, counts = collapse(pd.DataFrame({"day": day[is_detractor], column: comments[column][is_detractor]}),
                                 ["day", column])
        mentions[kind] = (cells["day"].to_numpy(), matrix(theme_text(cells[column]), taxonomy.ids), counts)

    def detractor_mentions(kind: str, date, j: int) -> int:
        cell_days, matrix, counts = mentions[kind]
        return int(counts[(cell_days == date) & matrix[:, j]].sum())

    rows = []
    for date in np.unique(cell_day):
        on_day = cell_day == date
        base = {"date": pd.Timestamp(date).strftime("%Y-%m-%d"), "responses": int(responses[on_day].sum()),
                "promoters": int(responses[on_day & (cell_cat == PROMOTER)].sum()),
                "passives": int(responses[on_day & (cell_cat == PASSIVE)].sum()),
                "detractors": int(responses[on_day & (cell_cat == DETRACTOR)].sum())}
        rows.append({**base, "theme": TOTAL, "detractor_mentions": 0, "detractor_negative_mentions": 0})
        for j, theme in enumerate(taxonomy.ids):
            rows.append({**base, "theme": theme, "detractor_mentions": detractor_mentions("any", date, j),
                         "detractor_negative_mentions": detractor_mentions("negative", date, j)})
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def read_history(out_dir: Path) -> pd.DataFrame:
    path = Path(out_dir) / HISTORY_FILE
    if not path.is_file():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"date": str, "theme": str}, keep_default_na=False)
    return frame[HISTORY_COLUMNS]


def update_history(previous: pd.DataFrame, tonight: pd.DataFrame) -> pd.DataFrame:
    """Replace the dates tonight covers, keep the rest, sorted by date and theme."""
    kept = previous[~previous["date"].isin(set(tonight["date"]))]
    merged = pd.concat([kept, tonight], ignore_index=True) if len(kept) else tonight.copy()
    for col in HISTORY_COLUMNS[2:]:
        merged[col] = merged[col].astype(int)
    return merged.sort_values(["date", "theme"], kind="stable").reset_index(drop=True)[HISTORY_COLUMNS]


def _week_start(dates: pd.Series) -> pd.Series:
    when = pd.to_datetime(dates)
    return (when - pd.to_timedelta(when.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")


def trends_table(history: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """NPS per day and ISO week (Monday) with 95% intervals, and each theme's share among
    detractors (detractors naming it / all detractors) with Wilson 95% intervals."""
    if not len(history):
        return pd.DataFrame(columns=TRENDS_COLUMNS)
    rows = []
    frame = history.copy()
    frame["week"] = _week_start(frame["date"])
    for period_type, key in (("day", "date"), ("week", "week")):
        grouped = frame.groupby([key, "theme"], sort=True)[HISTORY_COLUMNS[2:]].sum().reset_index()
        # A week's totals are the sum of its days; every theme row repeats its day's totals.
        for row in grouped.itertuples(index=False):
            period, theme = getattr(row, key), row.theme
            n, p, m, d = row.responses, row.promoters, row.passives, row.detractors
            out = {"period_type": period_type, "period": period, "theme": theme,
                   "theme_name": taxonomy.name(theme) if theme else "", "responses": n, "promoters": p,
                   "passives": m, "detractors": d}
            if theme == TOTAL:
                low, high = nps_interval(p, m, d)
                out.update(nps=round(nps_value(p, d, n), 1), nps_ci_low=round(low, 1), nps_ci_high=round(high, 1))
            else:
                k = row.detractor_mentions
                out["detractor_mentions"] = k
                if d:
                    low, high = wilson(k, d)
                    out.update(share_of_detractors=round(k / d, 4), share_ci_low=round(low, 4), share_ci_high=round(high, 4))
            rows.append(out)
    return pd.DataFrame(rows, columns=TRENDS_COLUMNS)


def alerts_table(history: pd.DataFrame, taxonomy: Taxonomy, q_threshold: float = ALERT_Q) -> pd.DataFrame:
    """Themes whose share among detractors in the last 7 days rose significantly against
    the 28 days before them."""
    if not len(history):
        return pd.DataFrame(columns=ALERTS_COLUMNS)
    dates = pd.to_datetime(history["date"])
    end = dates.max()
    recent_start = end - dt.timedelta(days=RECENT_DAYS - 1)
    base_end = recent_start - dt.timedelta(days=1)
    base_start = base_end - dt.timedelta(days=BASELINE_DAYS - 1)
    recent = history[(dates >= recent_start) & (dates <= end)]
    base = history[(dates >= base_start) & (dates <= base_end)]
    det_recent = int(recent.loc[recent["theme"] == TOTAL, "detractors"].sum())
    det_base = int(base.loc[base["theme"] == TOTAL, "detractors"].sum())
    if det_recent == 0 or det_base == 0:
        return pd.DataFrame(columns=ALERTS_COLUMNS)
    rows = []
    for theme in taxonomy.ids:
        k1 = int(recent.loc[recent["theme"] == theme, "detractor_mentions"].sum())
        k0 = int(base.loc[base["theme"] == theme, "detractor_mentions"].sum())
        test, p = independence_test(k1, det_recent, k0, det_base)
        low, high = risk_difference_ci(k1, det_recent, k0, det_base)
        rows.append({"theme": theme, "theme_name": taxonomy.name(theme),
                     "window_start": recent_start.strftime("%Y-%m-%d"), "window_end": end.strftime("%Y-%m-%d"),
                     "baseline_start": base_start.strftime("%Y-%m-%d"), "baseline_end": base_end.strftime("%Y-%m-%d"),
                     "detractors_recent": det_recent, "mentions_recent": k1, "share_recent": round(k1 / det_recent, 4),
                     "detractors_baseline": det_base, "mentions_baseline": k0, "share_baseline": round(k0 / det_base, 4),
                     "difference": round(k1 / det_recent - k0 / det_base, 4), "difference_ci_low": round(low, 4),
                     "difference_ci_high": round(high, 4), "test": test, "p_value": round(p, 6)})
    table = pd.DataFrame(rows, columns=ALERTS_COLUMNS)
    table["q_value"] = np.round(benjamini_hochberg(table["p_value"].astype(float)), 6)
    rising = table[(table["difference"] > 0) & (table["q_value"] < q_threshold)]
    return rising.sort_values(["q_value", "difference"], ascending=[True, False]).reset_index(drop=True)
