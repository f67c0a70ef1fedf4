"""Shared fixtures: one tokenizer per session (MeCab start-up is not free) and one tiny
model trained on tests/fixtures/labelled_small.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxtext.config import TrainingConfig
from cxtext.labels import read_labels
from cxtext.taxonomy import load_taxonomy
from cxtext.tokens import JapaneseTokenizer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXED_NOW = dt.datetime(2026, 10, 10, 12, 0)


@pytest.fixture(scope="session")
def tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer()


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy(ROOT / "data" / "taxonomy.csv")


@pytest.fixture(scope="session")
def small_labels(taxonomy):
    return read_labels(FIXTURES / "labelled_small.csv", taxonomy)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, taxonomy):
    from cxtext.training import train_and_save

    out = tmp_path_factory.mktemp("models") / "tiny"
    train_and_save([str(FIXTURES / "labelled_small.csv")], str(out), str(ROOT / "data" / "taxonomy.csv"),
                   TrainingConfig(cv_folds=3), name="tiny", version="test")
    return out


@pytest.fixture(scope="session")
def tiny_bundle(tiny_model_dir):
    from cxtext.artifacts import load_bundle

    return load_bundle(tiny_model_dir)


@pytest.fixture(autouse=True)
def _restore_cxtext_logger():
    """CLI tests run in-process and configure the ``cxtext`` logger; undo that so later
    tests that read log records through ``caplog`` see them."""
    import logging

    logger = logging.getLogger("cxtext")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
