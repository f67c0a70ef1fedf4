import numpy as np
import pandas as pd
import pytest

from cxtext.drivers import benjamini_hochberg, drivers_table, risk_difference_ci, risk_ratio_ci
from cxtext.taxonomy import Taxonomy, Theme

TAX = Taxonomy((Theme("a", "A"), Theme("b", "B"), Theme("c", "C")))


def hand_case():
    # Ten responses. Theme a: responses 1–4; theme b: 1–2 (overlaps a); c: none.
    # Detractors: 1, 2, 3, 5. Promoters: 4, 6, 7, 8. Passives: 9, 10.
    cats = ["detractor", "detractor", "detractor", "promoter", "detractor",
            "promoter", "promoter", "promoter", "passive", "passive"]
    themes = ["a;b", "a;b", "a", "a", "", "", "", "", "", ""]
    return pd.DataFrame({"nps_category": cats, "themes": themes, "seg": ["x"] * 10})


def test_driver_statistics_by_hand():
    table = drivers_table(hand_case(), "themes", TAX, [], min_support=1).set_index("theme")
    a = table.loc["a"]
    assert (a.mentions, a.detractor_mentions) == (4, 3)
    assert a.detractor_share_with == 0.75 and a.detractor_share_without == pytest.approx(1 / 6, abs=1e-4)
    assert a.risk_difference == pytest.approx(0.5833, abs=1e-4)
    # Cells 3/1/1/5 are small: Fisher's exact test. Hypergeometric (N=10, 4 detractors, 4 mentions):
    # P(x) ∝ 15, 80, 90, 24, 1 for x = 0..4 (of 210); two-sided p = (15 + 24 + 1)/210.
    assert a.test == "fisher" and a.p_value == pytest.approx(40 / 210, abs=1e-6)
    # NPS all = (4 − 4)/10 = 0; without a (responses 5–10): (3 − 1)/6 = 33.33 → impact −33.33.
    assert a.nps_impact == pytest.approx(-33.33, abs=0.01)
    # Overlap: responses 1–2 count for both a and b; without b: (4 − 2)/8 = 25 → impact −25.
    b = table.loc["b"]
    assert (b.mentions, b.detractor_mentions, b.nps_impact) == (2, 2, -25.0)
    c = table.loc["c"]
    assert c.mentions == 0 and c.test == "none" and pd.isna(c["rank"])
    assert (a["rank"], b["rank"]) == (1, 2)


def test_low_support_rows_are_flagged_and_not_ranked():
    table = drivers_table(hand_case(), "themes", TAX, [], min_support=3).set_index("theme")
    assert bool(table.loc["b", "low_support"]) and pd.isna(table.loc["b", "rank"])
    assert table.loc["a", "rank"] == 1


def test_segments_below_the_minimum_get_no_rows():
    frame = hand_case()
    assert set(drivers_table(frame, "themes", TAX, ["seg"], min_segment_responses=11)["scope"]) == {"overall"}
    assert len(drivers_table(frame, "themes", TAX, ["seg"], min_segment_responses=10)) == 6


def test_newcombe_interval_matches_published_example():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    low, high = risk_difference_ci(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_risk_ratio_log_interval_by_hand():
    # rr = 0.75 / (1/6) = 4.5; se = sqrt(1/3 − 1/4 + 1/1 − 1/6) = 0.957427
    rr, low, high = risk_ratio_ci(3, 4, 1, 6)
    assert rr == pytest.approx(4.5)
    assert low == pytest.approx(4.5 * np.exp(-1.959964 * 0.957427), rel=1e-5)
    assert high == pytest.approx(4.5 * np.exp(1.959964 * 0.957427), rel=1e-5)


def test_benjamini_hochberg_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.2 → ×4/rank: 0.04, 0.06, 0.0533, 0.2 → running min from the top
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])


def test_large_cells_use_chi_square():
    cats = ["detractor"] * 30 + ["promoter"] * 30 + ["detractor"] * 20 + ["promoter"] * 40
    themes = ["a"] * 60 + [""] * 60
    row = drivers_table(pd.DataFrame({"nps_category": cats, "themes": themes}), "themes", TAX, []).set_index("theme").loc["a"]
    assert row.test == "chi2"
    # Pearson chi-square for [[30, 30], [20, 40]]: expected 25/35 per row → X² = 3.4286, p = 0.06408
    assert row.p_value == pytest.approx(0.064078, abs=1e-5)


