"""The nightly run end to end on a small Shift_JIS export with defects (tiny model)."""

import json

import pandas as pd
import pytest

from cxtext import schema
from cxtext.config import load_config
from cxtext.run import OUTPUT_FILES, run_nightly

from .conftest import FIXED_NOW, FIXTURES


@pytest.fixture(scope="module")
def run_out(tmp_path_factory, tiny_model_dir):
    out = tmp_path_factory.mktemp("out")
    cfg = load_config(FIXTURES / "survey_small.toml")
    summary = run_nightly([FIXTURES / "survey_small_sjis.csv"], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    return out, summary


def read(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_all_outputs_with_contract_columns(run_out):
    out, _ = run_out
    assert all((out / f).is_file() for f in OUTPUT_FILES)
    assert list(read(out, "comments.csv").columns[:8]) == schema.COMMENTS_COLUMNS
    assert list(read(out, "nps.csv").columns) == schema.NPS_COLUMNS
    assert list(read(out, "drivers.csv").columns) == schema.DRIVERS_COLUMNS
    assert list(read(out, "rejects.csv").columns) == schema.REJECTS_COLUMNS
    assert (out / "comments.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM


def test_invariant_and_rejects_match_the_defective_rows(run_out):
    out, summary = run_out
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["rows_read"] == info["rows_scored"] + info["rows_rejected"] == 12
    rejects = read(out, "rejects.csv")
    assert sorted(zip(rejects["row_number"], rejects["reason"])) == sorted([
        ("3", "duplicate"), ("6", "missing_response_id"), ("7", "bad_date"), ("8", "score_out_of_range"),
        ("9", "missing_score"), ("13", "wrong_field_count")])
    assert info["inputs"][0]["encoding"] == "cp932" and len(info["inputs"][0]["sha256"]) == 64
    assert info["model"]["name"] == "tiny" and summary.rows_scored == 6


def test_comments_are_scored_and_empty_comments_still_count(run_out):
    out, _ = run_out
    comments = read(out, "comments.csv").set_index("response_id")
    assert comments.loc["R002", "comment"] == "配送が遅いし梱包も雑"  # the later duplicate won
    assert comments.loc["R003", "sentiment"] == "" and comments.loc["R003", "nps_category"] == "passive"
    assert comments.loc["R010", "responded_at"] == "2026-10-04T14:22:00"
    assert comments.loc["R002", "チャネル"] == "オンライン"
    nps = read(out, "nps.csv")
    overall = nps[nps["scope"] == "overall"].iloc[0]
    assert overall["n"] == "6" and float(overall["nps"]) == round(100 * (2 - 3) / 6, 1)


def test_missing_column_stops_the_run(tmp_path, tiny_model_dir):
    from cxtext.errors import InputError

    bad = tmp_path / "bad.csv"
    bad.write_text("id,score\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="required column 'response_id'"):
        run_nightly([bad], tmp_path / "out", load_config(None), model_dir=tiny_model_dir)
    assert not (tmp_path / "out" / "comments.csv").exists()
