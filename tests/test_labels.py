import pytest

from cxtext.errors import InputError
from cxtext.labels import read_labels

HEADER = "comment_id,comment,themes,sentiment,theme_sentiments,nps_score\n"


def test_reads_lists_and_pairs(tmp_path, taxonomy):
    path = tmp_path / "l.csv"
    path.write_text(HEADER + 'c1,"店員さんは親切だけど、配送が遅い",staff;delivery,negative,staff:positive;delivery:negative,6\n', encoding="utf-8")
    labels = read_labels(path, taxonomy)
    row = labels.frame.iloc[0]
    assert row["themes"] == ["staff", "delivery"]
    assert row["theme_sentiments"] == {"staff": "positive", "delivery": "negative"}
    assert labels.has_themes and labels.has_sentiment and labels.has_theme_sentiments


def test_problems_are_reported_with_row_numbers(tmp_path, taxonomy):
    path = tmp_path / "l.csv"
    path.write_text(HEADER + "c1,高い,prices,negative,,3\nc2,,price,bad,price:awful,12\nc1,安い,price,positive,staff:positive,9\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_labels(path, taxonomy)
    msg = str(info.value)
    for expected in ["row 2: unknown theme id 'prices'", "row 3: empty comment", "row 3: sentiment 'bad'",
                     "row 3: polarity 'awful'", "row 3: nps_score '12'", "row 4: theme_sentiments names 'staff', which is not in themes",
                     "comment_id 'c1' appears more than once"]:
        assert expected in msg


def test_sentiment_only_file(tmp_path, taxonomy):
    path = tmp_path / "s.csv"
    path.write_text("comment_id,comment,sentiment\nc1,最高,positive\n", encoding="utf-8")
    labels = read_labels(path, taxonomy)
    assert labels.has_sentiment and not labels.has_themes and not labels.has_theme_sentiments


def test_missing_text_column_is_an_error(tmp_path, taxonomy):
    path = tmp_path / "x.csv"
    path.write_text("id,text\n1,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no column"):
        read_labels(path, taxonomy)
