"""Unattended safety: locks, atomic publishing, signals, spreadsheet safety, personal data."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from cxtext.config import load_config
from cxtext.publish import COMMIT, RunLock, RunLockedError, recover
from cxtext.run import OUTPUT_FILES, run_nightly

from .conftest import FIXED_NOW, FIXTURES, ROOT

CFG = FIXTURES / "survey_small.toml"
EXPORT = FIXTURES / "survey_small_sjis.csv"


def test_second_run_on_the_same_folder_is_refused(tmp_path, tiny_model_dir):
    with RunLock(tmp_path):
        with pytest.raises(RunLockedError, match=r"another cxtext run is writing to .* \(pid \d+ on"):
            run_nightly([EXPORT], tmp_path, load_config(CFG), model_dir=tiny_model_dir, now=FIXED_NOW)


def test_locked_folder_exits_75_with_one_error_line(tmp_path, tiny_model_dir, capsys):
    from cxtext.cli import main

    with RunLock(tmp_path):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "--input", str(EXPORT), "--out", str(tmp_path), "--config", str(CFG), "--model", str(tiny_model_dir)])
    assert exit_info.value.code == 75
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("Error: another cxtext run is writing to")


def test_stale_lock_from_a_killed_run_is_recovered(tmp_path, tiny_model_dir, caplog):
    (tmp_path / ".cxtext.lock").write_text("pid 999999 on elsewhere, started 2026-10-01 02:30:00\n")
    (tmp_path / ".staging-999999").mkdir()
    (tmp_path / ".staging-999999" / "comments.csv").write_text("half-written")
    with caplog.at_level(logging.WARNING, logger="cxtext"):
        run_nightly([EXPORT], tmp_path, load_config(CFG), model_dir=tiny_model_dir, now=FIXED_NOW)
    assert "did not finish" in caplog.text
    assert not (tmp_path / ".staging-999999").exists()
    assert "half-written" not in (tmp_path / "comments.csv").read_text(encoding="utf-8-sig")


def test_committed_staging_is_rolled_forward(tmp_path):
    staging = tmp_path / ".staging-1"
    staging.mkdir()
    (staging / "nps.csv").write_text("new")
    (tmp_path / "nps.csv").write_text("old")
    (staging / COMMIT).write_text("nps.csv\n")
    recover(tmp_path)
    assert (tmp_path / "nps.csv").read_text() == "new" and not staging.exists()


def _outputs(folder):
    return {name: (folder / name).read_bytes() for name in OUTPUT_FILES if name != "run.json"}


def test_same_input_twice_gives_identical_outputs(tmp_path, tiny_model_dir):
    cfg = load_config(CFG)
    run_nightly([EXPORT], tmp_path / "a", cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    run_nightly([EXPORT], tmp_path / "b", cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")
    a, b = (json.loads((tmp_path / d / "run.json").read_text(encoding="utf-8")) for d in "ab")
    for info in (a, b):
        info.pop("started_at"), info.pop("finished_at")
    assert a == b


def test_formulas_are_neutralized_and_personal_data_masked(tmp_path, tiny_model_dir, caplog):
    export = tmp_path / "x.csv"
    export.write_text(
        "response_id,responded_at,nps_score,comment\n"
        "=1+1,2026-10-01,3,\"=HYPERLINK(\"\"http://evil\"\")\"\n"
        "A2,2026-10-01,9,連絡は taro@example.jp か 090-1234-5678 へ\n"
        "A3,2026-10-01,X,+81 3-1234-5678 @channel\n", encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="cxtext"):
        run_nightly([export], tmp_path / "out", load_config(None), model_dir=tiny_model_dir, now=FIXED_NOW)
    comments = pd.read_csv(tmp_path / "out" / "comments.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(comments["response_id"]) == ["'=1+1", "A2"]
    assert comments.loc[0, "comment"] == "'=HYPERLINK(\"http://evil\")"
    assert comments.loc[1, "comment"] == "連絡は [メール] か [電話番号] へ"
    everything = "".join((tmp_path / "out" / f).read_text(encoding="utf-8-sig") for f in OUTPUT_FILES) + caplog.text
    assert "taro@example.jp" not in everything and "090-1234-5678" not in everything and "3-1234-5678" not in everything


def _big_export(path, rows=30000):
    lines = ["response_id,responded_at,nps_score,comment"]
    texts = pd.read_csv(FIXTURES / "labelled_small.csv")["comment"].tolist()
    for i in range(rows):
        lines.append(f"K{i},2026-10-0{1 + i % 9},{i % 11},{texts[i % len(texts)]}{i % 97}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cli(args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cxtext", *args], env=env, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_lock(out, proc, timeout=60):
    lock = out / ".cxtext.lock"
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if lock.exists() and lock.read_text().strip():
            return
        time.sleep(0.05)
    raise AssertionError("the run never took its lock")


@pytest.mark.slow
def test_kill_9_mid_run_keeps_previous_outputs_and_rerun_matches(tmp_path, tiny_model_dir):
    export = tmp_path / "big.csv"
    _big_export(export)
    args = ["run", "--input", str(export), "--out", str(tmp_path / "out"), "--model", str(tiny_model_dir)]
    assert _cli(args).wait() == 0
    before = _outputs(tmp_path / "out")
    proc = _cli(args)
    _wait_for_lock(tmp_path / "out", proc)
    time.sleep(1.0)  # well inside scoring, before publishing
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _outputs(tmp_path / "out") == before  # previous outputs intact and readable
    assert _cli(args).wait() == 0  # the stale lock does not block
    assert _outputs(tmp_path / "out") == before
    assert not list((tmp_path / "out").glob(".staging-*"))


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_a_distinct_status(tmp_path, tiny_model_dir):
    export = tmp_path / "big.csv"
    _big_export(export)
    proc = _cli(["run", "--input", str(export), "--out", str(tmp_path / "out"), "--model", str(tiny_model_dir)])
    _wait_for_lock(tmp_path / "out", proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err[-3000:]
    assert err.strip().splitlines()[-1] == "Error: stopped by SIGTERM; the previous outputs are unchanged"
    assert not (tmp_path / "out" / "comments.csv").exists()
    assert not list((tmp_path / "out").glob(".staging-*"))


def test_report_text_that_could_run_as_a_formula_gets_an_invisible_guard():
    from cxtext.report import _text

    assert _text("=HYPERLINK(\"http://evil\")") == "\u200b=HYPERLINK(&quot;http://evil&quot;)"
    assert _text("-5点の理由") == "\u200b-5点の理由" and _text("普通の文") == "普通の文"
    assert _text("<b>太字</b>") == "&lt;b&gt;太字&lt;/b&gt;"
