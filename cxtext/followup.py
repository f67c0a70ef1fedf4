"""Who to call back, and which comments to quote.

followup.csv — every detractor with a comment, most actionable first: comments that name
at least one theme negatively (something the company can fix) before the rest, then the
lowest score, then the most negatively-mentioned themes, then the most confident negative
sentiment, then the newest.

verbatims.csv — for each top driver overall, up to three detractor comments that show it
best: the theme is mentioned negatively, the model is confident (p_<theme>), the comment is
quotable (10–200 characters, preferring ≤ 120), and each differs from those already chosen
(character 3-gram Jaccard similarity < 0.5). Personal data is masked here whatever
[run] mask_personal_data says: quotes are meant to be copied into slides and mails.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .normalize import normalize_comment
from .privacy import mask_personal_data
from .schema import DETRACTOR
from .taxonomy import Taxonomy

FOLLOWUP_BASE = ["response_id", "responded_at", "nps_score", "sentiment", "sentiment_confidence", "themes",
                 "theme_sentiments", "negative_themes"]
VERBATIM_COLUMNS = ["rank", "theme", "theme_name", "response_id", "nps_score", "probability", "comment"]
PER_THEME, TOP_DRIVERS = 3, 5
MIN_CHARS, MAX_CHARS, SHORT_ENOUGH = 10, 200, 120
SIMILAR = 0.5


def negative_themes(theme_sentiments: str) -> list[str]:
    return [p.split(":")[0] for p in (theme_sentiments or "").split(";") if p.endswith(":negative")]


# The follow-up order, most actionable first; one definition for the in-memory sort below and
# the on-disk one of the streaming run (spool.py).
FOLLOWUP_ORDER = [("_actionable", False), ("nps_score", True), ("_n_negative", False), ("_neg_conf", False),
                  ("responded_at", False), ("response_id", True)]


def followup_keys(comments: pd.DataFrame) -> pd.DataFrame:
    """The columns followup.csv sorts by, and its negative_themes column, for any rows."""
    negative = comments["theme_sentiments"].fillna("").map(lambda v: ";".join(negative_themes(v)))
    n_negative = negative.map(lambda v: len([t for t in v.split(";") if t])).astype(int)
    confidence = pd.to_numeric(comments["sentiment_confidence"], errors="coerce").fillna(0.0)
    return pd.DataFrame({"negative_themes": negative, "_actionable": (n_negative > 0).astype(int),
                         "_n_negative": n_negative,
                         "_neg_conf": confidence.where(comments["sentiment"] == "negative", 0.0)},
                        index=comments.index)


def is_followup(comments: pd.DataFrame) -> pd.Series:
    """Detractors who wrote something."""
    return (comments["nps_category"] == DETRACTOR) & (comments["comment"].fillna("").str.strip() != "")


def followup_table(comments: pd.DataFrame, segments: Sequence[str]) -> pd.DataFrame:
    columns = FOLLOWUP_BASE + list(segments) + ["comment"]
    if not len(comments):
        return pd.DataFrame(columns=columns)
    det = comments[is_followup(comments)]
    det = pd.concat([det, followup_keys(det)], axis=1).assign(nps_score=lambda f: f["nps_score"].astype(int))
    det = det.sort_values([k for k, _ in FOLLOWUP_ORDER], ascending=[a for _, a in FOLLOWUP_ORDER], kind="stable")
    return det[columns].reset_index(drop=True)


def _trigrams(text: str) -> set[str]:
    norm = normalize_comment(text)
    return {norm[i : i + 3] for i in range(max(len(norm) - 2, 1))}


def _top_drivers(drivers: pd.DataFrame) -> pd.DataFrame:
    if not len(drivers):
        return drivers
    top = drivers[(drivers["scope"] == "overall") & (drivers["mention"] == "negative") & drivers["rank"].notna()]
    return top.sort_values("rank").head(TOP_DRIVERS)


def verbatim_themes(drivers: pd.DataFrame) -> list[str]:
    """The themes verbatims.csv quotes: the top negative drivers overall."""
    return list(_top_drivers(drivers)["theme"]) if len(drivers) else []


def verbatims_table(comments: pd.DataFrame, drivers: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    if not len(comments) or not len(drivers):
        return pd.DataFrame(columns=VERBATIM_COLUMNS)
    top = _top_drivers(drivers)
    det = comments[comments["nps_category"] == DETRACTOR].copy()
    # Quotes travel (slides, e-mails): mask them even when [run] mask_personal_data is off.
    det["comment"] = det["comment"].fillna("").map(mask_personal_data)
    text = det["comment"]
    length = text.str.len()
    rows = []
    for driver in top.itertuples():
        theme = driver.theme
        candidates = det[det["theme_sentiments"].fillna("").map(lambda v, t=theme: t in negative_themes(v))
                         & (length >= MIN_CHARS) & (length <= MAX_CHARS)].copy()
        if not len(candidates):
            continue
        candidates["sort_long"] = candidates["comment"].str.len() > SHORT_ENOUGH
        candidates["sort_p"] = candidates[f"p_{theme}"].astype(float)
        candidates = candidates.sort_values(["sort_long", "sort_p", "response_id"], ascending=[True, False, True], kind="stable")
        chosen: list[set[str]] = []
        for row in candidates.itertuples():
            grams = _trigrams(row.comment)
            if any(len(grams & g) / len(grams | g) >= SIMILAR for g in chosen):
                continue
            chosen.append(grams)
            rows.append({"rank": int(driver.rank), "theme": theme, "theme_name": taxonomy.name(theme),
                         "response_id": row.response_id, "nps_score": row.nps_score,
                         "probability": round(float(row.sort_p), 4), "comment": row.comment})
            if len(chosen) == PER_THEME:
                break
    return pd.DataFrame(rows, columns=VERBATIM_COLUMNS)
