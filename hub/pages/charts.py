"""Vega-Lite specs for the pages' charts, built from the same rows the page's table shows.

A spec travels in the page as JSON inside ``<script type="application/json" class="vega-spec">``
(data, not code: the Content-Security-Policy allows no inline script) and ``static/charts.js``
draws it. Withheld counts (None) stay out of the chart's marks; the table says why they are missing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier only: nothing is fetched
WIDTH = 560
BAR_HEIGHT = 18
MAX_BARS = 60


def bar_chart(rows: Sequence[tuple[str, int | float | None]], *, category: str, value: str,
              percent: bool = False) -> dict[str, Any]:
    """Horizontal bars, one per (label, value) in the given order; values that are None are left out."""
    values = [{"label": label, "value": v} for label, v in rows[:MAX_BARS] if v is not None]
    x: dict[str, Any] = {"field": "value", "type": "quantitative", "title": value}
    if percent:
        x["axis"] = {"format": ".0%"}
    return {
        "$schema": SCHEMA,
        "width": WIDTH,
        "height": {"step": BAR_HEIGHT},
        "data": {"values": values},
        "mark": {"type": "bar", "color": "#2f6f9f"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": category},
            "x": x,
            "tooltip": [{"field": "label", "title": category},
                        {"field": "value", "title": value, "format": ".1%" if percent else ","}],
        },
    }


def line_chart(rows: Sequence[tuple[str, str, int | float | None]], *, x_title: str, y_title: str,
               series_title: str) -> dict[str, Any]:
    """Lines over ordinal x values (months), one per series; None values are left out."""
    values = [{"x": x, "series": s, "value": v} for x, s, v in rows if v is not None]
    return {
        "$schema": SCHEMA,
        "width": WIDTH,
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "x", "type": "ordinal", "title": x_title},
            "y": {"field": "value", "type": "quantitative", "title": y_title},
            "color": {"field": "series", "type": "nominal", "title": series_title},
            "tooltip": [{"field": "series", "title": series_title}, {"field": "x", "title": x_title},
                        {"field": "value", "title": y_title, "format": ","}],
        },
    }


def embed(spec: dict[str, Any], target: str) -> Markup:
    """The spec as a JSON data block that ``charts.js`` draws into the element ``#target``.

    Every ``<`` is written as ``\\u003c`` (the same JSON) so that no value can close the script element.
    """
    text = json.dumps(spec, ensure_ascii=False).replace("<", "\\u003c")
    return Markup('<script type="application/json" class="vega-spec" data-target="{}">').format(target) + \
        Markup(text) + Markup("</script>")
