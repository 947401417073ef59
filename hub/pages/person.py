"""A person's page and the search that finds them (``/ui/orang``, ``/ui/orang/<personId>``).

Both read through the API's own fields (``searchPersons``, ``person``) as the signed-in officer,
so what a role may not see arrives masked and every person shown is audited by the resolvers.
The page puts every source's facts on one timeline, oldest first, each naming the row it came
from; the records table under it says how each row was loaded and linked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.pages.gql import PageError, query
from hub.pages.guard import page
from hub.pages.render import Table, csv_or_page, render
from hub.privacy.access import Permission

SEARCH = """
query Cari($name: String, $birthDate: String, $region: String, $after: String) {
  searchPersons(name: $name, birthDate: $birthDate, region: $region, first: 25, after: $after) {
    edges { node { personId recordCount identity { name { best } nik { best } birthDate { best } sex { best } }
                   region { code name } } }
    pageInfo { hasNextPage endCursor }
    withheld
  }
}"""

REDIRECT = "query Pindah($id: ID!) { personRedirect(personId: $id) { personId kind at currentIds } }"
BY_NIK = "query ByNik($nik: String!) { person(nik: $nik) { personId } }"

PERSON = """
query Orang($id: ID!) {
  person(personId: $id) {
    personId recordCount
    identity {
      name { best values { value sources records } } nik { best values { value sources records } }
      kk { best } birthDate { best values { value sources records } } sex { best }
      motherName { best } birthPlace { best } address { best }
    }
    region { code name above { code name level } }
    household { kk decile address region { code name }
                members { personId name nik sex birthDate relation programs } programs }
    enrolments { program programName funding from to status source sourceKey }
    conditions { code name recordedOn source sourceKey }
    pantiStays { pantiId pantiName kind from to source
                 attendance { records present absent firstDate lastDate } }
    events { eventId kind date status summary regionCode latitude longitude source sourceKey
             statusHistory { date status } handlers { name kind role } referrals { target targetName status date } }
    records { recordId source sourceKey method probability linkedAt batchId rowNumber loadedAt name nik nikStatus }
    gaps { rule title explanation suggest }
    history { kind at runId }
  }
}"""

EVENT_KINDS = {"COMPLAINT": "Pengaduan", "REFERRAL": "Rujukan", "OUTREACH": "Penjangkauan", "CASE_NOTE": "Catatan kasus",
               "PROPOSAL": "Usulan", "PPKS_REGISTRATION": "Pendataan PPKS"}
RELATIONS = {"HEAD": "Kepala keluarga", "SPOUSE": "Istri/suami", "CHILD": "Anak", "PARENT": "Orang tua",
             "GRANDCHILD": "Cucu", "OTHER": "Lainnya"}
METHODS = {"NIK": "NIK (pasti)", "SPLINK": "probabilistik (Splink)", "REFERENCE": "rujukan catatan lain",
           "STEWARD": "putusan steward", "SINGLE": "tunggal (tanpa pasangan)"}


@dataclass(frozen=True)
class Moment:
    """One line of the timeline: when, what, its details and the row it came from."""

    date: str
    kind: str
    title: str
    details: list[str]
    source: str | None
    source_key: str | None


def timeline(person: dict[str, Any]) -> list[Moment]:
    """Every dated fact of ``person`` from every source, oldest first (undated ones last)."""
    moments: list[Moment] = []
    for e in person["enrolments"]:
        until = f" s.d. {e['to']}" if e.get("to") else ""
        moments.append(Moment(e.get("from") or "", "Program", f"Terdaftar di {e.get('programName') or e['program']}",
                              [f"status {e['status']}" if e.get("status") else "", f"dana {e['funding']}"
                               if e.get("funding") else "", f"berlaku{until}" if until else ""],
                              e.get("source"), e.get("sourceKey")))
    # A PPKS row is both a condition and a registration event: shown once, as the event (it names who handled it).
    registered = {(e.get("source"), e.get("sourceKey")) for e in person["events"] if e["kind"] == "PPKS_REGISTRATION"}
    for c in person["conditions"]:
        if (c.get("source"), c.get("sourceKey")) in registered:
            continue
        moments.append(Moment(c.get("recordedOn") or "", "PPKS", f"Tercatat sebagai {c.get('name') or c['code']}", [],
                              c.get("source"), c.get("sourceKey")))
    for s in person["pantiStays"]:
        a = s["attendance"]
        presence = (f"absensi {a['present']} hadir, {a['absent']} tidak hadir ({a['firstDate']} s.d. {a['lastDate']})"
                    if a["records"] else "belum ada absensi")
        moments.append(Moment(s.get("from") or "", "Panti", f"Masuk {s.get('pantiName') or s['pantiId']}",
                              [f"keluar {s['to']}" if s.get("to") else "masih tinggal", presence],
                              s.get("source"), None))
    for e in person["events"]:
        details = [f"status {e['status']}" if e.get("status") else ""]
        details += [f"{h['date'] or '?'}: {h['status']}" for h in e["statusHistory"]]
        details += [f"dirujuk ke {r.get('targetName') or r.get('target')} ({r.get('status') or 'tanpa status'})"
                    for r in e["referrals"]]
        details += [f"ditangani {h.get('name') or '?'} ({h.get('kind') or h.get('role') or 'PSKS'})" for h in e["handlers"]]
        moments.append(Moment(e.get("date") or "", EVENT_KINDS.get(e["kind"], e["kind"]), e.get("summary") or "",
                              details, e.get("source"), e.get("sourceKey")))
    return sorted(moments, key=lambda m: (m.date == "", m.date))


def _cleaned(moments: list[Moment]) -> list[Moment]:
    return [Moment(m.date, m.kind, m.title, [d for d in m.details if d], m.source, m.source_key) for m in moments]


def record_table(person: dict[str, Any]) -> Table:
    rows = [[r["source"], r["sourceKey"], r.get("rowNumber"), r.get("batchId"), r.get("loadedAt"),
             METHODS.get(r.get("method") or "", r.get("method")),
             None if r.get("probability") is None else f"{r['probability']:.3f}", r.get("name"), r.get("nik"),
             r.get("nikStatus")] for r in person["records"]]
    return Table("catatan", ["Sumber", "Kunci sumber", "Baris", "Batch", "Dimuat", "Cara tertaut", "Probabilitas",
                             "Nama", "NIK", "Status NIK"], rows, caption="Asal setiap fakta: catatan sumber yang tertaut")


@page(permission=Permission.SEARCH)
async def search(request: Request) -> Response:
    """The search form and its results; a NIK goes straight to the person (where the role may look one up)."""
    params = request.query_params
    nik = params.get("nik", "").strip()
    form = {k: params.get(k, "").strip() for k in ("nama", "nik", "lahir", "wilayah")}
    if nik:
        found = (await query(request, BY_NIK, {"nik": nik}))["person"]
        if found is None:
            return render(request, "person/search.html", form=form, results=None,
                          message="Tidak ada orang dengan NIK tersebut (di wilayah Anda).")
        return RedirectResponse(f"/ui/orang/{found['personId']}", status_code=303)
    variables = {"name": form["nama"] or None, "birthDate": form["lahir"] or None, "region": form["wilayah"] or None,
                 "after": params.get("setelah") or None}
    if not any(v for k, v in variables.items() if k != "after"):
        return render(request, "person/search.html", form=form, results=None, message="")
    found = (await query(request, SEARCH, variables))["searchPersons"]
    rows = [[e["node"]["personId"], e["node"]["identity"]["name"]["best"], e["node"]["identity"]["nik"]["best"],
             e["node"]["identity"]["birthDate"]["best"], e["node"]["identity"]["sex"]["best"],
             (e["node"]["region"] or {}).get("name"), e["node"]["recordCount"]] for e in found["edges"]]
    results = Table("hasil", ["ID orang", "Nama", "NIK", "Lahir", "Jenis kelamin", "Wilayah", "Catatan"], rows,
                    links={0: "/ui/orang/{value}"})
    return csv_or_page(request, "person/search.html", [results], form=form, results=results,
                       withheld=found["withheld"], next_cursor=found["pageInfo"]["endCursor"]
                       if found["pageInfo"]["hasNextPage"] else None)


@page(permission=Permission.READ_PERSON)
async def person_page(request: Request) -> Response:
    person_id = request.path_params["person_id"]
    person = (await query(request, PERSON, {"id": person_id}))["person"]
    if person is None:
        # An id a split retired holds no one: the page names the persons it was divided into.
        redirect = (await query(request, REDIRECT, {"id": person_id}))["personRedirect"]
        if redirect is None or not redirect["currentIds"]:
            raise PageError("Orang ini tidak ditemukan, atau berada di luar wilayah kunci Anda.", 404)
        return render(request, "person/redirect.html", redirect=redirect)
    if person["personId"] != person_id:  # merged or split since: the page of the person it is now
        return RedirectResponse(f"/ui/orang/{person['personId']}", status_code=303)
    records = record_table(person)
    return csv_or_page(request, "person/person.html", [records], person=person, moments=_cleaned(timeline(person)),
                       records=records, relations=RELATIONS)


routes: list[BaseRoute] = [
    Route("/orang", search, methods=["GET"], name="orang"),
    Route("/orang/{person_id}", person_page, methods=["GET"], name="orang_detail"),
]
