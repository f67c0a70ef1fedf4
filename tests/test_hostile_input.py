"""Hostile and broken input: every case ends in a clear reject reason or a one-line error,
and no row is ever lost. Run as a script for the robustness summary:

    python -m tests.test_hostile_input
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxtext.config import InputConfig, load_config
from cxtext.errors import CxtextError, InputError
from cxtext.normalize import normalize_comment
from cxtext.readers import read_survey

HEADER = "response_id,responded_at,nps_score,comment\n"
ROW = "A{i},2026-10-0{d},{s},{c}\n"


def rows(n, comment="良い"):
    return "".join(ROW.format(i=i, d=1 + i % 9, s=i % 11, c=comment) for i in range(n))


# name → (file bytes, expectation): "error" = one-line InputError; otherwise the reject
# reasons that must appear (a dict reason → count) and how many rows must be scored.
CASES = {
    "random bytes": (random.Random(0).randbytes(4096), "error"),
    "empty file": (b"", "error"),
    "header only": (HEADER.encode(), {"scored": 0, "rejects": {}}),
    "file cut mid-row": ((HEADER + rows(3) + 'A9,2026-10-01,5,"途中で').encode(), {"scored": 3, "rejects": {"wrong_field_count": 1}}),
    "mixed encodings": (HEADER.encode() + "A1,2026-10-01,5,良い\n".encode("utf-8") + "A2,2026-10-01,5,悪い\n".encode("cp932")
                        + b"A3,2026-10-01,5,\xff\xfe\n", {"scored": 2, "rejects": {"undecodable_bytes": 1}}),
    "NUL and control characters": ((HEADER + "A1,2026-10-01,5,悪\x00い\x07\x1b[31m\nA2,2026-10-01,5,\x0b\x0c\n").encode(), {"scored": 2, "rejects": {}}),
    "1 MB comment": ((HEADER + "A1,2026-10-01,2," + "対応が悪い。" * 58000 + "\n").encode(), {"scored": 1, "rejects": {}}),
    "million-character line": ((HEADER + "A1,2026-10-01,5," + "x" * 1_000_000 + ",extra\n" + rows(2)).encode(), {"scored": 2, "rejects": {"wrong_field_count": 1}}),
    "only emoji or punctuation": ((HEADER + "A1,2026-10-01,0,😡😡😡\nA2,2026-10-01,10,!!!???\nA3,2026-10-01,5,・・・\n").encode(), {"scored": 3, "rejects": {}}),
    "duplicate required header": (b"response_id,responded_at,nps_score,nps_score,comment\nA1,2026-10-01,5,6,x\n", "error"),
    "duplicate other header": (b"response_id,responded_at,nps_score,comment,memo,memo\nA1,2026-10-01,5,x,a,b\n", {"scored": 1, "rejects": {}}),
    "extra and missing columns": ((HEADER + "A1,2026-10-01,5,良い,余分\nA2,2026-10-01\nA3,2026-10-01,7,普通\n").encode(), {"scored": 1, "rejects": {"wrong_field_count": 2}}),
    "missing required column": (b"response_id,comment\nA1,x\n", "error"),
    "BOM in the middle (two exports pasted)": (("\ufeff" + HEADER + rows(2) + "\ufeff" + HEADER + "B1,2026-10-02,9,良い\n").encode(), {"scored": 3, "rejects": {"bad_date": 1}}),
    "odd scores": ((HEADER + "A1,2026-10-01,１０,x\nA2,2026-10-01,10.0,x\nA3,2026-10-01,-,x\nA4,2026-10-01,11,x\nA5,2026-10-01,7.5,x\n").encode(),
                   {"scored": 2, "rejects": {"missing_score": 1, "score_out_of_range": 1, "score_not_integer": 1}}),
    "future and ancient dates": ((HEADER + "A1,2099-01-01,5,x\nA2,1900-01-01,5,x\nA3,2026-10-01,5,x\n").encode(),
                                 {"scored": 1, "rejects": {"date_in_future": 1, "date_too_old": 1}}),
    "Shift_JIS with half-width kana and CRLF": ((HEADER + 'A1,2026/10/01 10:00,３,"ｽﾀｯﾌが最悪\r\n二度と行かない"\r\n').encode("cp932"), {"scored": 1, "rejects": {}}),
}


def run_case(name: str, data: bytes, model_dir: Path) -> dict:
    """Run the whole job on one case; return counts (or the error line)."""
    import datetime as dt

    from cxtext.run import run_nightly

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_bytes(data)
        try:
            summary = run_nightly([path], Path(tmp) / "out", load_config(None), model_dir=model_dir,
                                  now=dt.datetime(2026, 10, 10))
        except CxtextError as exc:
            return {"error": str(exc)}
        info = json.loads((Path(tmp) / "out" / "run.json").read_text(encoding="utf-8"))
        return {"read": summary.rows_read, "scored": summary.rows_scored, "rejected": summary.rows_rejected,
                "reasons": info["reject_reasons"],
                "lost": summary.rows_read - summary.rows_scored - summary.rows_rejected}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name, tiny_model_dir):
    data, expected = CASES[name]
    got = run_case(name, data, tiny_model_dir)
    if expected == "error":
        assert "error" in got and "\n" not in got["error"], got
        return
    assert "error" not in got, got
    assert got["lost"] == 0
    assert got["scored"] == expected["scored"]
    assert got["reasons"] == expected["rejects"]


def test_long_comment_is_flagged_as_truncated(tmp_path, tiny_model_dir):
    import pandas as pd

    from cxtext.run import run_nightly

    path = tmp_path / "x.csv"
    path.write_bytes(CASES["1 MB comment"][0])
    run_nightly([path], tmp_path / "out", load_config(None), model_dir=tiny_model_dir)
    comments = pd.read_csv(tmp_path / "out" / "comments.csv", encoding="utf-8-sig")
    assert bool(comments.loc[0, "comment_truncated"]) and comments.loc[0, "sentiment"] == "negative"


# Property-based: these functions never raise on any input.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text())
def test_normalizer_never_raises(text):
    assert isinstance(normalize_comment(text), str)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_tokenizer_never_raises(text):
    from cxtext.tokens import JapaneseTokenizer

    tokens = _TOKENIZER(normalize_comment(text))
    assert isinstance(tokens, list) and all(isinstance(t, str) and t for t in tokens)
    assert isinstance(JapaneseTokenizer, type)


_TOKENIZER = None


@pytest.fixture(autouse=True, scope="module")
def _shared_tokenizer(tokenizer):
    global _TOKENIZER
    _TOKENIZER = tokenizer


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(lambda t: (HEADER + t).encode("utf-8"))))
def test_reader_never_raises_anything_but_input_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        try:
            survey = read_survey(path, InputConfig())
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        assert survey.rows_read == len(survey.rows) + len(survey.rejects)


def main() -> None:
    """Print the robustness summary (trains the tiny fixture model first)."""
    from cxtext.config import TrainingConfig
    from cxtext.training import train_and_save

    root = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "tiny"
        train_and_save([str(root / "fixtures" / "labelled_small.csv")], str(model),
                       str(root.parent / "data" / "taxonomy.csv"), TrainingConfig(cv_folds=3), name="tiny", version="robustness")
        totals = {"cases": 0, "read": 0, "scored": 0, "rejected": 0, "lost": 0, "errors": 0}
        for name, (data, _) in CASES.items():
            got = run_case(name, data, model)
            totals["cases"] += 1
            if "error" in got:
                totals["errors"] += 1
                print(f"{name:<42} Error: {got['error'][:90]}")
                continue
            for k in ("read", "scored", "rejected", "lost"):
                totals[k] += got[k]
            print(f"{name:<42} read {got['read']:>3}  scored {got['scored']:>3}  rejected {got['rejected']:>3}  lost {got['lost']}  {got['reasons']}")
    print(f"robustness: {totals['cases']} cases tried ({totals['errors']} stopped with a one-line error), "
          f"rows in {totals['read']}, rows scored {totals['scored']}, rows rejected {totals['rejected']}, rows lost {totals['lost']}")


if __name__ == "__main__":
    main()
