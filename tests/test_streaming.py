"""The streaming run: chunk size changes memory, never results."""

import dataclasses
import json

import pytest

from cxtext.config import load_config
from cxtext.errors import ConfigError
from cxtext.run import OUTPUT_FILES, _Reservoir, estimate_rows, run_nightly

from .conftest import FIXED_NOW, FIXTURES, ROOT

SAMPLE = ROOT / "data" / "samples" / "survey_sample.csv"


def _config(chunk_rows: int):
    cfg = load_config(ROOT / "jobs" / "cxtext.toml")
    return dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, chunk_rows=chunk_rows, jobs=1, cache=False))


@pytest.fixture(scope="module")
def whole_and_chunked(tmp_path_factory, tiny_model_dir):
    outs = {}
    for chunk_rows in (100_000, 37):
        out = tmp_path_factory.mktemp(f"chunk{chunk_rows}")
        run_nightly([SAMPLE], out, _config(chunk_rows), model_dir=tiny_model_dir)
        outs[chunk_rows] = out
    return outs[100_000], outs[37]


@pytest.mark.parametrize("name", [f for f in OUTPUT_FILES if f.endswith(".csv")])
def test_small_chunks_write_the_same_tables(whole_and_chunked, name):
    whole, chunked = whole_and_chunked
    assert (chunked / name).read_bytes() == (whole / name).read_bytes()


def test_small_chunks_give_the_same_counts_and_drift(whole_and_chunked):
    whole, chunked = (json.loads((d / "run.json").read_text(encoding="utf-8")) for d in whole_and_chunked)
    for key in ("rows_read", "rows_scored", "rows_rejected", "rows_with_comment", "reject_reasons", "inputs"):
        assert chunked[key] == whole[key]
    assert chunked["drift"] == whole["drift"]
    assert whole["rows_read"] == 1022 and whole["reject_reasons"]["duplicate"] >= 1


def test_a_duplicate_in_a_later_chunk_and_a_later_file_wins(tmp_path, tiny_model_dir):
    header = "回答ID,回答日時,推奨度,推奨度の理由,チャネル\n"
    first = tmp_path / "a.csv"
    first.write_text(header + "".join(f"R{i},2026/10/0{1 + i % 3} 10:00,{i % 11},コメント{i}ですが配送が遅い,店舗\n"
                                      for i in range(10)), encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(header + "R3,2026/10/03 12:00,９,訂正：とても満足です😊,アプリ\n", encoding="utf-8")
    cfg = load_config(FIXTURES / "survey_small.toml")
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, chunk_rows=4, jobs=1, cache=False))
    out = tmp_path / "out"
    summary = run_nightly([first, second], out, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    assert (summary.rows_read, summary.rows_scored, summary.rows_rejected) == (11, 10, 1)
    rejects = (out / "rejects.csv").read_text(encoding="utf-8-sig")
    assert "duplicate" in rejects and "a.csv" in rejects and "コメント3ですが" in rejects
    comments = (out / "comments.csv").read_text(encoding="utf-8-sig")
    assert "訂正：とても満足です😊" in comments and "コメント3ですが" not in comments


def test_chunk_rows_must_be_positive(tmp_path, tiny_model_dir):
    with pytest.raises(ConfigError, match="chunk_rows"):
        run_nightly([SAMPLE], tmp_path / "out", _config(0), model_dir=tiny_model_dir)


def test_reservoir_is_a_deterministic_uniform_sample():
    a, b = _Reservoir(50, seed=1), _Reservoir(50, seed=1)
    a.extend([f"c{i}" for i in range(1000)])
    for start in range(0, 1000, 7):  # fed in other chunk sizes: same sample
        b.extend([f"c{i}" for i in range(start, min(start + 7, 1000))])
    assert a.items == b.items and len(set(a.items)) == 50 and a.seen == 1000
    late = sum(int(x[1:]) >= 500 for x in a.items)
    assert 10 <= late <= 40  # not just the first items of the stream


def test_progress_length_is_the_line_count(tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes("回答ID,回答日時\r\nR1,2026/10/01\r\nR2,2026/10/02\r\n".encode("cp932"))
    assert estimate_rows([f]) == 2


def test_next_chunk_is_validated_while_the_previous_one_is_scored(tmp_path, tiny_model_dir, monkeypatch):
    import threading

    import cxtext.run as run_module

    validating_second_chunk = threading.Event()
    overlapped = []
    real_split, real_score = run_module.split_valid, run_module.score
    calls = {"split": 0}

    def split_valid(*args, **kwargs):
        calls["split"] += 1
        if calls["split"] == 2:
            validating_second_chunk.set()
        return real_split(*args, **kwargs)

    def score(bundle, texts, jobs=1):
        if not overlapped:  # the first chunk: is the second validated meanwhile?
            overlapped.append(validating_second_chunk.wait(timeout=20))
        return real_score(bundle, texts, jobs=jobs)

    monkeypatch.setattr(run_module, "split_valid", split_valid)
    monkeypatch.setattr(run_module, "score", score)
    run_nightly([SAMPLE], tmp_path / "out", _config(400), model_dir=tiny_model_dir)
    assert overlapped == [True]
