"""Responses collapsed to their distinct combinations of a few columns, with counts.

Every aggregate of the run (NPS, drivers, the history) is a sum over responses, and a
million responses hold only a few thousand distinct (themes, polarities, category, segment)
combinations. Computing on those combinations with weights gives the same numbers in memory
that does not grow with the input: this works on integer codes (a categorical's own codes,
else pandas.factorize), one column at a time, never on per-response strings or on pandas'
general groupby machinery, which holds several int64 arrays per key.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

_MAX_PRODUCT = 1 << 62  # the combined code must fit in an int64


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..k-1 and the k levels; a missing value is a level of its own."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        levels = values.cat.categories
        if (codes < 0).any():
            levels = levels.astype(object).append(pd.Index([np.nan], dtype=object))
            codes = np.where(codes < 0, len(levels) - 1, codes)
        return codes, levels
    codes, levels = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Index(levels)


def collapse(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """(distinct combinations of ``columns`` as a frame, how many rows hold each)."""
    columns = list(columns)
    if not len(frame):
        return pd.DataFrame({c: frame[c].iloc[:0] for c in columns}), np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(frame), dtype=np.int64)
    levels: list[pd.Index] = []
    product = 1
    for col in columns:
        codes, col_levels = _codes(frame[col])
        size = max(len(col_levels), 1)
        product *= size
        if product >= _MAX_PRODUCT:  # far more combinations than any survey has: let pandas count
            counts = frame.groupby(columns, observed=True, dropna=False, sort=True).size()
            return counts.index.to_frame(index=False), counts.to_numpy(dtype=np.int64)
        combined *= size
        combined += codes
        levels.append(col_levels)
    unique, counts = np.unique(combined, return_counts=True)
    positions = np.unravel_index(unique, [max(len(lv), 1) for lv in levels])
    cells = pd.DataFrame({col: lv.take(pos) for col, lv, pos in zip(columns, levels, positions)})
    return cells, counts.astype(np.int64)


def days(values: pd.Series) -> pd.Series:
    """The calendar day of each timestamp, as a categorical: a categorical input is mapped
    through its (few) categories, so a million rows cost their codes, not a new datetime array."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        day_levels = pd.DatetimeIndex(pd.to_datetime(values.cat.categories)).normalize()
        unique_days, position = np.unique(day_levels.to_numpy(), return_inverse=True)
        codes = values.cat.codes.to_numpy()
        new_codes = np.where(codes < 0, -1, position[np.maximum(codes, 0)] if len(position) else -1)
        return pd.Series(pd.Categorical.from_codes(new_codes, categories=pd.DatetimeIndex(unique_days)),
                         index=values.index, name=values.name)
    return pd.to_datetime(values).dt.normalize()
