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

    # ~55 MB: long comments with a line break, emoji and half-width kana (few, long lines keep
    # tracemalloc's per-allocation cost, and so the test, to a few seconds)
    comment = "店員さんは親切だけど、\r\n" + "配送が遅い。ﾎﾟｲﾝﾄもわかりにくい😡" * 18
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(50_000):
            fh.write(f'A{i},2026/10/01 12:00,７,"{comment}",店舗\r\n')
    size = path.stat().st_size
    assert size > 50e6
    tracemalloc.start()
    rows = 0
    for frame, rejects in iter_survey(path, JP, 1_000):
        rows += len(frame) + len(rejects)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == 50_000
    assert peak < size / 5, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"


# A mixed UTF-8/CP932 export with every kind of trouble: CRLF, a quoted comment spanning lines
# (CRLF and bare LF inside), half-width kana, full-width digits, emoji, a ragged row, a blank
# line, a line with bytes neither encoding knows, a NUL byte and a final row cut inside quotes.
MIXED_MESSY = (
    (HEADER + "A1,2026/10/01,９,ｽﾀｯﾌが親切😊,店舗\r\n" + 'A2,2026/10/01,3,"配送が遅い。\r\n二度と使わない",アプリ\r\n').encode()
    + "A3,2026/10/02,6,ﾎﾟｲﾝﾄが貯まる,店舗\r\n".encode("cp932")
    + ("A4,2026/10/02,5,短い,店舗,余分\r\n" + "\r\n" + 'A5,2026/10/02,7,"引用""符""あり\n改行は LF",Web\r\n').encode()
    + "A6,2026/10/03,0,".encode() + b"\xff\xfe\xfd" + "文字化け,店舗\r\n".encode()
    + ("A7,２０２６/10/03,10,悪くない\x00です,店舗\r\n" + "A8,2026/10/03,8,普通,店舗\r\n" + 'A9,2026/10/04,2,"途中で切れ').encode()
)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 50_000])
def test_chunked_reading_of_a_messy_mixed_export(tmp_path, chunk_rows):
    path = write(tmp_path, MIXED_MESSY)
    stream, parts, rows, rejects = _chunks(path, JP, chunk_rows)
    assert stream.encoding == "mixed(utf-8-sig+cp932)" and stream.segments == ("チャネル",)
    assert all(len(frame) + len(rej) <= chunk_rows for frame, rej in parts)
    assert [(r["response_id"], r["comment"], r["row_number"]) for r in rows] == [
        ("A1", "ｽﾀｯﾌが親切😊", 2), ("A2", "配送が遅い。\r\n二度と使わない", 3), ("A3", "ﾎﾟｲﾝﾄが貯まる", 4),
        ("A5", '引用"符"あり\n改行は LF', 6), ("A7", "悪くないです", 8), ("A8", "普通", 9)]
    assert rows[0]["nps_score"] == "９" and rows[4]["responded_at"] == "２０２６/10/03"
    assert [(r["response_id"], r["row_number"], r["reason"], r["detail"]) for r in rejects] == [
        ("A4", 5, "wrong_field_count", "expected 5 fields, found 6"),
        ("A6", 7, "undecodable_bytes", "bytes that are neither UTF-8 nor CP932 on line(s) 10-10"),
        ("A9", 10, "wrong_field_count", "the file ends inside a quoted field (cut off?)")]
    whole = read_survey(path, JP)
    assert rows == whole.rows.to_dict("records") and rejects == whole.rejects
    assert stream.rows_read == whole.rows_read == 9 and stream.sha256 == whole.sha256


def test_chunks_keep_the_columns_and_types_of_the_whole_file(tmp_path):
    path = write(tmp_path, MIXED_MESSY)
    whole = read_survey(path, JP).rows
    for frame, _ in iter_survey(path, JP, 2):
        assert list(frame.columns) == list(whole.columns)
        assert frame.dtypes.equals(whole.dtypes) or frame.empty
        assert set(frame["source_file"]) <= {str(path)}


def test_a_file_of_nothing_but_bad_rows_is_still_read_in_pieces(tmp_path):
    path = write(tmp_path, HEADER + "".join(f"A{i},2026/10/01,3,列が足りない\r\n" for i in range(10)))
    parts = list(iter_survey(path, JP, 3))
    assert [len(rej) for _, rej in parts] == [3, 3, 3, 1] and all(frame.empty for frame, _ in parts)


def test_a_cp932_export_streams_in_chunks(tmp_path):
    text = HEADER + "".join(f'B{i},2026/11/0{i},{i},"ﾚｼﾞが混んでいた。\r\n店員さんは丁寧（{i}回目）",店舗\r\n' for i in range(1, 8))
    stream, parts, rows, rejects = _chunks(write(tmp_path, text, "cp932"), JP, 3)
    assert stream.encoding == "cp932" and [len(frame) for frame, _ in parts] == [3, 3, 1] and not rejects
    assert rows[6]["comment"] == "ﾚｼﾞが混んでいた。\r\n店員さんは丁寧（7回目）" and rows[6]["row_number"] == 8


