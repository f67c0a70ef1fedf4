"""History, trends, alerts, follow-up list, verbatims and the HTML report."""

import json
import shutil
import subprocess

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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_report_renders_in_a_headless_browser(two_nights, tmp_path):
    out, _, _ = two_nights
    shot = tmp_path / "report.png"
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1200,1600", "--enable-logging=stderr", "--v=0",
                           f"--screenshot={shot}", (out / "report.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    console_errors = [line for line in proc.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert console_errors == []
    from PIL import Image

    image = Image.open(shot).convert("RGB").resize((300, 400))
    assert len(set(image.get_flattened_data())) > 50  # charts and text, not a blank page
