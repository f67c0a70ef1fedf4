"""Chunked, parallel and cached scoring give exactly the single-process results."""

import dataclasses
import pandas as pd
import pytest

from cxtext.scoring import ScoreCache, score, score_with_cache

COMMENTS = ["配送が遅い", "店員さんは親切だけど、レジ待ちが長い", "特になし", "ｱﾌﾟﾘが重い😡", "",
            "料金が高すぎる。二度と使わない", "悪くない", "説明がわかりにくかった\n電話もつながらない"] * 5


def test_chunked_and_parallel_scoring_match_one_call(tiny_bundle):
    whole = tiny_bundle.predict(COMMENTS)
    pd.testing.assert_frame_equal(score(tiny_bundle, COMMENTS, jobs=1, chunk_size=7), whole)


@pytest.mark.slow
def test_two_processes_match_one(tiny_bundle):
    whole = tiny_bundle.predict(COMMENTS)
    pd.testing.assert_frame_equal(score(tiny_bundle, COMMENTS, jobs=2, chunk_size=9), whole)


def _worker_pid() -> int:
    import os

    return os.getpid()


@pytest.mark.slow
def test_process_pool_keeps_its_workers_and_model_across_calls(tiny_bundle):
    from cxtext import scoring

    whole = tiny_bundle.predict(COMMENTS)
    with scoring.ProcessScorer(tiny_bundle, jobs=2, chunk_size=6) as scorer:
        pd.testing.assert_frame_equal(scorer(COMMENTS), whole)
        workers = set(scorer._executor._processes)
        pd.testing.assert_frame_equal(scorer(COMMENTS[::-1]), tiny_bundle.predict(COMMENTS[::-1]))
        pids = {scorer._executor.submit(_worker_pid).result() for _ in range(6)}
        # the same processes, which loaded the model once when they started
        assert pids <= workers == set(scorer._executor._processes)
        assert scorer._executor.submit(getattr, scoring, "_WORKER_BUNDLE").result().label == tiny_bundle.label
    assert scorer._executor is None
    assert scoring._WORKER_BUNDLE is None  # the parent never holds a worker's copy


def test_cache_reuses_rows_only_for_the_same_model_id_and_text(tiny_bundle, tmp_path):
    ids = [f"R{i}" for i in range(len(COMMENTS))]
    cache = ScoreCache(tmp_path / "cache.sqlite", tiny_bundle.label)
    first, hits = score_with_cache(tiny_bundle, ids, COMMENTS, cache)
    assert hits == 0
    again, hits = score_with_cache(tiny_bundle, ids, COMMENTS, cache)
    assert hits == len(COMMENTS)
    pd.testing.assert_frame_equal(again, first)
    edited = list(COMMENTS)
    edited[0] = "配送がとても早かった"  # same id, new text: scored again
    _, hits = score_with_cache(tiny_bundle, ids, edited, cache)
    assert hits == len(COMMENTS) - 1
    other_model = ScoreCache(tmp_path / "cache.sqlite", "another-model 1")
    _, hits = score_with_cache(tiny_bundle, ids, COMMENTS, other_model)
    assert hits == 0


def test_second_nightly_run_reuses_the_cache_and_writes_the_same_outputs(tmp_path, tiny_model_dir, caplog):
    import logging

    from cxtext.config import load_config
    from cxtext.run import CACHE_NAME, run_nightly

    from .conftest import FIXED_NOW, FIXTURES

    cfg = load_config(FIXTURES / "survey_small.toml")
    export = FIXTURES / "survey_small_sjis.csv"
    with caplog.at_level(logging.INFO, logger="cxtext"):
        first = run_nightly([export], tmp_path, cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
        before = (tmp_path / "comments.csv").read_bytes()
        # Recompute (as --force): an identical re-run would otherwise keep the outputs whole.
        recompute = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, reuse_outputs=False))
        run_nightly([export], tmp_path, recompute, model_dir=tiny_model_dir, now=FIXED_NOW)
    assert (tmp_path / CACHE_NAME).is_file()
    # Every comment read is scored, including the one a later duplicate row replaces.
    assert f"scored {first.rows_with_comment + 1} comments with" in caplog.text
    assert "scored 0 comments with" in caplog.text and f"{first.rows_with_comment + 1} reused from the cache" in caplog.text
    assert (tmp_path / "comments.csv").read_bytes() == before
