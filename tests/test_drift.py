"""Drift signals recorded per run against the training reference."""

from cxtext.drift import drift_signals, unseen_rate

from .conftest import FIXTURES


def test_unseen_rate_counts_content_tokens_only():
    # 遅い (negation mark stripped) is the one unseen word of three; the contrast marker is not a word.
    assert abs(unseen_rate([["配送", "が", "遅い+NEG", "<逆接>"]], {"配送", "が"}) - 1 / 3) < 1e-9
    assert unseen_rate([], {"x"}) == 0.0


def test_training_records_a_reference_profile(tiny_bundle):
    reference = tiny_bundle.info["reference"]
    assert 0 <= reference["no_theme_share"] <= 1
    assert set(reference["sentiment_confidence_quantiles"]) == {"0.1", "0.25", "0.5", "0.75", "0.9"}
    assert 0 < reference["unseen_token_rate"] < 1
    assert "配送" in tiny_bundle.info["vocabulary"]


def test_familiar_comments_raise_no_warning_and_new_vocabulary_does(tiny_bundle):
    import pandas as pd

    familiar = list(pd.read_csv(FIXTURES / "labelled_small.csv")["comment"])
    quiet = drift_signals(tiny_bundle, familiar, tiny_bundle.predict(familiar))
    assert quiet["warnings"] == [] and quiet["unseen_token_rate"] < 0.05

    novel = ["量子コンピュータの冷却装置が唸っている", "ペットのトリミング予約、肉球ケアも追加", "盆栽の剪定ばさみ",
             "天体望遠鏡の赤道儀", "ヨガマットの滑り止め"] * 20
    loud = drift_signals(tiny_bundle, novel, tiny_bundle.predict(novel))
    assert loud["unseen_token_rate"] > 0.5
    assert any("never seen in training" in w for w in loud["warnings"])
