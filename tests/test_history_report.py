"""History, trends, alerts, follow-up list, verbatims and the HTML report."""

import pandas as pd
import pytest

from cxtext.config import load_config
from cxtext.followup import followup_table, verbatims_table
from cxtext.history import alerts_table, daily_counts, trends_table, update_history
from cxtext.run import run_nightly

from .conftest import FIXED_NOW, FIXTURES

EXPORT = FIXTURES / "survey_small_sjis.csv"


def comments_frame(rows):
    """rows: (date, category, themes, theme_sentiments)."""
    return pd.DataFrame(rows, columns=["responded_at", "nps_category", "themes", "theme_sentiments"])


def test_history_replaces_the_days_of_a_rerun_and_keeps_the_others(taxonomy):
    day1 = daily_counts(comments_frame([("2026-10-01", "detractor", "price", "price:negative"),
                                        ("2026-10-01", "promoter", "", "")]), taxonomy)
    day2 = daily_counts(comments_frame([("2026-10-02", "passive", "staff", "staff:positive")]), taxonomy)
    history = update_history(update_history(day1.iloc[:0], day1), day2)
    again = update_history(history, day2)  # the same night twice
    pd.testing.assert_frame_equal(again, history)
    assert sorted(set(history["date"])) == ["2026-10-01", "2026-10-02"]
    corrected = daily_counts(comments_frame([("2026-10-02", "promoter", "", "")]), taxonomy)
    fixed = update_history(history, corrected)
    totals = fixed[(fixed["theme"] == "") & (fixed["date"] == "2026-10-02")].iloc[0]
    assert (totals["responses"], totals["promoters"], totals["passives"]) == (1, 1, 0)


def test_trends_by_hand(taxonomy):
    # 2026-10-05 is a Monday: both days fall in the same week.
    rows = [("2026-10-05", "detractor", "price", "price:negative"), ("2026-10-05", "detractor", "staff", "staff:negative"),
            ("2026-10-06", "promoter", "", ""), ("2026-10-06", "detractor", "price;staff", "price:negative;staff:negative")]
    trends = trends_table(daily_counts(comments_frame(rows), taxonomy), taxonomy)
    week = trends[(trends.period_type == "week") & (trends.theme == "")].iloc[0]
    assert week["period"] == "2026-10-05" and week["responses"] == 4 and week["nps"] == -50.0  # (1 - 3) / 4
    price = trends[(trends.period_type == "week") & (trends.theme == "price")].iloc[0]
    assert price["detractor_mentions"] == 2 and price["share_of_detractors"] == round(2 / 3, 4)
    assert price["share_ci_low"] < 2 / 3 < price["share_ci_high"]


def test_alert_when_a_theme_jumps_in_the_last_week(taxonomy):
    import datetime as dt

    rows = []
    # Baseline: the 28 days 2026-09-04..10-01 before the last week; 40 detractors, 4 name delivery.
    for i in range(40):
        day = dt.date(2026, 9, 4) + dt.timedelta(days=i % 28)
        rows.append((day.isoformat(), "detractor", "delivery" if i < 4 else "price", ""))
    # Last 7 days (2026-10-02..08): 20 detractors, 15 name delivery.
    for i in range(20):
        day = dt.date(2026, 10, 2) + dt.timedelta(days=i % 7)
        rows.append((day.isoformat(), "detractor", "delivery" if i < 15 else "price", ""))
    history = daily_counts(comments_frame(rows), taxonomy)
    alerts = alerts_table(history, taxonomy)
    assert alerts["theme"].tolist() == ["delivery"]
    row = alerts.iloc[0]
    assert (row["mentions_recent"], row["detractors_recent"], row["mentions_baseline"], row["detractors_baseline"]) == (15, 20, 4, 40)
    assert row["difference"] == round(15 / 20 - 4 / 40, 4) and row["test"] in ("chi2", "fisher") and row["q_value"] < 0.05


