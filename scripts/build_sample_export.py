"""Build the bundled sample export from helper-written comments (run once; kept as a record).

    python scripts/build_sample_export.py SOURCE.csv

SOURCE.csv (UTF-8: nps_score,channel,category,region,comment; not kept, the export holds every
comment) held 900 comments written
for a fictional home-goods retailer. This script gives them ids and answer times over six
weeks, adds responses without a comment, plants a known set of defective rows, and writes
data/samples/survey_sample.csv as a Shift_JIS (CP932) export with CRLF line ends and
Japanese headers, plus data/samples/survey_sample_defects.csv listing every planted defect
(row number as in a spreadsheet, header = row 1) with the reject reason cxtext must give.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["回答ID", "回答日時", "推奨度", "推奨度の理由", "チャネル", "商品カテゴリ", "地域"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def main(source: str) -> None:
    rng = random.Random(20261122)
    with open(source, encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    start = dt.datetime(2026, 9, 28)
    rows = []
    for r in written:
        rows.append([r["nps_score"], r["comment"], r["channel"], r["category"], r["region"]])
    for _ in range(110):  # responses that skipped the free-text question
        score = rng.choice([10, 10, 9, 9, 8, 8, 7, 7, 6, 5, 3, 0])
        rows.append([str(score), "", rng.choice(["店舗", "オンラインストア", "アプリ", "コールセンター"]),
                     rng.choice(["家電", "家具", "日用品", "食品"]),
                     rng.choice(["北海道・東北", "関東", "中部", "近畿", "中国・四国", "九州"])])
    rng.shuffle(rows)
    times = sorted(start + dt.timedelta(seconds=rng.randrange(42 * 86400)) for _ in rows)
    records = []
    for i, (row, when) in enumerate(zip(rows, times), start=1):
        score, comment, channel, category, region = row
        if rng.random() < 0.03:
            score = score.translate(FULLWIDTH)  # some tools write full-width digits
        stamp = when.strftime("%Y/%m/%d %H:%M")
        if rng.random() < 0.04:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S+09:00")
        records.append([f"KM{260000 + i:06d}", stamp, score, comment, channel, category, region])

    defects = []  # (index in records after insertion, response_id, reason)

    def plant(position: int, record: list[str], reason: str) -> None:
        records.insert(position, record)
        defects.append((record, reason))

    base = records[100]
    plant(150, ["", base[1], "3", "IDが空の行", base[4], base[5], base[6]], "missing_response_id")
    plant(420, ["", records[420][1], "8", "", "店舗", "食品", "関東"], "missing_response_id")
    plant(233, ["KM299001", "2026/13/01 10:00", "7", "日付が壊れている", "アプリ", "家電", "中部"], "bad_date")
    plant(610, ["KM299002", "不明", "9", "", "店舗", "家具", "近畿"], "bad_date")
    plant(305, ["KM299003", records[305][1], "11", "満点以上です", "店舗", "食品", "九州"], "score_out_of_range")
    plant(512, ["KM299004", records[512][1], "Ａ", "", "オンラインストア", "日用品", "関東"], "score_not_integer")
    plant(777, ["KM299005", records[777][1], "", "点数を付け忘れました", "コールセンター", "家電", "関東"], "missing_score")
    plant(890, ["KM299006", "2099/01/15 09:00", "5", "入力ミスで未来の日付", "店舗", "日用品", "中部"], "date_in_future")
    # Corrections: the survey tool exported a response twice; the later row must win.
    for idx in (40, 333, 700):
        original = list(records[idx])
        first = list(original)
        first[2] = "5" if original[2] != "5" else "6"
        plant(idx, first, "duplicate")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(records)
    text = buf.getvalue() + "KM299007,2026/11/08 23:10,8\r\n"  # a row cut short by the exporting tool
    out = ROOT / "data" / "samples" / "survey_sample.csv"
    out.write_bytes(text.encode("cp932"))

    positions = {id(r): k for k, r in enumerate(records)}
    listed = [(positions[id(r)] + 2, r[0], reason) for r, reason in defects]
    listed.append((len(records) + 2, "KM299007", "wrong_field_count"))
    with (ROOT / "data" / "samples" / "survey_sample_defects.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row_number", "response_id", "reason"])
        w.writerows(sorted(listed))
    print(f"{len(records) + 1} rows written to {out}; {len(listed)} planted defects")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "data" / "samples" / "sample_comments_source.csv"))
