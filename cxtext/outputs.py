"""Writing output tables: fixed column order, stated encoding, spreadsheet-safe text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """OWASP CSV-injection guard: a text cell that a spreadsheet would run as a formula gets a
    leading apostrophe, which Excel and LibreOffice hide, so a reader sees the same text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class TableWriter:
    """A CSV output written in pieces (the run streams comments.csv chunk by chunk): fixed
    column order, header once, CRLF, formula-looking text neutralized."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str = "utf-8-sig"):
        self.path, self.columns = Path(path), list(columns)
        # errors="replace": with output_encoding = "cp932", an emoji becomes "?" instead of
        # failing the night; UTF-8 encodings never need it.
        self._fh = self.path.open("w", encoding=encoding, errors="replace", newline="")
        self._header = True

    def write(self, frame: pd.DataFrame) -> None:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:  # a programming error, not a user one: the contract columns must exist
            raise KeyError(f"{self.path.name}: missing columns {missing}")
        if self._header:
            self.columns += [c for c in frame.columns if c not in self.columns]
        out = frame[self.columns].copy()
        for col in out.columns:
            if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
                out[col] = out[col].map(neutralize_cell)
        out.to_csv(self._fh, index=False, header=self._header, lineterminator="\r\n")
        self._header = False

    def close(self) -> None:
        if self._header and not self._fh.closed:  # nothing written: still a valid table with its header
            self.write(pd.DataFrame(columns=self.columns))
        self._fh.close()

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_table(frame: pd.DataFrame, path: Path, columns: Sequence[str], encoding: str = "utf-8-sig") -> None:
    with TableWriter(path, columns, encoding) as writer:
        writer.write(frame)


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
