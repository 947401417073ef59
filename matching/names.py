"""Indonesian name folding: one spelling for what offices write many ways.

Old (pre-1972) spelling is folded to the new (oe→u, dj→j, tj→c, ch→kh, nj→ny, sj→sy),
Muhammad's many forms become one, titles and "bin/binti <father>" go, punctuation and
case vanish. The folded name keeps token order; ``sorted_tokens`` drops it, for names
written family-name first. The inverse of ``hub.synth.name_variants``.
"""

from __future__ import annotations

import functools
import re

OLD_SPELLING = [("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("CH", "KH"), ("NJ", "NY"), ("SJ", "SY")]
MUHAMMAD = {"MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMMAD", "MOCHAMAD", "MUCHAMMAD", "MOCH", "MOH",
            "MUH", "MHD", "MOHD", "M"}
TITLES = {"H", "HJ", "HAJI", "HAJJAH", "DRS", "DRA", "DR", "IR", "PROF", "SPD", "SE", "SSOS", "AMD", "SH", "SKM",
          "SKOM", "ST", "SAG", "SPDI", "MM", "MPD", "MSI", "SIP", "SSI", "AMKEB", "AMKEP", "NY", "TN", "BPK", "IBU",
          # how street outreach writes a call name: "Mbah Karto", "Pak Slamet"
          "MBAH", "PAK", "BU", "MAS", "MBAK", "BAPAK", "KANG", "DIK"}
_MUHAMMAD_SPELLINGS = re.compile(r"^M(U|O|OE|A)(C?H|KH)?AM+AD$")  # MOCHAMAD, MUKHAMMAD, MOEHAMMAD, ...
_NOT_LETTER = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")
_TITLE_AFTER_COMMA = re.compile(r",.*$")


# A live link folds the names of its records' neighbours, and of their persons' records again: the
# same names (and mothers' names, fewer still) over and over.
@functools.lru_cache(maxsize=1 << 18)
def fold_name(name: str | None) -> str | None:
    """The name in one canonical spelling, or None when nothing is left."""
    if not name:
        return None
    text = _TITLE_AFTER_COMMA.sub("", name.upper())  # "SITI AMINAH, S.PD." -> "SITI AMINAH"
    text = text.replace(".", ". ")
    text = _SPACES.sub(" ", _NOT_LETTER.sub(" ", text)).strip()
    tokens = text.split(" ")
    for i, token in enumerate(tokens):
        if token in ("BIN", "BINTI") and i > 0:
            tokens = tokens[:i]  # "... BIN <father>": the father's name is not this person's
            break
    out = []
    for token in tokens:
        if not token or token in TITLES:
            continue
        if (token in MUHAMMAD and (token != "M" or len(tokens) > 1)) or _MUHAMMAD_SPELLINGS.match(token):
            out.append("MUHAMMAD")
            continue
        for old, new in OLD_SPELLING:
            token = token.replace(old, new)
        out.append(token)
    return " ".join(out) or None


def sorted_tokens(folded: str | None) -> str | None:
    return " ".join(sorted(folded.split(" "))) if folded else None


def first_token(folded: str | None) -> str | None:
    return folded.split(" ", 1)[0] if folded else None


def last_token(folded: str | None) -> str | None:
    return folded.rsplit(" ", 1)[-1] if folded else None


def initials(folded: str | None) -> str | None:
    """The folded name's initials ("SITI J" and "SITI JUBAEDAH" both give "S J"), for names of two
    or more tokens: what an office's abbreviation of a name shares with the name written out."""
    if not folded:
        return None
    tokens = folded.split(" ")
    if len(tokens) < 2:
        return None
    return " ".join(t[0] for t in tokens)

