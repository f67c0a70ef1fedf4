"""Training, persistence and the shape of predictions, on the tiny fixture model."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from cxtext.artifacts import MODEL_FILE, load_bundle
from cxtext.errors import InputError, ModelError
from cxtext.evaluation import evaluate

TEXTS = ["店員さんがとても親切でした", "配送が遅い", "", "二度と使わない😡", "値段は高いけど味は最高"]


def test_predict_shape_and_columns(tiny_bundle):
    pred = tiny_bundle.predict(TEXTS)
    assert len(pred) == len(TEXTS)
    assert list(pred.columns[:4]) == ["sentiment", "sentiment_confidence", "themes", "theme_sentiments"]
    assert [c for c in pred.columns if c.startswith("p_")] == [f"p_{t}" for t in tiny_bundle.theme_ids]
    assert pred.loc[2, "themes"] == "" and pred.loc[2, "sentiment"] == ""  # nothing to score
    for themes, pairs in zip(pred["themes"], pred["theme_sentiments"]):
        assert [p.split(":")[0] for p in pairs.split(";") if p] == [t for t in themes.split(";") if t]


def test_pickle_round_trip_gives_identical_predictions(tiny_bundle):
    copy = pickle.loads(pickle.dumps(tiny_bundle))
    pd.testing.assert_frame_equal(copy.predict(TEXTS), tiny_bundle.predict(TEXTS))


def test_clone_of_a_pipeline_refits_to_the_same_model(tiny_bundle, small_labels):
    from sklearn.base import clone

    docs = tiny_bundle.analyze(list(small_labels.frame["comment"]))
    y = np.asarray(small_labels.frame["sentiment"])
    refit = clone(tiny_bundle.sentiment_model).fit(docs, y)
    assert (refit.predict(docs) == tiny_bundle.sentiment_model.predict(docs)).all()


def test_training_fits_what_it_learned(tiny_bundle, small_labels):
    result = evaluate(tiny_bundle, small_labels)
    assert result["n"] == len(small_labels) and result["model"] == "tiny test"
    assert result["themes"]["micro_f1"] > 0.9 and result["sentiment"]["macro_f1"] > 0.9


def test_card_records_versions_checksum_and_metrics(tiny_model_dir):
    card = json.loads((tiny_model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["versions"]["unidic-lite"] == "1.0.8" and card["versions"]["scikit-learn"]
    assert len(card["files"][MODEL_FILE]) == 64
    assert card["training_data"]["n"] == 71
    cv = card["training"]["cv"]
    assert set(cv) == {"themes", "sentiment", "theme_f1_95ci", "calibration", "sentiment_confusion"}
    for theme, (low, high) in cv["theme_f1_95ci"].items():
        assert low <= cv["themes"]["per_theme"][theme]["f1"] <= high or low == high, theme
    assert 0 <= cv["calibration"]["ece"] <= 1
    assert sum(sum(row.values()) for row in cv["sentiment_confusion"].values()) == card["training"]["n"]
    assert (tiny_model_dir / "CARD.md").read_text(encoding="utf-8").startswith("# Model card: tiny test")


def test_altered_model_file_is_refused(tiny_model_dir, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny_model_dir, bad)
    data = (bad / MODEL_FILE).read_bytes()
    (bad / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="does not match the checksum"):
        load_bundle(bad)


def test_model_from_other_library_versions_is_refused(tiny_model_dir, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    card = json.loads((other / "card.json").read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "0.24.2"
    (other / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="trained with scikit-learn 0.24.2"):
        load_bundle(other)


def test_missing_model_folder_is_explained(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_bundle(tmp_path / "none")


def test_too_few_labels_to_train(tmp_path, taxonomy):
    from cxtext.config import TrainingConfig
    from cxtext.labels import read_labels
    from cxtext.training import train

    path = tmp_path / "l.csv"
    path.write_text("comment_id,comment,sentiment\nc1,良い,positive\nc2,悪い,negative\n", encoding="utf-8")
    with pytest.raises(InputError, match="at least 20"):
        train(read_labels(path, taxonomy), taxonomy, TrainingConfig())


def test_calibration_and_intervals_against_hand_computed_cases():
    import numpy as np

    from cxtext.evaluation import calibration, confusion, f1_intervals

    y = np.array([[1], [0], [1], [0]])
    # Probabilities 0.75 for the two mentioned comments and 0.25 for the others: each bin's
    # mean probability is 0.25 away from its observed rate (1.0 and 0.0), so ECE = 0.25.
    cal = calibration(y, np.array([[0.75], [0.25], [0.75], [0.25]]), ["price"])
    assert cal["per_theme"]["price"]["ece"] == 0.25 and cal["brier"] == 0.0625
    perfect = f1_intervals(y, y.copy(), ["price"])
    assert perfect["price"] == [1.0, 1.0]
    assert confusion(["positive", "negative"], ["positive", "neutral"])["negative"] == {"positive": 0, "neutral": 1, "negative": 0}


def test_threshold_beta_above_one_trades_precision_for_recall():
    from cxtext.training import choose_thresholds

    # 4 mentions, two of them scored low (an unfamiliar wording) among five near-miss non-mentions.
    y = np.array([[1], [1], [1], [1], [0], [0], [0], [0], [0], [0]])
    p = np.array([[0.9], [0.8], [0.3], [0.3], [0.35], [0.34], [0.33], [0.32], [0.31], [0.1]])
    f1_cut = choose_thresholds(y, p)[0]  # 2 sure hits: F1 0.67 beats 4 hits + 5 false alarms (0.62)
    recall_cut = choose_thresholds(y, p, beta=2.0)[0]  # F2 0.80 for taking them all vs 0.56
    assert f1_cut > 0.35
    assert recall_cut <= 0.3
