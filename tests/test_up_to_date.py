"""An identical re-run keeps the published outputs; anything that could change them recomputes."""

import dataclasses
import datetime as dt
import json
import shutil

import pytest

import cxtext.run as run_module
from cxtext.config import load_config
from cxtext.run import OUTPUT_FILES, run_nightly

from .conftest import ROOT

FIXED_NOW = dt.datetime(2026, 11, 30, 12, 0)  # after every sample date but the planted 2099 one
SAMPLE = ROOT / "data" / "samples" / "survey_sample.csv"


def _config(**run):
    cfg = load_config(ROOT / "jobs" / "cxtext.toml")
    return dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, **{"jobs": 1, **run}))


def _outputs(out):
    return {name: (out / name).read_bytes() for name in OUTPUT_FILES}


@pytest.fixture
def published(tmp_path, tiny_model_dir):
    export = tmp_path / "export.csv"
    shutil.copy(SAMPLE, export)
    out = tmp_path / "out"
    first = run_nightly([export], out, _config(), model_dir=tiny_model_dir, now=FIXED_NOW)
    assert not first.up_to_date
    return export, out, tiny_model_dir


def _no_scoring(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded: the run recomputed")
    monkeypatch.setattr(run_module, "load_bundle", refuse)


def test_identical_rerun_keeps_outputs_without_loading_the_model(published, monkeypatch):
    export, out, model = published
    before = _outputs(out)
    _no_scoring(monkeypatch)
    again = run_nightly([export], out, _config(), model_dir=model, now=FIXED_NOW + dt.timedelta(hours=1))
    assert again.up_to_date and "already up to date" in again.line()
    assert again.rows_read == 1022 and again.rows_rejected == 12
    assert _outputs(out) == before


def test_jobs_do_not_change_the_fingerprint(published, monkeypatch):
    export, out, model = published
    _no_scoring(monkeypatch)
    assert run_nightly([export], out, _config(jobs=2), model_dir=model, now=FIXED_NOW).up_to_date


@pytest.mark.parametrize("change", ["input", "output", "force", "next_day", "config", "history_deleted"])
def test_anything_that_could_change_the_outputs_recomputes(published, change):
    export, out, model = published
    cfg, now = _config(), FIXED_NOW
    if change == "input":
        with export.open("ab") as fh:
            fh.write("\r\nZ-1,2026/11/01 10:00,3,遅い,店舗,家電,関東\r\n".encode("cp932"))
    elif change == "output":
        (out / "drivers.csv").write_text("edited by hand\n", encoding="utf-8")
    elif change == "force":
        cfg = _config(reuse_outputs=False)
    elif change == "next_day":
        now = FIXED_NOW + dt.timedelta(days=1)
    elif change == "config":
        cfg = _config(min_support=3)
    elif change == "history_deleted":
        (out / "history.csv").unlink()
    again = run_nightly([export], out, cfg, model_dir=model, now=now)
    assert not again.up_to_date
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["outputs"]["drivers.csv"]


def test_a_row_rejected_as_future_dated_is_reconsidered_once_it_may_be_valid(published):
    export, out, model = published
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["reject_reasons"]["date_in_future"] == 1  # the sample's planted 2099 date
    valid_from = dt.datetime.fromisoformat(info["future_rejects_valid_from"])
    assert valid_from.year == 2099
    later = run_nightly([export], out, _config(), model_dir=model, now=FIXED_NOW + dt.timedelta(hours=2))
    assert later.up_to_date
    info["future_rejects_valid_from"] = (FIXED_NOW + dt.timedelta(hours=1)).isoformat()
    (out / "run.json").write_text(json.dumps(info), encoding="utf-8")
    assert not run_nightly([export], out, _config(), model_dir=model, now=FIXED_NOW + dt.timedelta(hours=2)).up_to_date
