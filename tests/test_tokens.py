"""Tokenizer spec as a table. Assumes unidic-lite 1.0.8 (pinned in pyproject.toml)."""

import copy
import pickle

import pytest
from sklearn.base import clone

from cxtext.normalize import normalize_comment
from cxtext.tokens import CONTRAST, SENTENCE_END, JapaneseTokenizer

TOKEN_CASES = [
    ("悪くはない", ["悪い+NEG", "は"]),
    ("良くなかったです", ["良い+NEG", "た", "です"]),
    ("二度と使わない😡", ["二度と", "使う+NEG", "😡"]),
    ("もう使いません", ["もう", "使う+NEG", "ます"]),
    ("不満はない", ["不満+NEG", "は"]),
    ("問題なかった", ["問題+NEG", "た"]),
    ("待たずに済んだ", ["待つ+NEG", "に", "済む", "た"]),
    ("対応してくれなかった", ["対応+NEG", "為る", "て", "呉れる", "た"]),
    ("店員さんは親切だけど、配送が遅い", ["店員", "さん", "は", "親切", "だ", CONTRAST, "配送", "が", "遅い"]),
    ("でも高い", [CONTRAST, "高い"]),
    ("ただ、値段は高め", [CONTRAST, "値段", "は", "高め"]),
    ("ｽﾀｯﾌの対応が神", ["スタッフ", "の", "対応", "が", "神"]),           # loanword lemma without '-staff'
    ("配送が遅い。梱包も雑", ["配送", "が", "遅い", SENTENCE_END, "梱包", "も", "雑"]),
    ("ないわけではない", ["ない", "訳+NEG", "で", "は"]),
    ("", []),
]


@pytest.mark.parametrize("text,expected", TOKEN_CASES)
def test_tokens(tokenizer, text, expected):
    assert tokenizer(normalize_comment(text)) == expected


def test_returns_plain_strings_in_a_list(tokenizer):
    tokens = tokenizer("配送が遅い")
    assert isinstance(tokens, list) and all(type(t) is str for t in tokens)


def test_unknown_words_fall_back_to_surface(tokenizer):
    assert "www" in tokenizer(normalize_comment("草wwwww"))


def test_tokenizer_survives_pickle_copy_and_clone(tokenizer):
    tokenizer("起動")  # build the tagger first: it must not be pickled
    for other in (pickle.loads(pickle.dumps(tokenizer)), copy.deepcopy(tokenizer)):
        assert "_tagger" not in other.__dict__
        assert other("配送が遅くない") == tokenizer("配送が遅くない")
    assert clone(tokenizer).get_params() == tokenizer.get_params()


def _tokenize_in_worker(tok, text):
    return tok(text)


def test_tokenizer_works_in_process_pool(tokenizer):
    from joblib import Parallel, delayed

    texts = ["二度と使わない", "店員さんは親切だけど、配送が遅い"]
    got = Parallel(n_jobs=2, backend="loky")(delayed(_tokenize_in_worker)(tokenizer, t) for t in texts)
    assert got == [tokenizer(t) for t in texts]


def test_negation_marking_can_be_switched_off():
    assert JapaneseTokenizer(mark_negation=False)("悪くない") == ["悪い", "無い"]


@pytest.mark.parametrize("text", [
    "店員さんは親切だけど、配送が遅い", '"高い",安い,まあ「普通」', "ｱﾌﾟﾘ落ちる😡", "１０点中２点、二度と使わない",
    "1,000円も取られた", "Wi-Fi,ログイン,\"エラー\"",
])
def test_fast_feature_parse_matches_fugashi(text):
    """The tokenizer splits unidic's raw feature string itself; it must read what fugashi reads
    (1,000円: 円's feature holds a quoted field with a comma in it, after the first eight)."""
    from fugashi import Tagger

    from cxtext.tokens import _pos_and_lemma

    for node in Tagger()(text):
        assert _pos_and_lemma(node.feature_raw) == (node.feature.pos1, node.feature.pos2, node.feature.lemma)


def test_fast_feature_parse_handles_a_quoted_comma_in_the_first_fields():
    from cxtext.tokens import _pos_and_lemma

    raw = '補助記号,読点,*,*,*,*,",",",",","'
    assert _pos_and_lemma(raw) == ("補助記号", "読点", ",")
    assert _pos_and_lemma("名詞,固有名詞,*,*,*,*") == ("名詞", "固有名詞", None)
