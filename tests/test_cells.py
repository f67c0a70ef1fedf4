"""Aggregates computed on collapsed cells must equal those computed row by row."""

import numpy as np
import pandas as pd

from cxtext.cells import collapse, days
from cxtext.drivers import drivers_table
from cxtext.history import daily_counts
from cxtext.nps import nps_table
from cxtext.taxonomy import load_taxonomy

TAX = load_taxonomy("data/taxonomy.csv")


def test_collapse_counts_every_combination_once_including_missing():
    frame = pd.DataFrame({"a": pd.Categorical(["x", "y", "x", None, "x"]), "b": ["1", "1", "1", "2", None]})
    cells, counts = collapse(frame, ["a", "b"])
    got = {(None if pd.isna(a) else a, None if pd.isna(b) else b): int(n)
           for a, b, n in zip(cells["a"], cells["b"], counts)}
    assert got == {("x", "1"): 2, ("y", "1"): 1, (None, "2"): 1, ("x", None): 1}
    assert counts.sum() == len(frame)


def test_days_of_a_categorical_merge_times_on_the_same_day():
    stamps = pd.Series(pd.Categorical(pd.to_datetime(["2026-10-01 09:00", "2026-10-01 23:59", "2026-10-02 00:00", None])))
    out = days(stamps)
    assert isinstance(out.dtype, pd.CategoricalDtype) and len(out.cat.categories) == 2
    assert list(out.astype(object).iloc[:3]) == list(pd.to_datetime(["2026-10-01", "2026-10-01", "2026-10-02"]))
    assert pd.isna(out.iloc[3])


def _responses(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    combos = ["", "price", "staff;delivery", "wait", "price;quality;info", "support;staff"]
    themes = rng.choice(combos, n)
    polarity = [";".join(f"{t}:{rng.choice(['negative', 'positive', 'neutral'])}" for t in x.split(";") if t) for x in themes]
    return pd.DataFrame({
        "responded_at": pd.Timestamp("2026-10-01") + pd.to_timedelta(rng.integers(0, 20 * 86400, n), unit="s"),
        "nps_category": rng.choice(["promoter", "passive", "detractor"], n, p=[0.3, 0.3, 0.4]),
        "themes": themes, "theme_sentiments": polarity,
        "地域": rng.choice(["関東", "近畿", "九州", ""], n)})


def _as_categoricals(frame: pd.DataFrame) -> pd.DataFrame:
    """The streaming run's compact form: categoricals, the time only as its day."""
    out = frame.copy()
    for col in ("nps_category", "themes", "theme_sentiments", "地域"):
        out[col] = pd.Categorical(out[col])
    out["responded_at"] = pd.Categorical(out["responded_at"].dt.normalize())
    return out


def _rowwise_nps(frame: pd.DataFrame) -> dict:
    cats = frame["nps_category"].to_numpy()
    return {"n": len(cats), "promoters": int((cats == "promoter").sum()), "detractors": int((cats == "detractor").sum())}


def test_nps_drivers_and_history_are_the_same_on_the_compact_form():
    plain = _responses()
    compact = _as_categoricals(plain)
    pd.testing.assert_frame_equal(nps_table(plain, ["地域"]), nps_table(compact, ["地域"]), check_dtype=False)
    pd.testing.assert_frame_equal(drivers_table(plain, "themes", TAX, ["地域"], min_support=5),
                                  drivers_table(compact, "themes", TAX, ["地域"], min_support=5), check_dtype=False)
    pd.testing.assert_frame_equal(daily_counts(plain, TAX), daily_counts(compact, TAX), check_dtype=False)


def test_collapsed_drivers_match_a_row_by_row_count():
    plain = _responses()
    table = drivers_table(plain, "themes", TAX, ["地域"], min_support=5).set_index(["scope", "value", "mention", "theme"])
    for region in ("", "関東"):
        rows = plain if region == "" else plain[plain["地域"] == region]
        scope = "overall" if region == "" else "segment"
        has_price = rows["themes"].str.split(";").map(lambda ts: "price" in ts)
        row = table.loc[(scope, region, "any", "price")]
        assert row["responses"] == len(rows) == _rowwise_nps(rows)["n"]
        assert row["mentions"] == has_price.sum()
        assert row["detractor_mentions"] == (has_price & (rows["nps_category"] == "detractor")).sum()
    daily = daily_counts(plain, TAX).set_index(["date", "theme"])
    first = plain[plain["responded_at"].dt.strftime("%Y-%m-%d") == "2026-10-01"]
    negative_staff = first["theme_sentiments"].str.contains("staff:negative") & (first["nps_category"] == "detractor")
    assert daily.loc[("2026-10-01", "staff"), "detractor_negative_mentions"] == negative_staff.sum()
    assert daily.loc[("2026-10-01", "staff"), "responses"] == len(first)