def test_a_utf8_bom_export_streams_in_chunks(tmp_path):
    text = HEADER + "".join(f"C{i},2026/12/01,１０,最高です👍,アプリ\r\n" for i in range(5))
    stream, parts, rows, _ = _chunks(write(tmp_path, text, "utf-8-sig"), JP, 2)
    assert stream.encoding == "utf-8-sig" and [len(frame) for frame, _ in parts] == [2, 2, 1]
    assert rows[0]["response_id"] == "C0" and rows[4]["nps_score"] == "１０"  # no BOM left on the first cell


@pytest.mark.parametrize("encoding,config_encoding", [("utf-16", "auto"), ("utf-16-le", "utf-16")])
def test_utf16_is_read_whole_but_still_yields_chunks(tmp_path, encoding, config_encoding):
    text = HEADER + "".join(f'D{i},2026/10/01,8,"良かった😊\r\nまた来ます",店舗\r\n' for i in range(5))
    cfg = InputConfig(columns=JP.columns, segments=JP.segments, encoding=config_encoding)
    stream, parts, rows, rejects = _chunks(write(tmp_path, text, encoding), cfg, 2)
    assert stream.encoding == "utf-16" and len(parts) == 3 and not rejects
    assert [r["comment"] for r in rows] == ["良かった😊\r\nまた来ます"] * 5


def test_a_stray_bom_after_the_last_line_does_not_make_it_look_cut_off(tmp_path):
    # Exports glued together with `cat` can end in a lone BOM; the odd quote in 画面が"見やすい is plain text.
    data = (HEADER + 'A1,2026/10/01,9,画面が"見やすい,店舗\r\n').encode() + "A2,2026/10/01,8,速い,店舗\r\n".encode("cp932")
    survey = read_survey(write(tmp_path, data + b"\xef\xbb\xbf"), JP)
    assert list(survey.rows["response_id"]) == ["A1", "A2"] and survey.rejects == []


def test_relative_paths_are_reported_the_same_everywhere(tmp_path, monkeypatch):
    write(tmp_path, HEADER + "A1,2026/10/01,9,良い,店舗\r\nA2,2026/10/01\r\n")
    monkeypatch.chdir(tmp_path)
    survey = read_survey("./export.csv", JP)
    assert survey.path == "export.csv"
    assert set(survey.rows["source_file"]) == {survey.rejects[0]["source_file"]} == {"export.csv"}


def test_streamed_lines_are_the_lines_of_the_whole_text(tmp_path):
    """csv.reader must see the same lines (so the same record line numbers) as it did reading
    io.StringIO(whole text, newline=""): CRLF, LF, lone CR, CR CR LF, NUL."""
    import io

    from cxtext.readers import _decoded_lines, _scan

    text = HEADER + "A1,x,1,LF\nA2,x,2,二重CR\r\r\nA3,x,3,古いMac\rA4,x,4,N\x00UL\r\n\r\nA5,x,5,末尾CR\r"
    path = write(tmp_path, text)
    assert list(_decoded_lines(path, _scan(path, "auto"))) == list(io.StringIO(text.replace("\x00", ""), newline=""))


@pytest.mark.parametrize("content,message", [
    ("回答ID,回答日時,推奨度,推奨度,推奨度の理由\r\nA1,2026/10/01,1,2,x\r\n".encode(), "appears 2 times"),
    (HEADER.encode() + b"".join(b"A%d,2026/10/01,3,\xff\xfe,x\r\n" % i for i in range(6)), "lines are not valid auto"),
    (b"\x81\xff," + HEADER.encode() + "A1,2026/10/01,3,良い,店舗\r\n".encode() * 5, "header row is not valid"),
    (b"\x00\x00\x00", "has no header row"),
])
def test_more_whole_file_problems_are_raised_on_construction(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        iter_survey(write(tmp_path, content), JP)


def test_a_folder_is_an_error_on_construction(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        iter_survey(tmp_path, JP)


def test_the_summary_is_logged_once_at_the_end(tmp_path, caplog):
    import logging

    path = write(tmp_path, MIXED_MESSY)
    with caplog.at_level(logging.INFO, logger="cxtext.readers"):
        chunks = iter(iter_survey(path, JP, 2))
        next(chunks)
        assert not [r for r in caplog.records if r.getMessage().startswith("read ")]
        list(chunks)
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("read ")] == [
        f"read {path}: 6 rows (mixed(utf-8-sig+cp932)), 3 unparseable"]
