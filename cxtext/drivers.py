"""Which themes drive detractors: per theme, overall and per segment value.

For each theme T in a group of responses (every scored response counts, with or without
a comment): detractor share among responses mentioning T vs not, their risk difference
(Newcombe hybrid-score interval) and risk ratio (log interval), a test of independence
(Fisher's exact test when an expected cell is below 5, Pearson's chi-square otherwise),
Benjamini–Hochberg q-values across every row tested, and nps_impact = NPS(all) − NPS(all
responses not mentioning T). Rows with fewer than `min_support` mentions are flagged
`low_support` and not ranked.

Each theme appears twice per group: `mention` = "any" (the theme is mentioned) and
"negative" (mentioned with negative polarity). Further columns: a bootstrap 95% interval of
nps_impact (multinomial resampling of the group's six theme × category cells, seeded),
`uplift_if_passive` (NPS points gained if the theme's detractors became passives),
Shapley detractor attribution (a detractor naming k themes gives 1/k to each: the Shapley
value of the "explained by any of its themes" game, so overlapping themes are not counted
twice and the shares add up to the explained detractors), and for segment rows the
detractor share shrunk toward the overall rate of that theme (beta prior worth
`min_support` responses), which keeps small segments from topping the list by chance.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .cells import collapse
from .nps import Z95, nps_value
from .schema import DETRACTOR, DRIVERS_COLUMNS, PROMOTER
from .taxonomy import Taxonomy


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def risk_difference_ci(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for p1 − p0."""
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1)
    l0, u0 = wilson(k0, n0)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def risk_ratio_ci(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float, float]:
    """Risk ratio with the log (Katz) interval; 0.5 is added to every cell when one is zero."""
    a, b, c, d = k1, n1 - k1, k0, n0 - k0
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    rr = (a / (a + b)) / (c / (c + d))
    se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    return rr, rr * math.exp(-Z95 * se), rr * math.exp(Z95 * se)


def independence_test(k1: int, n1: int, k0: int, n0: int) -> tuple[str, float]:
    table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if (table.sum(axis=0) == 0).any():
        return "none", 1.0  # everyone (or no one) is a detractor: nothing to test
    if (expected < 5).any():
        return "fisher", float(stats.fisher_exact(table)[1])
    return "chi2", float(stats.chi2_contingency(table, correction=False)[1])


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def _by_category(values, build) -> np.ndarray | None:
    """For a categorical Series, build the matrix once per category and index it by the
    codes: the streaming run keeps its themes as categoricals, and a million rows hold only
    a few hundred distinct theme combinations."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        per_category = build(list(values.cat.categories))
        codes = values.cat.codes.to_numpy()
        out = per_category[np.maximum(codes, 0)] if len(per_category) else np.zeros((len(codes), 0), dtype=bool)
        out[codes < 0] = False  # missing values mention nothing
        return out
    return None


def theme_matrix(themes: Sequence[str], theme_ids: Sequence[str]) -> np.ndarray:
    if (m := _by_category(themes, lambda v: theme_matrix(v, theme_ids))) is not None:
        return m
    index = {t: j for j, t in enumerate(theme_ids)}
    m = np.zeros((len(themes), len(theme_ids)), dtype=bool)
    for i, value in enumerate(themes):
        for t in (value or "").split(";"):
            if t in index:
                m[i, index[t]] = True
    return m


BOOTSTRAP = 1000


def nps_impact_interval(cells: np.ndarray, n_boot: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of nps_impact from the six counts
    [promoters, passives, detractors] × [with theme, without theme] (multinomial bootstrap)."""
    cells = np.asarray(cells, dtype=float).reshape(6)
    n = int(cells.sum())
    if n == 0:
        return float("nan"), float("nan")
    draws = np.random.default_rng(seed).multinomial(n, cells / n, size=n_boot)
    pro_w, _, det_w, pro_o, _, det_o = draws.T
    n_without = draws[:, 3:].sum(axis=1)
    nps_all = 100.0 * ((pro_w + pro_o) - (det_w + det_o)) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        nps_without = np.where(n_without > 0, 100.0 * (pro_o - det_o) / np.maximum(n_without, 1), np.nan)
    impact = nps_all - nps_without
    impact = impact[~np.isnan(impact)]
    if impact.size == 0:
        return float("nan"), float("nan")
    return float(np.quantile(impact, 0.025)), float(np.quantile(impact, 0.975))


