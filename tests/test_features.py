"""Feature extractors: clause splitting, keyword cues and the polarity lexicon."""

import pickle

import pytest

from cxtext.features import Doc, LexiconPolarity, ThemeCues, polarity_counts, split_clauses
from cxtext.normalize import normalize_comment


def doc(tokenizer, text):
    norm = normalize_comment(text)
    return Doc(norm, tuple(tokenizer(norm)))


@pytest.mark.parametrize("text, expected", [
    ("最高でした😊", (2, 0)),                 # 最高 and the emoji
    ("悪くない", (1, 0)),                     # negated negative word counts as positive
    ("満足できない", (0, 1)),                 # the negated light verb negates 満足
    ("問題ない", (1, 0)),
    ("二度と使わない", (0, 2)),               # 二度と and the negated 使う
    ("最悪", (0, 1)),
    ("店舗に行きました", (0, 0)),
])
def test_polarity_counts_with_negation(tokenizer, text, expected):
    pos, neg = polarity_counts(doc(tokenizer, text).tokens)
    assert (pos > 0, neg > 0) == (expected[0] > 0, expected[1] > 0), (text, pos, neg)


def test_last_clause_after_contrast_carries_its_own_polarity(tokenizer):
    d = doc(tokenizer, "店員さんは親切だけど、配送が遅すぎる")
    assert len(split_clauses(d.tokens)) == 2
    row = LexiconPolarity(weight=1.0).fit([d]).transform([d]).toarray()[0]
    features = dict(zip(LexiconPolarity.FEATURES, row))
    assert features["pos"] > 0 and features["neg"] > 0
    assert features["last_neg"] > 0 and features["last_pos"] == 0


@pytest.mark.parametrize("text, theme", [
    ("ｱﾌﾟﾘにﾛｸﾞｲﾝできない", "digital"),      # half-width kana normalized before matching
    ("値段が高かった", "price"),               # conjugated: matched through the lemma 高い
    ("激安", "price"),
    ("レジ待ちが長い", "wait"),
])
def test_keyword_cues_fire_for_their_theme_only(tokenizer, text, theme):
    cues = (("price", ("高い", "激安", "値段")), ("digital", ("アプリ", "ログイン")), ("wait", ("待ち", "行列")))
    d = doc(tokenizer, text)
    vec = ThemeCues(cues, weight=1.0).fit([d])
    row = vec.transform([d]).toarray()[0]
    fired = {name: value for (name, _), value in zip(cues, row) if value > 0}
    assert list(fired) == [theme]
    assert list(vec.get_feature_names_out()) == ["cue:price", "cue:digital", "cue:wait"]


def test_fitted_extractors_pickle(tokenizer):
    d = doc(tokenizer, "アプリが使いにくい")
    vec = ThemeCues((("digital", ("アプリ",)),)).fit([d])
    clone = pickle.loads(pickle.dumps(vec))
    assert (clone.transform([d]) != vec.transform([d])).nnz == 0