def test_shapley_attribution_splits_detractors_over_overlapping_themes():
    import numpy as np

    from cxtext.drivers import shapley_detractors

    # Detractor 1 names price and staff, detractor 2 names price only, a promoter names staff.
    is_det = np.array([True, True, False])
    mentions = np.array([[True, True], [True, False], [False, True]])
    attributed = shapley_detractors(is_det, mentions)
    assert attributed.tolist() == [1.5, 0.5]  # price: 1/2 + 1, staff: 1/2; sums to 2 detractors


def test_nps_impact_interval_is_seeded_and_brackets_the_estimate():
    from cxtext.drivers import nps_impact_interval

    # With theme: 0 promoters, 2 passives, 8 detractors; without: 40, 30, 20 (n = 100).
    # NPS(all) = (40 - 28) = 12; NPS(without) = 100 * (40 - 20) / 90 = 22.22; impact = -10.22.
    cells = [0, 2, 8, 40, 30, 20]
    low, high = nps_impact_interval(cells, seed=3)
    assert (low, high) == nps_impact_interval(cells, seed=3)
    assert low < -10.22 < high and high < 0


def test_uplift_shrinkage_and_negative_mentions_by_hand(taxonomy):
    import pandas as pd

    from cxtext.drivers import drivers_table

    # Segment A: 10 detractors naming delivery negatively, 10 promoters praising staff.
    # Segment B: 40 promoters, 10 of them praising delivery.
    frame = pd.DataFrame({
        "nps_category": ["detractor"] * 10 + ["promoter"] * 10 + ["promoter"] * 40,
        "themes": ["delivery"] * 10 + ["staff"] * 10 + ["delivery"] * 10 + [""] * 30,
        "theme_sentiments": ["delivery:negative"] * 10 + ["staff:positive"] * 10 + ["delivery:positive"] * 10 + [""] * 30,
        "region": ["A"] * 20 + ["B"] * 40,
    })
    out = drivers_table(frame, "themes", taxonomy, ["region"], min_support=5, min_segment_responses=10)
    overall = out[(out.scope == "overall") & (out.theme == "delivery") & (out.mention == "any")].iloc[0]
    assert overall["uplift_if_passive"] == round(100 * 10 / 60, 2)
    assert overall["shapley_detractors"] == 10 and overall["shapley_share"] == 1.0
    negative_staff = out[(out.scope == "overall") & (out.theme == "staff") & (out.mention == "negative")].iloc[0]
    assert negative_staff["mentions"] == 0  # staff was only praised
    seg = out[(out.segment == "region") & (out.value == "A") & (out.theme == "delivery") & (out.mention == "any")].iloc[0]
    # Raw share in A is 10/10; overall it is 10/20 = 0.5. Shrunk with a prior worth
    # min_support = 5 responses: (10 + 5 * 0.5) / (10 + 5) = 0.8333.
    assert seg["detractor_share_with"] == 1.0 and seg["detractor_share_with_shrunk"] == 0.8333


def test_uplift_and_shapley_with_overlapping_themes_by_hand():
    table = drivers_table(hand_case(), "themes", TAX, [], min_support=1).set_index("theme")
    a, b = table.loc["a"], table.loc["b"]
    # Detractors 1 and 2 name a and b, detractor 3 names a, detractor 5 names nothing:
    # a gets ½ + ½ + 1 = 2, b gets ½ + ½ = 1; together the 3 detractors who name a theme.
    assert (a.shapley_detractors, b.shapley_detractors) == (2.0, 1.0)
    assert (a.shapley_share, b.shapley_share) == (0.5, 0.25)  # of all 4 detractors
    # Without the overlap split, a and b would claim 3 + 2 = 5 of 4 detractors.
    assert a.shapley_detractors + b.shapley_detractors == 3
    # If a's 3 detractors became passives: NPS 0 → (4 − 1)/10 = 30 points more; b: 2 → 20.
    assert (a.uplift_if_passive, b.uplift_if_passive) == (30.0, 20.0)


def test_negative_mention_rows_by_hand():
    frame = hand_case()
    frame["theme_sentiments"] = ["a:negative;b:negative", "a:negative;b:positive", "a:neutral", "a:positive",
                                 "", "", "", "", "", ""]
    table = drivers_table(frame, "themes", TAX, [], min_support=1)
    negative = table[table["mention"] == "negative"].set_index("theme")
    a, b = negative.loc["a"], negative.loc["b"]
    assert (a.mentions, a.detractor_mentions, b.mentions, b.detractor_mentions) == (2, 2, 1, 1)
    # Without a's negative mentions (responses 3–10): (4 − 2)/8 = 25 → impact 0 − 25.
    # Without b's (responses 2–10): (4 − 3)/9 = 11.11 → impact −11.11.
    assert (a.nps_impact, b.nps_impact) == (-25.0, -11.11)
    # Tiny cells [[2, 0], [2, 6]]: Fisher. P(x) ∝ C(4,x)·C(6,2−x) = 15, 24, 6 (of 45); p = 6/45.
    assert a.test == "fisher" and a.p_value == pytest.approx(6 / 45, abs=1e-6)
    # Detractor 1 splits over a and b (negatively), detractor 2 gives a a whole one.
    assert (a.shapley_detractors, b.shapley_detractors) == (1.5, 0.5)
    assert (a.shapley_share, b.shapley_share) == (0.375, 0.125)
    assert (a.uplift_if_passive, b.uplift_if_passive) == (20.0, 10.0)
    assert (a["rank"], b["rank"]) == (1, 2) and set(table["mention"]) == {"any", "negative"}


