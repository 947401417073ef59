"""Address folding: one spelling for an address that offices write many ways.

"Jl. Merdeka No.5 RT.01/RW.002" and "JALAN MERDEKA 5 RT 1 RW 2" fold to the same text:
capitals, punctuation gone, the usual abbreviations written out (JL -> JALAN, GG -> GANG,
DSN -> DUSUN, ...), numbers without leading zeros, the words that only label a number ("NO",
"NOMOR") dropped, and RT, RW, BLOK and KM joined to their number ("RT1 RW2"), so that RT 1 RW 2
and RT 2 RW 1 do not share every word. Token order is kept: the linker
compares the folded text exactly and, for reordered or partly written addresses, by the
share of tokens the two have in common.
"""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "JL": "JALAN", "JLN": "JALAN", "GG": "GANG", "DSN": "DUSUN", "DS": "DUSUN", "DK": "DUKUH", "DKH": "DUKUH",
    "KP": "KAMPUNG", "KAMP": "KAMPUNG", "KMP": "KAMPUNG", "PERUM": "PERUMAHAN", "KEL": "KELURAHAN",
    "KEC": "KECAMATAN", "KAB": "KABUPATEN", "BLK": "BLOK", "LK": "LINGKUNGAN", "LKG": "LINGKUNGAN",
}
LABELS = {"NO", "NOMOR", "NOMER"}
JOINED = {"RT", "RW", "BLOK", "KM"}
_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_LETTERS_DIGITS = re.compile(r"(?<=[A-Z])(?=[0-9])|(?<=[0-9])(?=[A-Z])")


def fold_address(address: str | None) -> str | None:
    """The address in one canonical spelling, or None when nothing is left."""
    if not address:
        return None
    text = _LETTERS_DIGITS.sub(" ", _NOT_WORD.sub(" ", address.upper()))
    out: list[str] = []
    for token in text.split():
        if token in LABELS:
            continue
        if token.isdigit():
            token = token.lstrip("0") or "0"
            if out and out[-1] in JOINED:
                out[-1] += token
                continue
        out.append(ABBREVIATIONS.get(token, token))
    return " ".join(out) or None
