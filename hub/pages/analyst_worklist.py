"""Gap worklists: the persons or households a gap rule (gaps.toml) flags in a region, and why.

The API's ``worklist`` answers for the signed-in officer (``hub.pages.gql``): the count per
sub-region (withheld ``<5`` where the API withholds it, each sub-region a link one level down),
and one cursor page of the list, masked as the API masks it for the role (the analyst sees no
name, NIK or KK) and audited as the API audits it. The CSV is the page's table as shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.pages.gql import PageError, query
from hub.pages.guard import page
from hub.pages.regions import WITHHELD, breadcrumbs, region_param
from hub.pages.render import Table, csv_or_page
from hub.privacy.access import Permission
from resolvers.scope import scope_param

PAGE_SIZE = 50
MAX_CURSOR = 200

RULES = "query Rules { worklistRules { id title explanation suggest subject } }"

WORKLIST = """query Worklist($rule: String!, $region: String!, $first: Int!, $after: String) {
  worklist(rule: $rule, region: $region, first: $first, after: $after) {
    region totalCount
    countsBySubRegion { code name count }
    edges { node {
      reasons
      person { personId identity { name { best } nik { best } birthDate { best } sex { best } } region { code name } }
      household { kk decile region { code name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _href(rule: str, region: str | None, after: str | None = None) -> str:
    return "/ui/analisis/kesenjangan?" + urlencode(
        [("aturan", rule), *([("wilayah", region)] if region else []), *([("setelah", after)] if after else [])])


def _place(region: dict[str, Any] | None) -> str:
    return "" if not region else f"{region['name'] or ''} ({region['code']})"


def _list_table(edges: list[dict[str, Any]], households: bool) -> Table:
    if households:
        return Table("daftar", ["No. KK", "Desil", "Wilayah", "Alasan"],
                     [[n["household"]["kk"] or "", n["household"]["decile"] or "", _place(n["household"]["region"]),
                       "; ".join(n["reasons"])] for n in (e["node"] for e in edges) if n["household"]],
                     "Keluarga dalam daftar")
    rows = []
    for n in (e["node"] for e in edges):
        if not n["person"]:
            continue
        person, ident = n["person"], n["person"]["identity"]
        rows.append([person["personId"], ident["name"]["best"] or "", ident["nik"]["best"] or "",
                     ident["birthDate"]["best"] or "", ident["sex"]["best"] or "", _place(person["region"]),
                     "; ".join(n["reasons"])])
    return Table("daftar", ["ID orang", "Nama", "NIK", "Lahir", "Jenis kelamin", "Wilayah", "Alasan"], rows,
                 "Orang dalam daftar", links={0: "/ui/orang/{value}"})


@page(permission=Permission.WORKLIST)
async def worklist(request: Request) -> Response:
    """A rule's counts per sub-region and one page of its list in the region asked."""
    rules = (await query(request, RULES))["worklistRules"]
    by_id = {r["id"]: r for r in rules}
    rule_id = request.query_params.get("aturan") or (rules[0]["id"] if rules else "")
    if rule_id not in by_id:
        raise PageError(f"Aturan {rule_id[:60]!r} tidak dikenal. Pilih salah satu dari daftar.")
    region = region_param(request) or scope_param(request.state.signed.principal)
    after = request.query_params.get("setelah") or None
    if after is not None and len(after) > MAX_CURSOR:
        raise PageError("Penanda halaman (setelah) tidak sah. Mulai lagi dari halaman pertama.")
    rule = by_id[rule_id]
    tables: list[Table] = []
    data: dict[str, Any] | None = None
    if region:
        data = (await query(request, WORKLIST, {"rule": rule_id, "region": region, "first": PAGE_SIZE,
                                                 "after": after}))["worklist"]
        drill = len(region.split(".")) < 4
        tables = [
            Table("per_wilayah", ["Kode wilayah", "Wilayah", "Jumlah"],
                  [[c["code"], c["name"] or "", WITHHELD if c["count"] is None else c["count"]]
                   for c in data["countsBySubRegion"]], "Jumlah per sub-wilayah",
                  links={0: _href(rule_id, "{value}").replace("%7Bvalue%7D", "{value}")} if drill else {}),
            _list_table(data["edges"], rule["subject"] == "HOUSEHOLD"),
        ]
    next_href = _href(rule_id, region, data["pageInfo"]["endCursor"]) \
        if data and data["pageInfo"]["hasNextPage"] else None
    return csv_or_page(request, "analyst/worklist.html", tables, title="Daftar kesenjangan", rules=rules,
                       rule=rule, region=region, data=data, crumbs=breadcrumbs(region), paged=after is not None,
                       crumb_href=lambda code: _href(rule_id, code), next_href=next_href,
                       first_href=_href(rule_id, region), withheld=WITHHELD)


routes: list[BaseRoute] = [Route("/analisis/kesenjangan", worklist, methods=["GET"])]
