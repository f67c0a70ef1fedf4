import pytest

from cxtext.normalize import clean_comment, normalize_comment

NORMALIZE_CASES = [
    ("ｽﾀｯﾌの対応が神", "スタッフの対応が神"),                 # half-width kana
    ("１０分待った", "10分待った"),                           # full-width digits
    ("すごーーーーい！！！！！", "すごーい!!!"),               # long marks and repeats
    ("配送が遅い\r\nでも店員さんは親切", "配送が遅い。でも店員さんは親切"),  # line break = sentence end
    ("高い！\n二度と使わない", "高い!二度と使わない"),          # no doubled sentence end
    ("Ｗｉ－Ｆｉ が　遅い", "wi-fiが遅い"),                   # width, spaces, lower case
    ("草wwwwww", "草www"),
    ("😡😡😡😡😡", "😡😡😡"),                                  # emoji kept, repeats shortened
    ("\x00\x07悪くない\u200b", "悪くない"),                     # control and zero-width characters
    ("", ""),
    ("   \n  ", ""),
]


@pytest.mark.parametrize("raw,expected", NORMALIZE_CASES)
def test_normalize_comment(raw, expected):
    assert normalize_comment(raw) == expected


def test_clean_comment_keeps_line_breaks_for_people():
    assert clean_comment(" 配送が遅い\r\n梱包も雑\x00 ") == "配送が遅い\n梱包も雑"


def test_long_comment_is_normalized_without_error():
    text = "対応が悪い。" * 20000
    assert normalize_comment(text).startswith("対応が悪い。対応が悪い。")
