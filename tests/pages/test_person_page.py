"""A person's page in a real browser: found by name or NIK, one timeline from every source, provenance,
masked for a role that does not see identities, and audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub.privacy.access import MASKED_NUMBER, Role
from hub.privacy.audit import AuditLog
from tests.pages.conftest import SignIn, threaded
from tests.resolvers.conftest import Api

SHOWCASE = """query($nik: String!) { person(nik: $nik) {
  personId identity { name { best } }
  household { members { personId name } }
  records { source sourceKey method }
  events { kind date source sourceKey }
  enrolments { program from }
  conditions { source sourceKey }
  pantiStays { pantiId }
  region { code above { code level } }
} }"""


@pytest.fixture(scope="module")
def showcase(pages_world: Api) -> dict[str, Any]:
    """The population's person with records from the most sources, as the API gives it to an admin."""
    person: dict[str, Any] = pages_world.data_of(SHOWCASE, {"nik": pages_world.showcase["nik"]})["person"]
    return person


def test_a_steward_finds_a_person_by_name_and_sees_every_source_on_one_timeline(
        signed_in: SignIn, showcase: dict[str, Any]) -> None:
    page = signed_in(Role.STEWARD)
    page.goto("/ui/orang")
    page.fill("input[name=nama]", showcase["identity"]["name"]["best"])
    page.click("form.search button")
    page.locator(f"#tabel-hasil a[href='/ui/orang/{showcase['personId']}']").click()
    expect(page.locator("h1 .name")).to_have_text(showcase["identity"]["name"]["best"])
    # Every linked source row is in the provenance table, with how it was linked.
    rows = page.locator("#tabel-catatan tbody tr")
    expect(rows).to_have_count(len(showcase["records"]))
    for record in showcase["records"]:
        row = page.locator(f"#tabel-catatan tr[id='rec-{record['source']}-{record['sourceKey']}']")
        expect(row).to_contain_text(record["source"])
    # Every event and enrolment is on the timeline, oldest first, naming its source row.
    dates = [d for d in page.locator("ol.timeline .when").all_inner_texts() if d != "tanpa tanggal"]
    assert dates == sorted(dates)
    expected = ({e["date"] for e in showcase["events"] if e["date"]}
                | {e["from"] for e in showcase["enrolments"] if e["from"]})
    assert expected and expected <= set(dates)
    # One line per fact: a PPKS row (a condition and its registration event) once, as the event.
    registered = {(e["source"], e["sourceKey"]) for e in showcase["events"] if e["kind"] == "PPKS_REGISTRATION"}
    conditions = [c for c in showcase["conditions"] if (c["source"], c["sourceKey"]) not in registered]
    expect(page.locator("ol.timeline > li")).to_have_count(
        len(showcase["events"]) + len(showcase["enrolments"]) + len(showcase["pantiStays"]) + len(conditions))
    for event in showcase["events"]:
        if event["sourceKey"]:
            expect(page.locator(f"ol.timeline a[href='#rec-{event['source']}-{event['sourceKey']}']").first
                   ).to_be_visible()
    # The household's members link to their own pages.
    others = [m for m in showcase["household"]["members"] if m["personId"] != showcase["personId"]]
    if others:
        page.locator(f"table.members a[href='/ui/orang/{others[0]['personId']}']").click()
        expect(page.locator("h1 .badge")).to_have_text(others[0]["personId"])


def test_a_nik_leads_to_the_person_and_the_records_download_as_csv(
        signed_in: SignIn, pages_world: Api, showcase: dict[str, Any], tmp_path: Path) -> None:
    page = signed_in(Role.STEWARD)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/ui/orang")
    page.fill("input[name=nik]", pages_world.showcase["nik"])
    page.click("form.search button")
    expect(page.locator("h1 .badge")).to_have_text(showcase["personId"])
    expect(page.locator(".identity dd.nik")).to_have_text(pages_world.showcase["nik"])
    base = pages_world.url.removesuffix("/graphql")
    assert fetched and all(url.startswith(base + "/ui/") for url in fetched)  # nothing from elsewhere
    with page.expect_download() as download:
        page.locator("#tabel-catatan a.csv").click()
    target = tmp_path / "catatan.csv"
    download.value.save_as(target)
    table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert table[0][:2] == ["Sumber", "Kunci sumber"]
    assert sorted((r[0], r[1]) for r in table[1:]) == sorted((r["source"], r["sourceKey"])
                                                             for r in showcase["records"])


def test_an_analyst_sees_the_person_masked_and_may_not_look_up_a_nik(
        signed_in: SignIn, pages_world: Api, showcase: dict[str, Any]) -> None:
    page = signed_in(Role.ANALYST)
    page.goto(f"/ui/orang?nik={pages_world.showcase['nik']}")
    expect(page.locator("h1")).to_have_text("Tidak dapat ditampilkan")
    expect(page.locator("[role=alert]")).to_contain_text("Akses ditolak: ")
    expect(page.locator("[role=alert]")).to_contain_text("does not see NIKs")
    page.goto(f"/ui/orang/{showcase['personId']}")
    expect(page.locator(".identity dd.nik")).to_have_text(MASKED_NUMBER)
    expect(page.locator("h1 .name")).to_have_text("***")
    html = page.content()
    assert showcase["identity"]["name"]["best"] not in html and pages_world.showcase["nik"] not in html


def test_every_person_shown_is_audited_under_the_officer_and_a_region_scopes_the_page(
        signed_in: SignIn, pages_world: Api, showcase: dict[str, Any]) -> None:
    key_id, key = threaded(pages_world.officer_key, Role.STEWARD, None, "audited steward")
    page = signed_in(key=key)
    page.goto(f"/ui/orang/{showcase['personId']}")
    expect(page.locator("h1 .badge")).to_have_text(showcase["personId"])
    entries = list(AuditLog.of(pages_world.settings).entries(key_id=key_id))
    read = [e for e in entries if e.operation == "person"]
    assert len(read) == 1 and read[0].person_ids == (showcase["personId"],) and read[0].officer == "Sri Wahyuni"
    assert {"identity.nik", "identity.name", "records.nik"} <= set(read[0].fields)
    members = {p for e in entries if e.operation == "household.members" for p in e.person_ids}
    assert members == {m["personId"] for m in showcase["household"]["members"]}  # the relatives shown, too
    # A key of another regency does not get the person, and its page says so.
    regency = next(r["code"] for r in showcase["region"]["above"] if r["level"] == 2)
    other = "33.01" if regency != "33.01" else "33.02"
    _, elsewhere = threaded(pages_world.officer_key, Role.STEWARD, other, "elsewhere")
    page = signed_in(key=elsewhere)
    page.goto(f"/ui/orang/{showcase['personId']}")
    expect(page.locator("[role=alert]")).to_contain_text(f"no person with this person id in your region {other}")
    assert showcase["identity"]["name"]["best"] not in page.content()