def shapley_detractors(is_det: np.ndarray, mentions: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per theme, detractors attributed to it: each detractor splits 1 over the themes it names.
    ``weights`` counts how many responses each row stands for (rows collapsed by collapse())."""
    k = mentions.sum(axis=1)
    share = np.where(is_det & (k > 0), 1.0 / np.maximum(k, 1), 0.0)
    if weights is not None:
        share = share * weights
    return share @ mentions


def _group_rows(scope: str, segment: str, value: str, cats: np.ndarray, mentions: np.ndarray,
                taxonomy: Taxonomy, min_support: int, mention: str = "any",
                weights: np.ndarray | None = None) -> list[dict]:
    w = np.ones(len(cats), dtype=np.int64) if weights is None else weights
    n = int(w.sum())
    is_det = cats == DETRACTOR
    is_pro = cats == PROMOTER
    total_det = int(w[is_det].sum())
    nps_all = nps_value(int(w[is_pro].sum()), total_det, n)
    attributed = shapley_detractors(is_det, mentions, w)
    rows = []
    for j, theme in enumerate(taxonomy.ids):
        has = mentions[:, j]
        m = int(w[has].sum())
        k1 = int(w[is_det & has].sum())
        n0 = n - m
        k0 = total_det - k1
        p1 = int(w[is_pro & has].sum())
        p0 = int(w[is_pro].sum()) - p1
        row = {"scope": scope, "segment": segment, "value": value, "theme": theme,
               "theme_name": taxonomy.name(theme), "responses": n, "mentions": m,
               "detractor_mentions": k1, "mention_share": round(m / n, 4) if n else None,
               "low_support": m < min_support, "mention": mention,
               "uplift_if_passive": round(100.0 * k1 / n, 2) if n else None,
               "shapley_detractors": round(float(attributed[j]), 3),
               "shapley_share": round(float(attributed[j]) / total_det, 4) if total_det else None}
        if n0:
            cells = [p1, m - p1 - k1, k1, p0, n0 - p0 - k0, k0]
            low, high = nps_impact_interval(cells, seed=j)
            row["nps_impact_ci_low"] = None if math.isnan(low) else round(low, 2)
            row["nps_impact_ci_high"] = None if math.isnan(high) else round(high, 2)
        row["detractor_share_with"] = round(k1 / m, 4) if m else None
        row["detractor_share_without"] = round(k0 / n0, 4) if n0 else None
        row["nps_impact"] = round(nps_all - nps_value(p0, k0, n0), 2) if n0 else None
        if m and n0:
            rd_low, rd_high = risk_difference_ci(k1, m, k0, n0)
            rr, rr_low, rr_high = risk_ratio_ci(k1, m, k0, n0)
            test, p = independence_test(k1, m, k0, n0)
            row.update(risk_difference=round(k1 / m - k0 / n0, 4), risk_difference_ci_low=round(rd_low, 4),
                       risk_difference_ci_high=round(rd_high, 4), risk_ratio=round(rr, 4),
                       risk_ratio_ci_low=round(rr_low, 4), risk_ratio_ci_high=round(rr_high, 4),
                       test=test, p_value=p)
        else:
            row.update(test="none", p_value=None)
        rows.append(row)
    return rows


def theme_text(values: pd.Series) -> pd.Series:
    """Missing theme values mention nothing (a categorical keeps its codes; -1 is handled)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return values.astype(object).where(values.notna(), "")


def negative_theme_matrix(theme_sentiments: Sequence[str], theme_ids: Sequence[str]) -> np.ndarray:
    """Themes mentioned with negative polarity ('staff:positive;delivery:negative' → delivery)."""
    if (m := _by_category(theme_sentiments, lambda v: negative_theme_matrix(v, theme_ids))) is not None:
        return m
    negative = [";".join(p.split(":")[0] for p in (v or "").split(";") if p.endswith(":negative")) for v in theme_sentiments]
    return theme_matrix(negative, theme_ids)


def drivers_table(frame: pd.DataFrame, themes_col: str, taxonomy: Taxonomy, segments: Sequence[str],
                  min_support: int = 10, min_segment_responses: int = 30,
                  category_col: str = "nps_category", polarity_col: str = "theme_sentiments") -> pd.DataFrame:
    """One row per theme × mention kind overall, and per segment value with enough responses."""
    has_polarity = polarity_col in frame
    base = [themes_col, *([polarity_col] if has_polarity else []), category_col]

    def kinds_of(cells: pd.DataFrame) -> dict[str, np.ndarray]:
        kinds = {"any": theme_matrix(theme_text(cells[themes_col]), taxonomy.ids)}
        if has_polarity:
            kinds["negative"] = negative_theme_matrix(theme_text(cells[polarity_col]), taxonomy.ids)
        return kinds

    # One collapse per group column: (themes, polarities, category) alone has a few thousand
    # combinations, times one segment's values still few; all segments at once would not be.
    cells, weights = collapse(frame, base)
    cats = np.asarray(cells[category_col])
    rows = []
    for mention, mentions in kinds_of(cells).items():
        rows += _group_rows("overall", "", "", cats, mentions, taxonomy, min_support, mention, weights)
    for seg in segments:
        cells, weights = collapse(frame, [*base, seg])
        cats, values, kinds = np.asarray(cells[category_col]), np.asarray(cells[seg]), kinds_of(cells)
        for value in sorted(set(values)):
            mask = values == value
            if weights[mask].sum() < min_segment_responses:
                continue
            for mention, mentions in kinds.items():
                rows += _group_rows("segment", seg, value, cats[mask], mentions[mask], taxonomy, min_support, mention,
                                    weights[mask])
    out = pd.DataFrame(rows)
    for col in DRIVERS_COLUMNS:
        if col not in out:
            out[col] = None
    tested = out["p_value"].notna() & (out["test"] != "none")
    out["q_value"] = None
    if tested.any():
        out.loc[tested, "q_value"] = np.round(benjamini_hochberg(out.loc[tested, "p_value"].astype(float)), 6)
    out["p_value"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6) for v in out["p_value"]]
    # Segment rows: detractor share among mentions shrunk toward the overall share of the
    # same theme and mention kind, with a prior worth min_support responses.
    overall = out[out["scope"] == "overall"].set_index(["theme", "mention"])
    shrunk = []
    for row in out.itertuples():
        base = overall.loc[(row.theme, row.mention)]
        prior = (base["detractor_mentions"] / base["mentions"]) if base["mentions"] else None
        if row.scope == "overall" or prior is None:
            shrunk.append(row.detractor_share_with)
        else:
            shrunk.append(round((row.detractor_mentions + min_support * prior) / (row.mentions + min_support), 4))
    out["detractor_share_with_shrunk"] = shrunk
    # Rank within each group: the more negative nps_impact, the bigger the driver.
    out["rank"] = None
    for _, idx in out.groupby(["scope", "segment", "value", "mention"], sort=False).groups.items():
        sub = out.loc[idx]
        eligible = sub[~sub["low_support"].astype(bool) & sub["nps_impact"].notna()]
        ranked = eligible.sort_values(["nps_impact", "theme"]).index
        for r, i in enumerate(ranked, start=1):
            out.at[i, "rank"] = r
    return out[DRIVERS_COLUMNS]
