"""The Dask engine writes the same outputs as the local engine (distributed.LocalCluster)."""

import dataclasses

import pytest

from cxtext.config import load_config
from cxtext.run import run_nightly

from .conftest import FIXED_NOW, FIXTURES

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_dask_engine_matches_local_engine(tmp_path, tiny_model_dir):
    cfg = load_config(FIXTURES / "survey_small.toml")
    export = FIXTURES / "survey_small_sjis.csv"
    local_cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, engine="local", jobs=1, cache=False))
    run_nightly([export], tmp_path / "local", local_cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask_cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, engine="dask", scheduler=cluster.scheduler_address,
                                                                    cache=False))
        run_nightly([export], tmp_path / "dask", dask_cfg, model_dir=tiny_model_dir, now=FIXED_NOW)
    for name in ("comments.csv", "nps.csv", "drivers.csv", "rejects.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_unknown_engine_is_a_config_error(tmp_path, tiny_model_dir):
    from cxtext.errors import ConfigError

    cfg = load_config(FIXTURES / "survey_small.toml")
    bad = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, engine="spark"))
    with pytest.raises(ConfigError, match="engine"):
        run_nightly([FIXTURES / "survey_small_sjis.csv"], tmp_path, bad, model_dir=tiny_model_dir, now=FIXED_NOW)
