"""Cursor pagination (Relay connections) with keyset cursors.

A cursor is the sort key of the last edge a page gave, not an offset: the next page starts
strictly after that key, so a row added or removed in between (a verdict closing a
candidate) neither skips nor repeats one. A connection's statement orders by its key and
takes ``$after`` (``None`` on the first page) to continue from; the key's last part is a
unique id, so the order is total.

The cursor is opaque to callers (URL-safe base64 of a small JSON list) and checked when it
comes back: a cursor that was not given out, or was given out by another connection, is an
``InputError`` naming the argument. So is one whose parts no sort key can hold (an integer
past 64 bits, NaN or infinity, a string longer than an id): the engine would fail on them
with a message of its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence

import strawberry

from hub.errors import InputError, quote

MAX_PAGE = 100
MAX_CURSOR_CHARS = 512
MAX_KEY_INT = 2**63 - 1  # what the engines' integers hold
MAX_KEY_CHARS = 64

KeyPart = str | int | float | None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(kind: str, key: Sequence[KeyPart]) -> str:
    """The cursor of an edge of connection ``kind`` whose sort key is ``key``."""
    payload = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None, types: Sequence[type]) -> list[KeyPart] | None:
    """The sort key to continue after (None for the first page).

    ``types`` gives each key part's type (``float`` accepts an int too); a part may be null.

    Raises:
        InputError: the cursor was not given out by connection ``kind``.
    """
    if cursor is None or cursor == "":
        return None
    bad = InputError(f"after: {quote(cursor)} is not a cursor this API gave out for this list")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise bad
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode(),
                             parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad from None
    if not isinstance(decoded, list) or len(decoded) != len(types) + 1 or decoded[0] != kind:
        raise bad
    key: list[KeyPart] = decoded[1:]
    for part, expected in zip(key, types, strict=True):
        if part is None:
            continue
        ok = isinstance(part, int | float) and not isinstance(part, bool) if expected is float \
            else isinstance(part, expected) and not isinstance(part, bool)
        if not ok or not _storable(part):
            raise bad
    return key


def _no_constant(name: str) -> float:
    raise ValueError(name)  # NaN, Infinity: never in a cursor this API gave out


def _storable(part: KeyPart) -> bool:
    if isinstance(part, int):
        return -MAX_KEY_INT <= part <= MAX_KEY_INT
    if isinstance(part, float):
        return math.isfinite(part)
    return not isinstance(part, str) or len(part) <= MAX_KEY_CHARS


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InputError(f"first: {first} must be between 1 and {MAX_PAGE}")
    return first
