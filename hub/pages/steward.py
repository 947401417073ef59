"""The steward's review: the queue, one pair side by side with the waterfall of its score, and the
verdict, with the next pair shown at once.

Everything goes through the API's own fields as the signed-in officer (``matchCandidates``,
``conflictingPersons``, ``matchCandidate``, ``judgeMatch``): region scope, audit and the JUDGE
permission are the API's. The pair page carries the next pair's address (the queue after this
candidate, by its keyset cursor), which ``static/steward.js`` fetches in advance and swaps in
as soon as a verdict is given, so the next pair is on screen before the verdict is stored.
Without JavaScript the form posts and the browser is sent on to that same address. Split, join
and undo live in ``steward_persons``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.pages import steward_persons
from hub.pages.gql import PageError, query
from hub.pages.guard import may, page
from hub.pages.render import Table, csv_or_page, render
from hub.privacy.access import Permission
from resolvers.types.pagination import encode_cursor

QUEUE = """query Antrean($region: String) {
  matchCandidates(first: 20, region: $region) { edges { cursor node { candidateId probability priority
    left { personId record { name source birthDate } } right { personId record { name source birthDate } } } } }
  conflictingPersons(first: 20, region: $region) { edges { node { personId name recordCount reasons } } }
}"""
FIRST = """query Pertama($region: String) { matchCandidates(first: 1, region: $region) {
  edges { cursor node { candidateId } } } }"""
PAIR = """query Pasangan($id: ID!, $after: String, $region: String, $withNext: Boolean!) {
  matchCandidate(candidateId: $id) { candidateId status probability matchWeight priority differing origin
    left { personId record { ...Rec } } right { personId record { ...Rec } }
    waterfall { prior matchWeight probability steps { comparison level weight total } }
    history { decision by at reason undoneAt } }
  matchCandidates(first: 1, after: $after, region: $region) @include(if: $withNext) {
    edges { cursor node { candidateId } } }
}
fragment Rec on LinkedRecord { recordId source sourceKey rowNumber loadedAt method name nik kk birthDate sex
  motherName address regionCode raw { column value } }"""
NEXT = """query Berikutnya($after: String, $region: String) { matchCandidates(first: 1, after: $after, region: $region) {
  edges { cursor node { candidateId } } } }"""
JUDGE = """mutation Putusan($id: ID!, $decision: Decision!, $reason: String!) {
  judgeMatch(candidateId: $id, decision: $decision, reason: $reason) { ok message personsAfter } }"""

FIELDS = [("name", "name", "Nama"), ("nik", "nik", "NIK"), ("kk", "kk", "No KK"),
          ("birth_date", "birthDate", "Tanggal lahir"), ("sex", "sex", "Jenis kelamin"),
          ("mother_name", "motherName", "Nama ibu kandung"), ("address", "address", "Alamat"),
          ("region_code", "regionCode", "Kode wilayah")]
COMPARISONS = {"name": "Nama", "birth": "Tanggal lahir", "sex": "Jenis kelamin", "mother_folded": "Nama ibu kandung",
               "household_place": "KK dan tempat tinggal", "nik": "NIK", "phone": "Nomor telepon",
               "register_id": "Nomor register lain"}
DECISIONS = {"SAME": "SAMA (satu orang)", "DIFFERENT": "BERBEDA (dua orang)", "UNSURE": "RAGU (belum yakin)"}
REASONS = {"TWO_TRUSTED_NIKS": "dua NIK sah", "TWO_NIKS": "dua NIK", "BOTH_SEXES": "dua jenis kelamin",
           "BIRTH_DATES_APART": "tanggal lahir berjauhan"}
OUTCOMES = {"joined into one person": "Digabung menjadi satu orang.", "already one person": "Sudah satu orang.",
            "parted into two persons": "Dipisah menjadi dua orang.", "kept apart": "Tetap dua orang.",
            "recorded; the scores decide": "Dicatat; skor yang menentukan."}
CHART_WIDTH, ROW_HEIGHT = 360, 22


@dataclass(frozen=True)
class Bar:
    """One bar of the waterfall chart (SVG coordinates: the CSP allows no inline style)."""

    label: str
    level: str
    weight: float
    total: float
    x: float
    width: float
    y: int
    kind: str  # prior, for, against, final


def waterfall_bars(fall: dict[str, Any]) -> tuple[list[Bar], float]:
    """The bars of ``fall`` (prior, each comparison from the running total before it, the final weight)
    and the x of zero."""
    points = [0.0, fall["prior"], *(s["total"] for s in fall["steps"])]
    lo, hi = min(points), max(points)
    scale = CHART_WIDTH / ((hi - lo) or 1.0)

    def x(v: float) -> float:
        return float(round((v - lo) * scale, 1))

    bars = [Bar("Prior (dua catatan acak)", "", fall["prior"], fall["prior"], min(x(0), x(fall["prior"])),
                abs(x(fall["prior"]) - x(0)), 0, "prior")]
    before = fall["prior"]
    for i, step in enumerate(fall["steps"], start=1):
        bars.append(Bar(COMPARISONS.get(step["comparison"], step["comparison"]), step["level"], step["weight"],
                        step["total"], min(x(before), x(step["total"])), max(abs(x(step["total"]) - x(before)), 1.0),
                        i * ROW_HEIGHT, "for" if step["weight"] >= 0 else "against"))
        before = step["total"]
    bars.append(Bar("Bobot akhir", "", fall["matchWeight"], fall["matchWeight"], min(x(0), x(fall["matchWeight"])),
                    abs(x(fall["matchWeight"]) - x(0)), (len(fall["steps"]) + 1) * ROW_HEIGHT, "final"))
    return bars, x(0)


def pair_url(candidate_id: str, cursor: str | None, region: str) -> str:
    params = [("c", cursor)] if cursor else []
    params += [("wilayah", region)] if region else []
    return f"/ui/pemeriksaan/pasangan/{candidate_id}" + (f"?{urlencode(params)}" if params else "")


@page(permission=Permission.REVIEW)
async def queue(request: Request) -> Response:
    region = request.query_params.get("wilayah", "").strip()
    data = await query(request, QUEUE, {"region": region or None})
    pairs = data["matchCandidates"]["edges"]
    rows = [[e["node"]["candidateId"], (e["node"]["left"] or {}).get("record", {}).get("name"),
             (e["node"]["right"] or {}).get("record", {}).get("name"),
             f"{e['node']['probability']:.3f}" if e["node"]["probability"] is not None else None,
             f"{e['node']['priority']:.2f}" if e["node"]["priority"] is not None else None] for e in pairs]
    table = Table("antrean", ["Kandidat", "Catatan kiri", "Catatan kanan", "Probabilitas", "Prioritas"], rows,
                  caption="Pasangan yang diragukan, paling berdampak lebih dulu")
    conflicts = [[e["node"]["personId"], e["node"]["name"], e["node"]["recordCount"],
                  ", ".join(REASONS.get(r, r) for r in e["node"]["reasons"])]
                 for e in data["conflictingPersons"]["edges"]]
    conflict_table = Table("bertentangan", ["ID orang", "Nama", "Catatan", "Alasan"], conflicts,
                           caption="Orang yang catatannya saling bertentangan", links={0: "/ui/pemeriksaan/orang/{value}"})
    links = {e["node"]["candidateId"]: pair_url(e["node"]["candidateId"], None, region) for e in pairs}
    return csv_or_page(request, "steward/queue.html", [table, conflict_table], pairs=pairs, links=links,
                       conflicts=conflict_table, region=region, can_judge=may(request.state.signed.principal,
                                                                               Permission.JUDGE))


@page(permission=Permission.REVIEW)
async def first_pair(request: Request) -> Response:
    region = request.query_params.get("wilayah", "").strip()
    edges = (await query(request, FIRST, {"region": region or None}))["matchCandidates"]["edges"]
    if not edges:
        return render(request, "steward/empty.html", region=region)
    return RedirectResponse(pair_url(edges[0]["node"]["candidateId"], edges[0]["cursor"], region), status_code=303)


@page(permission=Permission.REVIEW)
async def pair(request: Request) -> Response:
    """One pair; ``?bagian=1``: the pair alone (what steward.js fetches in advance), without the layout."""
    candidate_id = request.path_params["candidate_id"]
    region = request.query_params.get("wilayah", "").strip()
    cursor = request.query_params.get("c") or None
    variables = {"id": candidate_id, "after": cursor, "region": region or None, "withNext": cursor is not None}
    data = await query(request, PAIR, variables)
    node = data["matchCandidate"]
    if node is None:
        raise PageError("Kandidat ini tidak ada (lagi): mungkin sudah diputus dan dihapus oleh pemeriksaan lain.", 404)
    if cursor is None:  # reached directly: the queue after this candidate, by its own position
        cursor = encode_cursor("candidates", (node["priority"] or 0.0, node["candidateId"]))
        data.update(await query(request, NEXT, {"after": cursor, "region": region or None}))
    edges = data["matchCandidates"]["edges"]
    nxt = pair_url(edges[0]["node"]["candidateId"], edges[0]["cursor"], region) if edges else ""
    bars, zero = waterfall_bars(node["waterfall"]) if node["waterfall"] else ([], 0.0)
    context = {"c": node, "fields": FIELDS, "decisions": DECISIONS, "bars": bars, "zero": zero,
               "chart_width": CHART_WIDTH, "chart_height": (len(bars) or 1) * ROW_HEIGHT, "next_url": nxt,
               "self_url": pair_url(candidate_id, request.query_params.get("c"), region), "region": region,
               "can_judge": may(request.state.signed.principal, Permission.JUDGE)}
    template = "steward/_pair.html" if request.query_params.get("bagian") == "1" else "steward/pair.html"
    return render(request, template, **context)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@page(permission=Permission.JUDGE)
async def verdict(request: Request) -> Response:
    """A verdict from the pair's form: JSON for steward.js, else on to the next pair (or back with the reason)."""
    form = await request.form()
    candidate_id, decision = str(form.get("candidate", "")), str(form.get("decision", ""))
    reason, nxt = str(form.get("reason", "")).strip(), str(form.get("next", ""))
    nxt = nxt if nxt.startswith("/ui/pemeriksaan/") else "/ui/pemeriksaan"
    problem = ("Pilih putusan: SAMA, BERBEDA atau RAGU." if decision not in DECISIONS else
               "Alasan wajib diisi: tuliskan mengapa (disimpan bersama putusan)." if not reason else "")
    if problem:
        if _wants_json(request):
            return JSONResponse({"ok": False, "message": problem}, status_code=400)
        raise PageError(problem, 400)
    try:
        result = (await query(request, JUDGE, {"id": candidate_id, "decision": decision, "reason": reason}))["judgeMatch"]
    except PageError as error:
        if _wants_json(request):
            return JSONResponse({"ok": False, "message": error.message}, status_code=error.status)
        raise
    message = (f"Putusan {DECISIONS[decision]} tersimpan. {OUTCOMES.get(result['message'], result['message'])}"
               if result["ok"] else "Kandidat ini tidak ada lagi; putusan tidak disimpan.")
    if _wants_json(request):
        return JSONResponse({"ok": result["ok"], "message": message, "next": nxt,
                             "persons": result["personsAfter"]}, status_code=200 if result["ok"] else 404)
    return RedirectResponse(nxt, status_code=303)


routes: list[BaseRoute] = [
    Route("/pemeriksaan", queue, methods=["GET"], name="pemeriksaan"),
    Route("/pemeriksaan/pasangan", first_pair, methods=["GET"]),
    Route("/pemeriksaan/pasangan/{candidate_id}", pair, methods=["GET"]),
    Route("/pemeriksaan/putusan", verdict, methods=["POST"]),
    *steward_persons.routes,
]
