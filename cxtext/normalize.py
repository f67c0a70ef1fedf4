"""Text normalization for Japanese comments. Pure functions; no tokenizer needed."""

from __future__ import annotations

import re
import unicodedata

import neologdn

# C0/C1 controls and other invisible characters, except tab and line feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u2060\ufeff\ufffe]")
_NEWLINES = re.compile(r"\r\n?|\u0085")
_LINE_BREAKS = re.compile(r"\s*\n+\s*")
_ENDS_SENTENCE = "。．.!！?？…"
# Five or more of the same character (わろたwwwww, ！！！！！) carry no more meaning than three.
_LONG_RUN = re.compile(r"(.)\1{3,}")


def clean_comment(text: str) -> str:
    """What a person reads: line ends unified, control characters and BOMs removed, trimmed."""
    text = _NEWLINES.sub("\n", text)
    return _CONTROL.sub("", text).strip()


def _join_lines(text: str) -> str:
    # A line break ends a sentence in survey answers; make that explicit for the tokenizer.
    parts = [p for p in _LINE_BREAKS.split(text) if p]
    out = []
    for i, part in enumerate(parts):
        out.append(part)
        if i < len(parts) - 1 and part[-1] not in _ENDS_SENTENCE:
            out.append("。")
    return "".join(out)


def normalize_comment(text: str) -> str:
    """Canonical form for the models.

    NFKC (half-width kana → full width, full-width digits and letters → ASCII), neologdn
    (long-vowel marks, tildes, spaces between Japanese words), controls removed, line
    breaks turned into sentence ends, long repeats shortened, ASCII lowercased.
    >>> normalize_comment("ｽﾀｯﾌの対応　すごーーーい！！！！！\\n１０分待った")
    'スタッフの対応すごーい!!!10分待った'
    >>> normalize_comment("配送が遅い\\nでも店員さんは親切")
    '配送が遅い。でも店員さんは親切'
    """
    text = clean_comment(text)
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _join_lines(text)
    text = neologdn.normalize(text)
    text = _LONG_RUN.sub(r"\1\1\1", text)
    return text.lower()
