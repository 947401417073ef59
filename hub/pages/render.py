"""Templates (Jinja2, autoescape on) and the one table helper: every table as HTML and as CSV.

``render(request, "dir/name.html", **ctx)`` fills a template under ``hub/pages/templates/``
whose layout is ``base.html``. Each template sees ``principal`` (who is signed in, or None),
``csrf_field()`` (the hidden field every form needs), ``static('file.js')`` (a versioned URL
cached for a year) and ``table(t)`` (a ``Table`` as HTML with its CSV link).

A page that shows tables answers ``?format=csv&table=<name>`` with that table as CSV
(``csv_or_page``): the same handler, so the same sign-in, role check and audit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hub.csv_cells import csv_cell
from hub.pages.static import static_url
from hub.privacy.access import Principal, Role, role_specs

TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class Table:
    """A table a page shows: ``name`` addresses it in ``?table=``, ``rows`` hold plain values."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    links: dict[int, str] = field(default_factory=dict)  # column index -> URL template with {value}


ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True, auto_reload=False)


ROLE_LABELS = {Role.APP: "aplikasi", Role.ANALYST: "analis", Role.STEWARD: "pengelola data (steward)",
               Role.ADMIN: "admin"}


def principal_may(principal: Principal) -> frozenset[str]:
    """The role's permissions as strings, for templates (``"review" in principal_may(principal)``)."""
    return frozenset(str(p) for p in role_specs()[principal.role].may)


ENV.globals.update(principal_may=principal_may, role_label=lambda role: ROLE_LABELS.get(role, str(role)))


def _csrf_field(request: Request) -> Markup:
    signed = getattr(request.state, "signed", None)
    token = signed.session.csrf if signed is not None else getattr(request.state, "signin_csrf", "")
    return Markup('<input type="hidden" name="csrf" value="{}">').format(token)


def _csv_href(request: Request, table: Table) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "table")]
    return f"{request.url.path}?{urlencode([*params, ('format', 'csv'), ('table', table.name)])}"


def _table_html(request: Request, table: Table) -> Markup:
    return Markup(ENV.get_template("_table.html").render(t=table, csv_href=_csv_href(request, table)))


def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """``template`` filled with ``ctx`` and the page globals, as an HTML response."""
    signed = getattr(request.state, "signed", None)
    html = ENV.get_template(template).render(
        request=request, principal=signed.principal if signed is not None else None,
        csrf_field=lambda: _csrf_field(request), static=static_url, table=lambda t: _table_html(request, t), **ctx)
    return HTMLResponse(html, status_code=status_code)




def csv_response(table: Table) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(c) for c in table.columns])
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{table.name}.csv"'})


def csv_or_page(request: Request, template: str, tables: Sequence[Table], **ctx: Any) -> Response:
    """The table ``?table=`` names as CSV when ``?format=csv``, else the page (which gets ``tables``)."""
    if request.query_params.get("format") == "csv":
        wanted = request.query_params.get("table", tables[0].name if tables else "")
        for t in tables:
            if t.name == wanted:
                return csv_response(t)
        return render(request, "error.html", status_code=404, title="Tabel tidak ditemukan",
                      message=f"Halaman ini tidak memiliki tabel bernama {wanted[:40]!r}.")
    return render(request, template, tables=tables, **ctx)