def test_tiny_segment_is_flagged_shrunk_and_not_ranked():
    frame = hand_case()
    frame["seg"] = ["y", "y"] + ["x"] * 8  # y: the two detractors naming a and b
    table = drivers_table(frame, "themes", TAX, ["seg"], min_support=3, min_segment_responses=1)
    y_a = table[(table.value == "y") & (table.theme == "a")].iloc[0]
    assert (y_a.responses, y_a.mentions, y_a.detractor_mentions, y_a.detractor_share_with) == (2, 2, 2, 1.0)
    # Everyone in y mentions a: nothing to compare with, so no impact, no test, no rank.
    assert y_a.test == "none" and pd.isna(y_a.nps_impact) and pd.isna(y_a.nps_impact_ci_low) and pd.isna(y_a["rank"])
    assert bool(y_a.low_support) and y_a.uplift_if_passive == 100.0
    # Shrunk toward a's overall share 3/4 with a prior worth min_support = 3 responses:
    # (2 + 3 × 0.75) / (2 + 3) = 0.85 instead of 1.0.
    assert y_a.detractor_share_with_shrunk == 0.85
    x_a = table[(table.value == "x") & (table.theme == "a")].iloc[0]
    # x: a is mentioned by response 3 (detractor) and 4 (promoter): (1 + 2.25) / (2 + 3) = 0.65.
    assert (x_a.mentions, x_a.detractor_mentions, x_a.detractor_share_with_shrunk) == (2, 1, 0.65)


def test_nps_impact_interval_degenerate_case_by_hand():
    from cxtext.drivers import nps_impact_interval

    # Everyone is a detractor: every resample has NPS −100 with and without the theme → [0, 0].
    assert nps_impact_interval([0, 0, 5, 0, 0, 5], seed=1) == (0.0, 0.0)
    # Every response mentions the theme: NPS without it is undefined → no interval.
    low, high = nps_impact_interval([3, 0, 2, 0, 0, 0])
    assert np.isnan(low) and np.isnan(high)


def test_nps_impact_interval_equals_the_resampling_written_out():
    from cxtext.drivers import BOOTSTRAP, nps_impact_interval
    from cxtext.nps import nps_value

    cells = np.array([1, 2, 5, 30, 20, 12])  # pro/pas/det with the theme, then without
    n = int(cells.sum())
    impacts = []
    for draw in np.random.default_rng(7).multinomial(n, cells / n, size=BOOTSTRAP):
        pw, _, dw, po, _, do = (int(v) for v in draw)
        n_without = int(draw[3:].sum())
        if n_without:
            impacts.append(nps_value(pw + po, dw + do, n) - nps_value(po, do, n_without))
    expected = (np.quantile(impacts, 0.025), np.quantile(impacts, 0.975))
    assert nps_impact_interval(cells, seed=7) == pytest.approx(expected, abs=1e-9)
    # The point estimate: NPS(all) = 100 (31 − 17)/70 = 20; without: 100 (30 − 12)/62 = 29.03.
    low, high = expected
    assert low < 20 - 100 * 18 / 62 < high


def test_categorical_themes_give_the_same_matrices_as_strings():
    from cxtext.drivers import negative_theme_matrix, theme_matrix

    ids = ["price", "staff", "delivery"]
    themes = ["price;staff", "", "delivery", "price;staff", "staff"]
    polarities = ["price:negative;staff:positive", "", "delivery:negative", "price:negative;staff:positive",
                  "staff:negative"]
    as_category = pd.Series(pd.Categorical(themes))
    assert (theme_matrix(as_category, ids) == theme_matrix(themes, ids)).all()
    assert (negative_theme_matrix(pd.Series(pd.Categorical(polarities)), ids)
            == negative_theme_matrix(polarities, ids)).all()
    with_missing = pd.Series(pd.Categorical(["price", None]))
    assert theme_matrix(with_missing, ids).tolist() == [[True, False, False], [False, False, False]]
