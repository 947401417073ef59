"""The steward's actions on persons: split records out of a person, join two persons, and undo of
one's own last verdicts of the day (``/ui/pemeriksaan/orang/<id>``, ``/ui/pemeriksaan/putusan-saya``).

Each calls the API's mutation as the signed-in officer (``splitPerson``, ``joinPersons``,
``undoVerdict``): the judgement rule, region scope, required reason and audit are the API's.
After a split or a join the page shows the resulting person(s) with their records.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.pages.gql import PageError, query
from hub.pages.guard import may, page
from hub.pages.render import render
from hub.privacy.access import Permission

PERSON = """query Orang($id: ID!) {
  person(personId: $id) { personId recordCount identity { name { best } nik { best } birthDate { best } sex { best } }
    records { recordId source sourceKey method probability name nik birthDate sex regionCode } }
  personRedirect(personId: $id) { kind currentIds }
}"""
REDIRECT = "query Pindah($id: ID!) { personRedirect(personId: $id) { kind at currentIds } }"
SPLIT = """mutation Pisah($id: ID!, $records: [String!]!, $reason: String!) {
  splitPerson(personId: $id, recordIds: $records, reason: $reason) { ok message personsBefore personsAfter } }"""
JOIN = """mutation Gabung($id: ID!, $other: ID!, $reason: String!) {
  joinPersons(personId: $id, otherPersonId: $other, reason: $reason) { ok message personsBefore personsAfter } }"""
MINE = "{ myVerdicts { candidateId decision decidedAt reason origin recordCount } }"
UNDO = """mutation Batal($id: ID!) { undoVerdict(candidateId: $id) { ok decision personsBefore personsAfter } }"""

DECISIONS = {"SAME": "SAMA", "DIFFERENT": "BERBEDA", "UNSURE": "RAGU"}
ORIGINS = {"split": "pemisahan catatan", "join": "penggabungan orang", None: "pasangan antrean"}
METHODS = {"NIK": "NIK", "SPLINK": "Splink", "REFERENCE": "rujukan", "STEWARD": "putusan steward", "SINGLE": "tunggal"}


async def _persons(request: Request, person_ids: list[str]) -> list[dict[str, Any]]:
    found = []
    for person_id in person_ids:
        person = (await query(request, PERSON, {"id": person_id}))["person"]
        if person is not None:
            found.append(person)
    return found


def _reason(form: Any) -> str:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise PageError("Alasan wajib diisi: tuliskan mengapa (disimpan bersama putusan).", 400)
    return reason


@page(permission=Permission.REVIEW)
async def person_view(request: Request) -> Response:
    """A person's records with the split and join forms; a retired id says where it went."""
    person_id = request.path_params["person_id"]
    data = await query(request, PERSON, {"id": person_id})
    person, redirect = data["person"], data["personRedirect"]
    if person is not None and person["personId"] != person_id:
        return RedirectResponse(f"/ui/pemeriksaan/orang/{person['personId']}", status_code=303)
    if person is None and redirect is None:
        raise PageError("Orang ini tidak ditemukan, atau berada di luar wilayah kunci Anda.", 404)
    return render(request, "steward/person.html", person=person, person_id=person_id, redirect=redirect,
                  methods=METHODS, can_judge=may(request.state.signed.principal, Permission.JUDGE))


@page(permission=Permission.JUDGE)
async def split(request: Request) -> Response:
    form = await request.form()
    person_id = str(form.get("person", ""))
    records = [str(r) for r in form.getlist("records")]
    if not records:
        raise PageError("Pilih catatan yang akan dipisahkan menjadi orang tersendiri.", 400)
    result = (await query(request, SPLIT, {"id": person_id, "records": records,
                                           "reason": _reason(form)}))["splitPerson"]
    if not result["ok"]:
        raise PageError("Orang ini tidak ada lagi; tidak ada yang dipisahkan.", 404)
    return render(request, "steward/result.html", title="Catatan dipisahkan", before=result["personsBefore"],
                  persons=await _persons(request, result["personsAfter"]), moved=set(records), methods=METHODS,
                  message=f"{len(records)} catatan dipindahkan menjadi orang tersendiri. ID lama {person_id} kini "
                  "menunjuk ke kedua orang hasil pemisahan.")


@page(permission=Permission.JUDGE)
async def join(request: Request) -> Response:
    form = await request.form()
    person_id, other = str(form.get("person", "")).strip(), str(form.get("other", "")).strip()
    if not other:
        raise PageError("Isi ID orang yang akan digabungkan.", 400)
    result = (await query(request, JOIN, {"id": person_id, "other": other, "reason": _reason(form)}))["joinPersons"]
    if not result["ok"]:
        raise PageError("Salah satu orang tidak ditemukan; tidak ada yang digabungkan.", 404)
    return render(request, "steward/result.html", title="Orang digabungkan", before=result["personsBefore"],
                  persons=await _persons(request, result["personsAfter"]), moved=set(), methods=METHODS,
                  message="Kedua orang kini satu. ID yang terserap menunjuk ke orang hasil penggabungan.")


@page(permission=Permission.JUDGE)
async def my_verdicts(request: Request) -> Response:
    verdicts = (await query(request, MINE))["myVerdicts"]
    return render(request, "steward/mine.html", verdicts=verdicts, decisions=DECISIONS, origins=ORIGINS,
                  message=request.query_params.get("pesan", "")[:200])


@page(permission=Permission.JUDGE)
async def undo(request: Request) -> Response:
    form = await request.form()
    result = (await query(request, UNDO, {"id": str(form.get("candidate", ""))}))["undoVerdict"]
    message = (f"Putusan {DECISIONS.get(result['decision'], result['decision'])} dibatalkan: orang kembali seperti "
               f"sebelumnya ({', '.join(result['personsAfter'])})." if result["ok"] else "Kandidat ini tidak ada lagi.")
    return RedirectResponse(f"/ui/pemeriksaan/putusan-saya?{urlencode({'pesan': message})}", status_code=303)


routes: list[BaseRoute] = [
    Route("/pemeriksaan/orang/{person_id}", person_view, methods=["GET"]),
    Route("/pemeriksaan/pisah", split, methods=["POST"]),
    Route("/pemeriksaan/gabung", join, methods=["POST"]),
    Route("/pemeriksaan/putusan-saya", my_verdicts, methods=["GET"]),
    Route("/pemeriksaan/batalkan", undo, methods=["POST"]),
]
