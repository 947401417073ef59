"""Why two records were (not) linked: Splink's own charts, written as self-contained HTML.

The waterfall shows each comparison's match weight for chosen pairs; the match-weights chart
the whole model; the comparison viewer browses the scored pairs. The JavaScript is inlined, so
the files open without a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from splink.internals.charts import SplinkChart

from hub.errors import InputError
from matching.one_record import KnownRecords


def explain(known: KnownRecords, pairs: list[tuple[str, str]], out: Path) -> list[Path]:
    """Write the charts for ``pairs`` of record ids into ``out``; return the files written."""
    rows = known.features_by_id()
    missing = [r for pair in pairs for r in pair if r not in rows]
    if missing:
        raise InputError(f"unknown record id(s): {', '.join(missing)} (they need a name to be compared)")
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    scored = []
    for left, right in pairs:
        result = known.linker.inference.score_pair(rows[left], rows[right])
        scored.append(result)
        records.extend(result.as_record_list())
    written = []
    charts: dict[str, SplinkChart[Any]] = {
        "waterfall.html": known.linker.visualisations.waterfall_chart(records, filter_nulls=False),
        "match_weights.html": known.linker.visualisations.match_weights_chart(),
        "m_u_parameters.html": known.linker.visualisations.m_u_parameters_chart(),
    }
    for name, chart in charts.items():
        path = out / name
        path.write_text(chart.to_html(inline=True), encoding="utf-8")
        written.append(path)
    for result in scored:
        result.drop_table_from_database_and_remove_from_cache()
    return written