def test_followup_puts_fixable_detractors_first():
    frame = pd.DataFrame({
        "response_id": ["a", "b", "c", "d"], "responded_at": ["2026-10-01"] * 4, "nps_score": [5, 0, 3, 10],
        "nps_category": ["detractor", "detractor", "detractor", "promoter"],
        "sentiment": ["negative", "negative", "negative", "positive"], "sentiment_confidence": [0.9, 0.9, 0.8, 0.9],
        "themes": ["price", "", "staff;wait", "staff"],
        "theme_sentiments": ["price:negative", "", "staff:negative;wait:negative", "staff:positive"],
        "comment": ["高い", "最悪", "店員が無愛想で待たされた", "最高"], "region": ["x"] * 4})
    out = followup_table(frame, ["region"])
    assert out["response_id"].tolist() == ["c", "a", "b"]  # named themes first, then by score
    assert out.loc[0, "negative_themes"] == "staff;wait"


def test_verbatims_are_diverse_and_quotable(taxonomy):
    near = "配送が遅すぎる。一週間かかった"
    frame = pd.DataFrame({
        "response_id": list("abcde"), "nps_score": [1, 2, 3, 4, 5], "nps_category": ["detractor"] * 5,
        "theme_sentiments": ["delivery:negative"] * 5,
        "comment": [near, near + "！", "荷物が潰れて届いた。梱包が雑", "遅", "x" * 300],
        **{f"p_{t}": [0.9, 0.95, 0.8, 0.99, 0.99] for t in taxonomy.ids}})
    drivers = pd.DataFrame({"scope": ["overall"], "mention": ["negative"], "rank": [1], "theme": ["delivery"]})
    out = verbatims_table(frame, drivers, taxonomy)
    assert out["response_id"].tolist() == ["b", "c"]  # b beats its near-duplicate a; d too short, e too long


