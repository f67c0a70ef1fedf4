"""Canonical names from shared/spec/data-formats.md and run-contract.md, in one place."""

from __future__ import annotations

RESPONSE_ID = "response_id"
RESPONDED_AT = "responded_at"
NPS_SCORE = "nps_score"
COMMENT = "comment"
REQUIRED_COLUMNS = (RESPONSE_ID, RESPONDED_AT, NPS_SCORE)
CANONICAL_COLUMNS = (RESPONSE_ID, RESPONDED_AT, NPS_SCORE, COMMENT)

PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
POLARITIES = ("positive", "neutral", "negative")

# Reject reasons: stable identifiers written to rejects.csv (documented in docs/outputs.md).
REJECT_MISSING_ID = "missing_response_id"
REJECT_MISSING_DATE = "missing_date"
REJECT_BAD_DATE = "bad_date"
REJECT_FUTURE_DATE = "date_in_future"
REJECT_OLD_DATE = "date_too_old"
REJECT_MISSING_SCORE = "missing_score"
REJECT_BAD_SCORE = "score_not_integer"
REJECT_SCORE_RANGE = "score_out_of_range"
REJECT_DUPLICATE = "duplicate"
REJECT_FIELD_COUNT = "wrong_field_count"
REJECT_ENCODING = "undecodable_bytes"

COMMENTS_COLUMNS = [
    "response_id", "responded_at", "nps_score", "nps_category", "comment",
    "sentiment", "themes", "theme_sentiments",
]
NPS_COLUMNS = [
    "scope", "segment", "value", "n", "promoters", "passives", "detractors",
    "nps", "nps_ci_low", "nps_ci_high",
]
DRIVERS_COLUMNS = [
    "scope", "segment", "value", "theme", "theme_name", "responses", "mentions",
    "detractor_mentions", "mention_share", "detractor_share_with", "detractor_share_without",
    "risk_difference", "risk_difference_ci_low", "risk_difference_ci_high",
    "risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high", "test", "p_value", "q_value",
    "nps_impact", "low_support", "rank",
    # Added after the contract columns (issue 4): see docs/outputs.md.
    "mention", "nps_impact_ci_low", "nps_impact_ci_high", "uplift_if_passive",
    "shapley_detractors", "shapley_share", "detractor_share_with_shrunk",
]
REJECTS_COLUMNS = ["source_file", "row_number", "response_id", "reason", "detail", "raw_values"]


def nps_category(score: int) -> str:
    """promoter 9–10, passive 7–8, detractor 0–6."""
    if score >= 9:
        return PROMOTER
    if score >= 7:
        return PASSIVE
    return DETRACTOR
