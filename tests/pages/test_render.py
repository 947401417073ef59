"""The table helper's CSV: what the table holds, and never a formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io

from hub.pages import static
from hub.pages.render import Table, csv_response


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    rows = [["=HYPERLINK(\"http://x\",\"klik\")", 3, None], ["+62 812", -4, "@SUM(A1)"], ["-x", 1.5, "SITI AMINAH"]]
    body = csv_response(Table("t", ["a", "b", "c"], rows)).body
    assert isinstance(body, bytes)
    read = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert read == [["a", "b", "c"], ["'=HYPERLINK(\"http://x\",\"klik\")", "3", ""], ["'+62 812", "-4", "'@SUM(A1)"],
                    ["'-x", "1.5", "SITI AMINAH"]]


def test_asking_for_files_that_do_not_exist_keeps_nothing_in_memory() -> None:
    before = dict(static._LOADED)
    assert all(static.asset(f"tidak-ada-{i}.js") is None for i in range(50))
    assert static.asset("../session.py") is None and before == static._LOADED
    assert static.asset("hub.css") is not None and "hub.css" in static._LOADED
