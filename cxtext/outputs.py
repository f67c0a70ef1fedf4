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


def write_table(frame: pd.DataFrame, path: Path, columns: Sequence[str], encoding: str = "utf-8-sig") -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:  # a programming error, not a user one: the contract columns must exist
        raise KeyError(f"{path.name}: missing columns {missing}")
    extra = [c for c in frame.columns if c not in columns]
    out = frame[list(columns) + extra].copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralize_cell)
    out.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
