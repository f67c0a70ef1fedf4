"""The analyst workflow: compare a candidate with the current model, promote only when it is
not worse (keeping the previous model for rollback), and pick the next comments to label."""

import json
import shutil

import pandas as pd
import pytest

from cxtext.artifacts import load_bundle, read_card
from cxtext.cli import main
from cxtext.compare import compare_models, promote, rollback
from cxtext.config import TrainingConfig
from cxtext.errors import ModelError
from cxtext.labels import read_labels

from .conftest import FIXTURES, ROOT

LABELS = FIXTURES / "labelled_small.csv"


@pytest.fixture(scope="module")
def weak_model_dir(tmp_path_factory):
    """A model trained on 24 of the fixture's comments: clearly worse on the full file."""
    from cxtext.training import train_and_save

    folder = tmp_path_factory.mktemp("weak")
    subset = folder / "subset.csv"
    pd.read_csv(LABELS, dtype=str, keep_default_na=False).head(24).to_csv(subset, index=False)
    out = folder / "model"
    train_and_save([str(subset)], str(out), str(ROOT / "data" / "taxonomy.csv"), TrainingConfig(cv_folds=3),
                   name="weak", version="w1")
    return out


def test_comparison_reports_deltas_with_paired_intervals(tiny_model_dir, weak_model_dir):
    result = compare_models(weak_model_dir, tiny_model_dir, LABELS)
    micro = result["metrics"]["theme_micro_f1"]
    assert micro["delta"] == round(micro["candidate"] - micro["current"], 4)
    assert micro["delta_ci_low"] <= micro["delta"] <= micro["delta_ci_high"]
    assert {"theme_macro_f1", "sentiment_macro_f1", "theme_polarity_accuracy", "f1_price"} <= set(result["metrics"])
    assert not result["not_worse"] and "theme_micro_f1" in result["worse_on"]
    same = compare_models(tiny_model_dir, tiny_model_dir, LABELS)
    assert same["not_worse"] and same["metrics"]["theme_micro_f1"]["delta"] == 0


def test_promote_refuses_a_worse_model_and_leaves_the_current_one(tmp_path, tiny_model_dir, weak_model_dir):
    current = tmp_path / "default"
    shutil.copytree(tiny_model_dir, current)
    before = read_card(current)["version"]
    with pytest.raises(ModelError, match="worse .* not promoted"):
        promote(weak_model_dir, current, LABELS)
    assert read_card(current)["version"] == before and not (tmp_path / "default.previous").exists()


def test_forced_promotion_then_rollback(tmp_path, tiny_model_dir, weak_model_dir):
    current = tmp_path / "default"
    shutil.copytree(tiny_model_dir, current)
    result = promote(weak_model_dir, current, LABELS, force=True)
    assert result["forced"] and read_card(current)["version"] == "w1"
    assert read_card(tmp_path / "default.previous")["version"] == "test"
    load_bundle(current)  # the promoted folder still verifies
    back = rollback(current)
    assert back["now"] == "test" and read_card(current)["version"] == "test"


def test_a_tampered_candidate_is_never_promoted(tmp_path, tiny_model_dir):
    candidate = tmp_path / "candidate"
    shutil.copytree(tiny_model_dir, candidate)
    with open(candidate / "model.joblib", "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError, match="checksum"):
        promote(candidate, tmp_path / "default", LABELS, force=True)


def test_cli_promote_refusal_is_one_error_line(tmp_path, tiny_model_dir, weak_model_dir, capsys):
    current = tmp_path / "default"
    shutil.copytree(tiny_model_dir, current)
    with pytest.raises(SystemExit) as exit_info:
        main(["promote", "--candidate", str(weak_model_dir), "--to", str(current), "--labels", str(LABELS)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: candidate weak w1 is worse than tiny test")


def test_suggest_labels_writes_diverse_prefilled_rows_that_train_accepts(tmp_path, tiny_model_dir, taxonomy, capsys):
    out = tmp_path / "to_label.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["suggest-labels", "--input", str(FIXTURES / "survey_small_sjis.csv"), "--config",
              str(FIXTURES / "survey_small.toml"), "--model", str(tiny_model_dir), "--n", "5", "--out", str(out)])
    assert exit_info.value.code == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert 0 < len(table) <= 5 and table["comment_id"].is_unique
    assert list(table.columns[:6]) == ["comment_id", "comment", "themes", "sentiment", "theme_sentiments", "nps_score"]
    assert (table["suggest_reason"] != "").all()
    labels = read_labels(out, taxonomy)  # the analyst can feed it straight back to train
    assert len(labels.frame) == len(table)


def test_suggestions_skip_near_duplicates(tiny_bundle):
    from cxtext.suggest import suggest_labels

    texts = ["配送がとにかく遅い。一週間も待った", "配送がとにかく遅い。一週間も待った！", "店員さんの態度が悪い", "アプリが落ちる"]
    picked = suggest_labels(tiny_bundle, ["a", "b", "c", "d"], texts, n=4)
    assert len(picked) == 3 and not {"a", "b"} <= set(picked["comment_id"])
