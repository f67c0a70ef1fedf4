"""Labelled comments (training and evaluation input), as in shared/spec/data-formats.md."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from .errors import InputError
from .schema import POLARITIES
from .taxonomy import Taxonomy

LABEL_COLUMNS = ("themes", "sentiment", "theme_sentiments")
MAX_PROBLEMS_SHOWN = 20


@dataclass
class LabelledSet:
    frame: pd.DataFrame  # comment_id, comment, themes (list), sentiment, theme_sentiments (dict), nps_score
    has_themes: bool
    has_sentiment: bool
    has_theme_sentiments: bool
    sha256: str
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.frame)


def _split(value: str) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def read_labels(paths: str | Path | Sequence[str | Path], taxonomy: Taxonomy) -> LabelledSet:
    """Read and validate one or more labelled files. Every problem is reported with its file
    and row number (the header is row 1); nothing is dropped silently."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames, problems, digest = [], [], hashlib.sha256()
    flags = {c: True for c in LABEL_COLUMNS}
    known = set(taxonomy.ids)
    for path in map(Path, paths):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"labelled file {path} does not exist") from None
        except OSError as exc:
            raise InputError(f"cannot read labelled file {path}: {exc.strerror}") from None
        digest.update(data)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"labelled file {path} is not UTF-8; save it as UTF-8 CSV") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"labelled file {path} is not a readable CSV: {str(exc).strip()}") from None
        frame.columns = [c.strip().lstrip("\ufeff") for c in frame.columns]
        missing = [c for c in ("comment_id", "comment") if c not in frame.columns]
        if missing:
            raise InputError(f"labelled file {path} has no column(s) {', '.join(missing)} (found: {', '.join(frame.columns)})")
        for col in LABEL_COLUMNS:
            flags[col] = flags[col] and col in frame.columns
        for i, row in enumerate(frame.to_dict("records"), start=2):
            where = f"{path} row {i}"
            if not str(row["comment_id"]).strip():
                problems.append(f"{where}: empty comment_id")
            if not str(row["comment"]).strip():
                problems.append(f"{where}: empty comment")
            themes = _split(row.get("themes", ""))
            for t in themes:
                if t not in known:
                    problems.append(f"{where}: unknown theme id {t!r} (known: {', '.join(taxonomy.ids)})")
            if "sentiment" in frame.columns and row["sentiment"].strip() not in POLARITIES:
                problems.append(f"{where}: sentiment {row['sentiment']!r} is not one of {', '.join(POLARITIES)}")
            if "theme_sentiments" in frame.columns:
                for pair in _split(row["theme_sentiments"]):
                    theme, _, pol = pair.partition(":")
                    if theme.strip() not in known:
                        problems.append(f"{where}: theme_sentiments names unknown theme {theme!r}")
                    elif pol.strip() not in POLARITIES:
                        problems.append(f"{where}: polarity {pol!r} for {theme} is not one of {', '.join(POLARITIES)}")
                    elif "themes" in frame.columns and theme.strip() not in themes:
                        problems.append(f"{where}: theme_sentiments names {theme!r}, which is not in themes")
            score = str(row.get("nps_score", "")).strip()
            if score and not (score.isdigit() and 0 <= int(score) <= 10):
                problems.append(f"{where}: nps_score {score!r} is not an integer from 0 to 10")
        frame["_source"] = f"{path}"
        frames.append(frame)
    combined = pd.concat(frames, ignore_index=True)
    dup = combined["comment_id"].str.strip()
    for cid in sorted(set(dup[dup.duplicated()])):
        if cid:
            problems.append(f"comment_id {cid!r} appears more than once")
    if problems:
        shown = "\n  ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f"\n  … and {len(problems) - MAX_PROBLEMS_SHOWN} more" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise InputError(f"{len(problems)} problem(s) in the labelled data:\n  {shown}{more}")
    out = pd.DataFrame({
        "comment_id": combined["comment_id"].str.strip(),
        "comment": combined["comment"],
        "themes": [_split(v) for v in combined.get("themes", pd.Series([""] * len(combined)))],
        "sentiment": combined["sentiment"].str.strip() if flags["sentiment"] else "",
        "theme_sentiments": [
            {p.partition(":")[0].strip(): p.partition(":")[2].strip() for p in _split(v)}
            for v in combined.get("theme_sentiments", pd.Series([""] * len(combined)))
        ],
        "nps_score": combined.get("nps_score", pd.Series([""] * len(combined))),
    })
    for extra in ("industry",):
        if extra in combined.columns:
            out[extra] = combined[extra]
    return LabelledSet(out, flags["themes"], flags["sentiment"], flags["theme_sentiments"],
                       digest.hexdigest(), tuple(str(p) for p in paths))
