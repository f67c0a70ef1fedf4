import pytest

from cxtext.config import InputConfig
from cxtext.errors import InputError
from cxtext.readers import expand_inputs, read_survey

JP = InputConfig(columns={"response_id": "回答ID", "responded_at": "回答日時", "nps_score": "推奨度",
                          "comment": "推奨度の理由"}, segments=("チャネル",))
HEADER = "回答ID,回答日時,推奨度,推奨度の理由,チャネル\r\n"


def write(tmp_path, text, encoding="utf-8", name="export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings_are_detected(tmp_path, encoding):
    path = write(tmp_path, HEADER + "A1,2026/10/01,９,ｽﾀｯﾌが親切,店舗\r\n", encoding)
    survey = read_survey(path, JP)
    assert survey.encoding == encoding
    row = survey.rows.iloc[0]
    assert (row["response_id"], row["nps_score"], row["comment"], row["チャネル"]) == ("A1", "９", "ｽﾀｯﾌが親切", "店舗")


def test_multiline_quoted_comment_and_crlf(tmp_path):
    path = write(tmp_path, HEADER + 'A1,2026/10/01,3,"配送が遅い。\r\n梱包も雑",Web\r\nA2,2026/10/02,9,良い,店舗\r\n', "cp932")
    survey = read_survey(path, JP)
    assert list(survey.rows["comment"]) == ["配送が遅い。\r\n梱包も雑", "良い"]
    assert list(survey.rows["row_number"]) == [2, 3]


def test_canonical_headers_work_without_mapping(tmp_path):
    path = write(tmp_path, "response_id,responded_at,nps_score,comment\nA1,2026-10-01,10,最高\n")
    assert read_survey(path, InputConfig()).rows.iloc[0]["comment"] == "最高"


def test_missing_comment_column_is_allowed(tmp_path):
    path = write(tmp_path, "response_id,responded_at,nps_score\nA1,2026-10-01,10\n")
    assert read_survey(path, InputConfig()).rows.iloc[0]["comment"] == ""


def test_missing_required_column_names_it_and_the_fix(tmp_path):
    path = write(tmp_path, "回答ID,回答日時,推奨度の理由\nA1,2026/10/01,良い\n")
    with pytest.raises(InputError, match=r"required column '推奨度' \(nps_score\) not found; fix \[input.columns\] nps_score"):
        read_survey(path, JP)


def test_duplicate_header_is_an_error(tmp_path):
    path = write(tmp_path, "回答ID,回答日時,推奨度,推奨度,推奨度の理由\nA1,2026/10/01,1,2,x\n")
    with pytest.raises(InputError, match="appears 2 times"):
        read_survey(path, JP)


@pytest.mark.parametrize("content,message", [(b"", "is empty"), (b"  \r\n", "is empty")])
def test_empty_file_is_an_error(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        read_survey(write(tmp_path, content), JP)


def test_header_only_file_has_no_rows(tmp_path):
    survey = read_survey(write(tmp_path, HEADER), JP)
    assert survey.rows_read == 0


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_survey(tmp_path / "nope.csv", JP)


def test_ragged_rows_are_rejected_with_their_values(tmp_path):
    path = write(tmp_path, HEADER + "A1,2026/10/01,3\r\nA2,2026/10/01,3,x,店舗,extra\r\nA3,2026/10/01,5,ok,店舗\r\n")
    survey = read_survey(path, JP)
    assert [r["reason"] for r in survey.rejects] == ["wrong_field_count", "wrong_field_count"]
    assert survey.rejects[0]["raw_values"] == ["A1", "2026/10/01", "3"]
    assert survey.rows_read == 3 and list(survey.rows["response_id"]) == ["A3"]


def test_mixed_encodings_reject_only_the_bad_lines(tmp_path):
    data = (HEADER + "A1,2026/10/01,3,良い,店舗\r\n").encode("utf-8") + "A2,2026/10/01,3,悪い,店舗\r\n".encode("cp932") \
        + b"A3,2026/10/01,3,\xff\xfe\xfa,x\r\n" + "A4,2026/10/01,3,普通,店舗\r\n".encode("utf-8")
    survey = read_survey(write(tmp_path, data), JP)
    assert list(survey.rows["comment"]) == ["良い", "悪い", "普通"]
    assert [(r["response_id"], r["reason"]) for r in survey.rejects] == [("A3", "undecodable_bytes")]


def test_nul_bytes_are_dropped(tmp_path):
    survey = read_survey(write(tmp_path, HEADER + "A1,2026/10/01,3,悪\x00い,店舗\r\n"), JP)
    assert survey.rows.iloc[0]["comment"] == "悪い"


def test_file_cut_inside_a_quoted_comment_rejects_the_last_row(tmp_path):
    survey = read_survey(write(tmp_path, HEADER + 'A1,2026/10/01,3,ok,店舗\r\nA2,2026/10/01,3,"途中で切れ'), JP)
    assert list(survey.rows["response_id"]) == ["A1"]
    assert survey.rejects[0]["response_id"] == "A2" and "cut off" in survey.rejects[0]["detail"]


def test_expand_inputs_accepts_folders_and_globs(tmp_path):
    a = write(tmp_path, HEADER, name="a.csv")
    b = write(tmp_path, HEADER, name="b.csv")
    assert expand_inputs([str(tmp_path)]) == [a, b]
    assert expand_inputs([str(tmp_path / "*.csv"), str(a)]) == [a, b]
    with pytest.raises(InputError, match="matches no files"):
        expand_inputs([str(tmp_path / "*.tsv")])


# --- streaming: chunks change memory, never what is read -----------------------------------

from cxtext.readers import iter_survey  # noqa: E402

MESSY = (HEADER
         + "A1,2026/10/01,９,ｽﾀｯﾌが親切😊,店舗\r\n"
         + 'A2,2026/10/01,3,"配送が遅い。\r\n二度と使わない",アプリ\r\n'
         + "A3,2026/10/02,5,短い,店舗,余分\r\n"
         + "\r\n"
         + 'A4,2026/10/02,7,"引用""符""あり",店舗\r\n'
         + "A5,２０２６/10/03,10,悪くない,店舗\r\n"
         + "A6,2026/10/03,0,ダメ,店舗\r\n"
         + 'A7,2026/10/04,2,"途中で切れ')


def _chunks(path, cfg, chunk_rows):
    stream = iter_survey(path, cfg, chunk_rows)
    parts = list(stream)
    rows = [r for frame, _ in parts for r in frame.to_dict("records")]
    rejects = [r for _, rej in parts for r in rej]
    return stream, parts, rows, rejects


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_small_chunks_read_the_same_rows_and_rejects(tmp_path, encoding):
    text = MESSY.replace("😊", "") if encoding == "cp932" else MESSY
    path = write(tmp_path, text, encoding)
    whole = read_survey(path, JP)
    stream, parts, rows, rejects = _chunks(path, JP, 2)
    assert len(parts) >= 3 and all(len(frame) <= 2 for frame, _ in parts)
    assert rows == whole.rows.to_dict("records") and rejects == whole.rejects
    assert stream.rows_read == whole.rows_read == 7 and stream.sha256 == whole.sha256
    assert stream.encoding == whole.encoding == encoding
    assert [r["reason"] for r in rejects] == ["wrong_field_count", "wrong_field_count"]  # A3, cut-off A7
    assert rows[1]["comment"] == "配送が遅い。\r\n二度と使わない"


def test_a_bad_encoding_line_in_a_later_chunk_is_rejected_there(tmp_path):
    data = HEADER.encode() + b"".join(f"A{i},2026/10/01,5,普通です,店舗\r\n".encode() for i in range(6))
    data += "A9,2026/10/01,5,".encode() + b"\xff\xfe\xfd" + "文字化け,店舗\r\n".encode()
    path = write(tmp_path, data)
    stream, parts, rows, rejects = _chunks(path, JP, 4)
    assert len(rows) == 6 and [r["response_id"] for r in rejects] == ["A9"]
    assert rejects[0]["reason"] == "undecodable_bytes" and parts[-1][1] == rejects


def test_whole_file_problems_stop_before_any_row_is_read(tmp_path):
    with pytest.raises(InputError, match="推奨度"):
        iter_survey(write(tmp_path, "回答ID,回答日時,推奨度の理由\r\nA1,2026/10/01,良い\r\n"), JP)
    with pytest.raises(InputError, match="empty"):
        iter_survey(write(tmp_path, "", name="empty.csv"), JP)
    with pytest.raises(InputError, match="does not exist"):
        iter_survey(tmp_path / "missing.csv", JP)


@pytest.mark.slow
def test_streaming_memory_stays_far_below_the_file_size(tmp_path):
    import tracemalloc

    line = "A{},2026/10/01 12:00,７,店員さんは親切だけど、配送が遅い。ﾎﾟｲﾝﾄもわかりにくい😡,店舗\r\n"
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(200_000):
            fh.write(line.format(i))
    size = path.stat().st_size
    tracemalloc.start()
    rows = 0
    for frame, rejects in iter_survey(path, JP, 2_000):
        rows += len(frame) + len(rejects)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == 200_000
    assert peak < size / 5, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"
