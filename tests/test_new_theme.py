"""The new-theme walk-through of docs/new-theme.md: add a theme to a copy of the taxonomy,
label about 30 comments, retrain, and the theme is found in new sentences."""

import pytest

from cxtext.artifacts import load_bundle, read_card
from cxtext.config import TrainingConfig
from cxtext.training import train_and_save

from .conftest import FIXTURES, ROOT

MENTIONS = ["プラスチック容器をやめて紙にしてほしい", "過剰包装をなんとかしてください", "リサイクルに力を入れていて好印象",
            "レジ袋いらないって言ったのに入れられた"]
UNRELATED = ["配送が遅い", "店員さんが親切でした", "アプリが使いにくい", "料金が高い", "特になし"]


@pytest.mark.slow
def test_a_theme_added_with_30_examples_is_learned(tmp_path):
    out = tmp_path / "with-sustainability"
    train_and_save([str(ROOT / "data" / "labelled" / "train.csv"), str(FIXTURES / "new_theme_sustainability.csv")],
                   str(out), str(FIXTURES / "taxonomy_with_sustainability.csv"), TrainingConfig(cv_folds=3),
                   name="eco", version="1")
    bundle = load_bundle(out)
    assert "sustainability" in bundle.theme_ids
    card = read_card(out)
    assert card["training"]["label_counts"]["themes"]["sustainability"] == 30
    found = bundle.predict(MENTIONS + UNRELATED)["themes"].str.split(";").map(lambda t: "sustainability" in t).tolist()
    assert sum(found[: len(MENTIONS)]) >= 3, found
    assert not any(found[len(MENTIONS):]), found
