"""Cursor pagination (Relay connections): opaque cursors over a stable order."""

from __future__ import annotations

import base64

import strawberry

from hub.errors import InputError

MAX_PAGE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after ``cursor`` (0 for none). Raises InputError for a cursor we did not give."""
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "offset" and int(value) >= 0:
            return int(value) + 1
    except (ValueError, UnicodeDecodeError):
        pass
    raise InputError(f"after: {cursor!r} is not a cursor this API gave out")


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InputError(f"first: {first} must be between 1 and {MAX_PAGE}")
    return first
