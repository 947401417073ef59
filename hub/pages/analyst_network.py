"""The household network, explored node by node.

The page draws nothing itself: ``static/analyst.js`` asks ``POST /ui/analisis/jaringan/data``
(JSON, with the session's ``X-CSRF-Token``) for the network around a person or a household and
merges each answer into the drawing when a node is clicked. That route runs the API's own
``householdNetwork`` through ``hub.pages.gql``, so names and KK numbers come masked for a role
that may not see them, a start outside an officer's region is refused, and every person in an
answer is audited as the API audits it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.pages.gql import PageError, query
from hub.pages.guard import page
from hub.pages.render import render
from hub.privacy.access import Permission, Personal

MAX_BODY = 2048  # a start and two flags: anything longer is not from the page
MAX_ID = 64
MAX_DEPTH = 3  # one click shows the households of a person and their members; deeper walks are the API's

NETWORK = """query Network($personId: ID, $kk: String, $depth: Int!, $withPrograms: Boolean!) {
  householdNetwork(personId: $personId, kk: $kk, depth: $depth, withPrograms: $withPrograms) {
    nodes { id kind label personId kk decile regionCode depth }
    edges { source target kind relation }
    truncated
  }
}"""


@page(permission=Permission.HOUSEHOLD)
async def network_page(request: Request) -> Response:
    principal = request.state.signed.principal
    person = (request.query_params.get("orang") or "").strip()[:MAX_ID]
    kk = (request.query_params.get("kk") or "").strip()[:MAX_ID]
    return render(request, "analyst/network.html", title="Jaringan keluarga", person=person, kk=kk,
                  sees_kk=principal.sees(Personal.KK))


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None when it is too long, not JSON or not an object."""
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > MAX_BODY:
            return None
    try:
        body = orjson.loads(bytes(chunks))
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _start(body: dict[str, Any]) -> tuple[str | None, str | None, int, bool] | str:
    """(personId, kk, depth, withPrograms) from the body, or the reason it is not a start."""
    person, kk = body.get("personId") or None, body.get("kk") or None
    depth, with_programs = body.get("depth", 2), body.get("withPrograms", False)
    if (person is None) == (kk is None):
        return "Isi salah satu: ID orang (personId) atau nomor KK (kk)."
    for name, value in (("personId", person), ("kk", kk)):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
            return f"{name}: harus teks paling panjang {MAX_ID} karakter."
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        return f"depth: harus bilangan bulat 1 sampai {MAX_DEPTH}."
    if not isinstance(with_programs, bool):
        return "withPrograms: harus true atau false."
    return person, kk, depth, with_programs


@page(permission=Permission.HOUSEHOLD)
async def network_data(request: Request) -> Response:
    """The network around the start in the JSON body, as the API answers it for the signed-in officer."""
    body = await _body(request)
    if body is None:
        return _error(f"Isi permintaan harus objek JSON paling panjang {MAX_BODY} byte.")
    start = _start(body)
    if isinstance(start, str):
        return _error(start)
    person, kk, depth, with_programs = start
    try:
        data = await query(request, NETWORK, {"personId": person, "kk": kk, "depth": depth,
                                              "withPrograms": with_programs})
    except PageError as exc:
        return _error(exc.message, exc.status)
    network: dict[str, Any] = data["householdNetwork"]
    return JSONResponse(network)


routes: list[BaseRoute] = [
    Route("/analisis/jaringan", network_page, methods=["GET"]),
    Route("/analisis/jaringan/data", network_data, methods=["POST"]),
]
