"""What must never reach a French reader: OLS's English class, trend and status codes."""

from __future__ import annotations

import re

ENGLISH_CODES = re.compile(
    r"\b(?:hot|cold)_(?:99|95|90)\b|not_significant|\binsufficient\b|no_pattern|\bcomputed\b|"
    r"\b(?:new|consecutive|intensifying|persistent|diminishing|sporadic|oscillating|historical)_(?:hot|cold)\b"
)
H3_ID = re.compile(r"\b8[0-9a-f]{14}\b")


def english_codes(text: str) -> list[str]:
    """The English codes (and raw H3 ids) found in a text meant for people."""
    return [match.group(0) for pattern in (ENGLISH_CODES, H3_ID) for match in pattern.finditer(text)]
