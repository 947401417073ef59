"""CSV cells a spreadsheet opens as the text they are: the pages' downloads and the exports share it."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would run as a formula ("=HYPERLINK(...)" in a name
    field of some source) gets a leading apostrophe, so that it opens as the text it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
