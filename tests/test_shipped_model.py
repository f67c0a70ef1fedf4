"""The shipped default model: it loads (verified), scores the bundled sample the way the
README's first command does, and gets the basic Japanese cases right."""

import json

import pandas as pd
import pytest

from cxtext.artifacts import load_bundle
from cxtext.config import load_config
from cxtext.run import run_nightly

from .conftest import ROOT

MODEL = ROOT / "models" / "default"
SAMPLE = ROOT / "data" / "samples" / "survey_sample.csv"


@pytest.fixture(scope="module")
def shipped():
    return load_bundle(MODEL)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    summary = run_nightly([SAMPLE], out, load_config(ROOT / "jobs" / "cxtext.toml"), model_dir=MODEL)
    return out, summary


def test_card_has_test_split_metrics_and_matches_the_labelled_data(shipped):
    card = json.loads((MODEL / "card.json").read_text(encoding="utf-8"))
    assert card["test_metrics"]["n"] == len(pd.read_csv(ROOT / "data" / "labelled" / "test.csv"))
    assert card["training_data"]["n"] == len(pd.read_csv(ROOT / "data" / "labelled" / "train.csv"))
    assert shipped.label == card["test_metrics"]["model"]


def test_sample_run_rejects_exactly_the_planted_defects(sample_run):
    out, summary = sample_run
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["rows_read"] == info["rows_scored"] + info["rows_rejected"] == 1022
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    planted = pd.read_csv(ROOT / "data" / "samples" / "survey_sample_defects.csv", dtype=str, keep_default_na=False)
    got = sorted(zip(rejects["row_number"], rejects["response_id"], rejects["reason"]))
    assert got == sorted(zip(planted["row_number"], planted["response_id"], planted["reason"]))


def test_sample_run_finds_the_planted_driver(sample_run):
    out, _ = sample_run
    drivers = pd.read_csv(out / "drivers.csv", encoding="utf-8-sig")
    kyushu = drivers[(drivers["segment"] == "地域") & (drivers["value"] == "九州")]
    top = kyushu.sort_values("nps_impact").head(3)["theme"].tolist()
    assert "delivery" in top, kyushu[["theme", "nps_impact", "q_value"]]


# Plain cases any model we ship must get right: (comment, sentiment, expected theme polarities).
EXPECTED = [
    ("アプリにﾛｸﾞｲﾝできない😡", "negative", {"digital": "negative"}),
    ("電話が全然つながらない", "negative", {"support": "negative"}),
    ("レジ待ちが長すぎる", "negative", {"wait": "negative"}),
    ("店内が清潔で気持ちいい", "positive", {"store": "positive"}),
    ("スタッフの態度が最悪。二度と行かない。", "negative", {"staff": "negative"}),
    ("店員さんは親切だけど、配送が遅い", None, {"staff": "positive", "delivery": "negative"}),
    ("特になし", "neutral", {}),
    ("悪くない", "positive", {}),
    ("二度と使わない", "negative", {}),
]


@pytest.mark.parametrize("comment, sentiment, polarities", EXPECTED)
def test_shipped_model_reads_plain_japanese_feedback(shipped, comment, sentiment, polarities):
    row = shipped.predict([comment]).iloc[0]
    got = dict(p.split(":") for p in row["theme_sentiments"].split(";") if p)
    if sentiment:
        assert row["sentiment"] == sentiment, row.to_dict()
    assert {t: got.get(t) for t in polarities} == polarities, row.to_dict()
    if not polarities:
        assert row["themes"] == "", row.to_dict()
