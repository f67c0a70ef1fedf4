import datetime as dt

import pandas as pd
import pytest

from cxtext.config import InputConfig
from cxtext.validation import parse_datetime, parse_score, split_valid

DATE_CASES = [
    ("2026/10/03 14:22", dt.datetime(2026, 10, 3, 14, 22)),
    ("2026/10/3 9:05", dt.datetime(2026, 10, 3, 9, 5)),
    ("2026-10-03", dt.datetime(2026, 10, 3)),
    ("2026-10-03T14:22:05", dt.datetime(2026, 10, 3, 14, 22, 5)),
    ("2026-10-03T05:22:00Z", dt.datetime(2026, 10, 3, 14, 22)),          # UTC → JST wall time
    ("2026-10-03T14:22:00+09:00", dt.datetime(2026, 10, 3, 14, 22)),
    ("2026年10月3日 14時22分", dt.datetime(2026, 10, 3, 14, 22)),
    ("２０２６／１０／０３　１４：２２", dt.datetime(2026, 10, 3, 14, 22)),   # full-width
    ("2026/10/03(土) 14:22:09", dt.datetime(2026, 10, 3, 14, 22, 9)),
    ("2026.10.03", dt.datetime(2026, 10, 3)),
    ("20261003", dt.datetime(2026, 10, 3)),
    ("2026/02/30", None),
    ("昨日", None),
    ("10/03/2026", None),
]


@pytest.mark.parametrize("text,expected", DATE_CASES)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


SCORE_CASES = [("10", (10, None)), ("１０", (10, None)), ("10.0", (10, None)), (" 7 ", (7, None)), ("0", (0, None)),
               ("11", (None, "score_out_of_range")), ("-1", (None, "score_not_integer")), ("-", (None, "missing_score")),
               ("", (None, "missing_score")), ("7.5", (None, "score_not_integer")), ("八", (None, "score_not_integer"))]


@pytest.mark.parametrize("text,expected", SCORE_CASES)
def test_parse_score(text, expected):
    assert parse_score(text) == expected


def frame(rows):
    return pd.DataFrame([{"response_id": r[0], "responded_at": r[1], "nps_score": r[2], "comment": r[3],
                          "source_file": "f.csv", "row_number": i} for i, r in enumerate(rows, start=2)])


NOW = dt.datetime(2026, 10, 10, 12)


def test_every_row_is_valid_or_rejected_with_a_reason():
    rows = [("A1", "2026/10/01", "9", "良い"), ("", "2026/10/01", "9", "id なし"), ("A3", "", "9", ""),
            ("A4", "きのう", "9", ""), ("A5", "2026/10/01", "11", ""), ("A6", "2030/01/01", "3", ""),
            ("A7", "1999/12/31", "3", ""), ("A8", "2026/10/01", "", "")]
    valid, rejects = split_valid(frame(rows), InputConfig(), (), now=NOW)
    assert list(valid["response_id"]) == ["A1"]
    assert [r["reason"] for r in rejects] == ["missing_response_id", "missing_date", "bad_date", "score_out_of_range",
                                              "date_in_future", "date_too_old", "missing_score"]
    assert len(valid) + len(rejects) == len(rows)


def test_duplicate_id_keeps_the_later_row():
    rows = [("A1", "2026/10/01", "3", "最初"), ("A2", "2026/10/01", "9", ""), ("Ａ1", "2026/10/02", "5", "訂正")]
    valid, rejects = split_valid(frame(rows), InputConfig(), (), now=NOW)
    assert list(valid["response_id"]) == ["A2", "A1"]
    assert valid.set_index("response_id").loc["A1", "comment"] == "訂正"
    assert [(r["reason"], r["row_number"]) for r in rejects] == [("duplicate", 2)]
