"""Masking personal data in comments before anything is written or logged."""

from __future__ import annotations

import re

# Order matters: card-like numbers before phone numbers, both before postal codes.
# Every pattern starts with a look-behind so that a match can only begin at the start of a
# run of characters; without it a million-character line without "@" costs O(n²).
_PATTERNS = [
    ("[メール]", re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
                          r"|(?<![Ａ-Ｚａ-ｚ０-９._%+\-])[Ａ-Ｚａ-ｚ０-９._%+\-]++＠[Ａ-Ｚａ-ｚ０-９.．\-－]+")),
    ("[カード番号]", re.compile(r"(?<![0-9０-９])(?:[0-9０-９]{4}[\s\-ー－]?){3}[0-9０-９]{1,4}(?![0-9０-９])")),
    ("[電話番号]", re.compile(r"(?<![0-9０-９])(?:\+81[\s\-]?|0|０)[0-9０-９]{1,4}[\-－ー(（)）\s]?[0-9０-９]{1,4}[\-－ー)）\s]?[0-9０-９]{3,4}(?![0-9０-９])")),
    ("[郵便番号]", re.compile(r"(?:〒\s*)?(?<![0-9０-９])[0-9０-９]{3}[\-－ー][0-9０-９]{4}(?![0-9０-９])")),
]
# Every pattern needs an "@" or a run of three digits: most comments have neither and skip
# the four scans (a third of the run's serial time went here).
_CANDIDATE = re.compile(r"[0-9０-９]{3}|[@＠]")


def mask_personal_data(text: str) -> str:
    """Replace emails, card-like numbers, phone numbers and postal codes with placeholders.

    >>> mask_personal_data("連絡は taro@example.jp か 090-1234-5678 へ。〒150-0001")
    '連絡は [メール] か [電話番号] へ。[郵便番号]'
    """
    if not text or not _CANDIDATE.search(text):
        return text
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
