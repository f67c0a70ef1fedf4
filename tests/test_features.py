"""Feature extractors: clause splitting, keyword cues and the polarity lexicon."""

import io
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


def _docs(tokenizer, texts):
    return [Doc(normalize_comment(t), tuple(tokenizer(normalize_comment(t)))) for t in texts]


MIXED = ["店員さんは親切だけど、配送が遅い", "ｱﾌﾟﾘが重すぎて使えない😡", "料金は安くはない。\nでも満足",
         "二度と使わない！！！", "悪くない", "高い", "ポイントが貯まりやすい", "レジに長蛇の列、３０分待ち"]


def test_mapped_vectorizer_gives_sklearns_matrix(tokenizer):
    from functools import partial

    from sklearn.feature_extraction.text import TfidfVectorizer

    from cxtext.features import MappedTfidfVectorizer, char_ngrams, sentiment_word_features

    train, unseen = _docs(tokenizer, MIXED[:6]), _docs(tokenizer, MIXED[3:] + ["未知語だらけのｺﾒﾝﾄ", ""])
    for analyzer in (sentiment_word_features, partial(char_ngrams, low=2, high=3)):
        ours = MappedTfidfVectorizer(analyzer=analyzer, sublinear_tf=True, lowercase=False).fit(train)
        theirs = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, lowercase=False).fit(train)
        a, b = ours.transform(unseen), theirs.transform(unseen)
        assert a.shape == b.shape and type(a) is type(b)
        assert abs(a - b).max() == 0
        assert a.getnnz(axis=1)[-1] == 0  # an empty comment is an empty row


def test_mapped_vectorizer_pickles_its_vocabulary_packed(tokenizer):
    import joblib

    from cxtext.features import MappedTfidfVectorizer, theme_word_features

    vec = MappedTfidfVectorizer(analyzer=theme_word_features, lowercase=False).fit(_docs(tokenizer, MIXED))
    state = vec.__getstate__()
    assert state["vocabulary_"] is None and isinstance(state["_packed_vocabulary"], str)
    buffer = io.BytesIO()
    joblib.dump(vec, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    assert loaded.vocabulary_ == vec.vocabulary_
    assert abs(loaded.transform(_docs(tokenizer, MIXED)) - vec.transform(_docs(tokenizer, MIXED))).max() == 0


def test_mapped_vectorizer_keeps_a_vocabulary_it_cannot_pack():
    from cxtext.features import MappedTfidfVectorizer

    vec = MappedTfidfVectorizer(analyzer=list).fit(["ab\x00", "b"])  # a term holding the separator
    restored = pickle.loads(pickle.dumps(vec))
    assert restored.vocabulary_ == vec.vocabulary_ and "\x00" in restored.vocabulary_