def test_verbatims_are_masked_even_when_the_run_does_not_mask(taxonomy):
    frame = pd.DataFrame({
        "response_id": ["a"], "nps_score": [2], "nps_category": ["detractor"],
        "theme_sentiments": ["delivery:negative"], "comment": ["届かない。090-1234-5678 に電話ください"],
        **{f"p_{t}": [0.9] for t in taxonomy.ids}})
    drivers = pd.DataFrame({"scope": ["overall"], "mention": ["negative"], "rank": [1], "theme": ["delivery"]})
    assert verbatims_table(frame, drivers, taxonomy)["comment"].tolist() == ["届かない。[電話番号] に電話ください"]


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory, tiny_model_dir):
    out = tmp_path_factory.mktemp("nights")
    cfg = load_config(FIXTURES / "survey_small.toml")
    run_nightly([EXPORT], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    first = pd.read_csv(out / "history.csv", encoding="utf-8-sig", dtype=str)
    run_nightly([EXPORT], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    second = pd.read_csv(out / "history.csv", encoding="utf-8-sig", dtype=str)
    return out, first, second


def test_running_the_same_night_twice_gives_the_same_history(two_nights):
    out, first, second = two_nights
    pd.testing.assert_frame_equal(first, second)
    for name in ("trends.csv", "alerts.csv", "followup.csv", "verbatims.csv", "report.html"):
        assert (out / name).is_file(), name


NEXT_NIGHT = ("回答ID,回答日時,推奨度,推奨度の理由,チャネル,地域\n"
              "R101,2026/10/06 09:00,2,配送が遅い,オンライン,関東\n"
              "R102,2026/10/07 10:00,9,店員さんが親切,店舗,近畿\n")


def test_a_new_night_extends_the_history_and_keeps_the_old_days(tmp_path, tiny_model_dir):
    out, cfg = tmp_path / "out", load_config(FIXTURES / "survey_small.toml")
    run_nightly([EXPORT], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    first = pd.read_csv(out / "history.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    night = tmp_path / "next.csv"
    night.write_text(NEXT_NIGHT, encoding="utf-8")
    run_nightly([night], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    second = pd.read_csv(out / "history.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert sorted(set(second["date"])) == sorted(set(first["date"]) | {"2026-10-06", "2026-10-07"})
    kept = second[second["date"].isin(set(first["date"]))].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first)
    trends = pd.read_csv(out / "trends.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    days = trends[(trends["period_type"] == "day") & (trends["theme"] == "")]
    assert set(first["date"]) | {"2026-10-06", "2026-10-07"} == set(days["period"])


def test_a_run_that_fails_before_publishing_leaves_the_history_intact(tmp_path, tiny_model_dir, monkeypatch):
    import cxtext.run

    out, cfg = tmp_path / "out", load_config(FIXTURES / "survey_small.toml")
    run_nightly([EXPORT], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    before = (out / "history.csv").read_bytes()
    night = tmp_path / "next.csv"
    night.write_text(NEXT_NIGHT, encoding="utf-8")

    def killed(*args, **kwargs):  # as if the process died after staging, before COMMIT
        raise KeyboardInterrupt

    monkeypatch.setattr(cxtext.run, "publish", killed)
    with pytest.raises(KeyboardInterrupt):
        run_nightly([night], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    assert (out / "history.csv").read_bytes() == before
    assert not list(out.glob(".staging-*"))


def test_report_is_self_contained_and_escapes_comments(two_nights):
    out, _, _ = two_nights
    page = (out / "report.html").read_text(encoding="utf-8")
    import re

    # Nothing is fetched: no scripts, stylesheets, images or fonts from elsewhere (XML
    # namespace URIs inside the SVGs are names, not requests).
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:""", page)
    assert "@font-face" in page and "<svg" in page
    assert "NPSコメント分析レポート" in page


def test_report_escapes_comment_text_and_shows_small_q_values(taxonomy):
    from cxtext.drivers import drivers_table
    from cxtext.followup import VERBATIM_COLUMNS
    from cxtext.history import ALERTS_COLUMNS, TRENDS_COLUMNS
    from cxtext.nps import nps_table
    from cxtext.report import _q_text, render_report

    assert (_q_text(0.0), _q_text(0.0123), _q_text(None)) == ("<0.001", "0.012", "")
    frame = pd.DataFrame({"nps_category": ["detractor"] * 30 + ["promoter"] * 30,
                          "themes": ["delivery"] * 30 + [""] * 30,
                          "theme_sentiments": ["delivery:negative"] * 30 + [""] * 30,
                          "responded_at": ["2026-10-01"] * 60})
    drivers = drivers_table(frame, "themes", taxonomy, [], min_support=1)
    hostile = '<script>alert("x")</script>配送が遅い & 箱が潰れていた'
    verbatims = pd.DataFrame([[1, "delivery", "配送・納期", "R1", 2, 0.9, hostile]], columns=VERBATIM_COLUMNS)
    page = render_report({"model": {"name": "m", "version": "1"}}, nps_table(frame, []), drivers,
                         pd.DataFrame(columns=TRENDS_COLUMNS), pd.DataFrame(columns=ALERTS_COLUMNS), verbatims, {})
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;配送が遅い &amp; 箱が潰れていた" in page
    assert "<td>&lt;0.001</td>" in page  # 30 of 30 vs 0 of 30 detractors: q is tiny


def test_every_output_column_is_documented(two_nights):
    from .conftest import ROOT

    out, _, _ = two_nights
    docs = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    segments = set(load_config(FIXTURES / "survey_small.toml").input.segments)
    undocumented = {}
    for path in sorted(out.glob("*.csv")):
        columns = pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns
        # A pair is documented once as "`x_low`, `_high`"; segment and p_<theme> columns generically.
        missing = [c for c in columns if c not in segments and not c.startswith("p_") and f"`{c}`" not in docs
                   and not (c.endswith("_high") and f"`{c[:-5]}_low`, `_high`" in docs)]
        if missing:
            undocumented[path.name] = missing
    assert undocumented == {}


@pytest.mark.parametrize("n_weeks, expected_ticks", [(1, 1), (8, 8), (12, 12), (13, 7), (52, 11)])
def test_trend_chart_ticks_sit_on_week_starts(n_weeks, expected_ticks):
    from cxtext.report import week_ticks

    weeks = pd.Series(pd.date_range("2026-09-28", periods=n_weeks, freq="W-MON"))
    ticks, labels = week_ticks(weeks)
    assert len(ticks) == expected_ticks <= 12
    assert ticks[0] == weeks.iloc[0] and set(ticks) <= set(weeks)
    assert labels[0] == "2026-09-28"
