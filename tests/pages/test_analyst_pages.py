"""The analyst's pages in a real browser: coverage drilled from the provinces to a village (each level's
numbers against the API's own answer), the CSV download against the table, the household network
masked for the analyst, a role without aggregates refused, a worklist and a statistic against the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from hub.pages.analyst import COVERAGE, OVERLAP
from hub.pages.analyst_statistics import STATISTIC
from hub.pages.analyst_worklist import PAGE_SIZE, WORKLIST
from hub.pages.regions import WITHHELD
from hub.privacy.access import MASKED, MASKED_NUMBER, Role
from tests.pages.conftest import SignIn
from tests.resolvers.conftest import Api

PROGRAM = "PKH"


def table_rows(page: Page, name: str) -> list[list[str]]:
    return table_rows_of(page, f"#tabel-{name}")


def table_rows_of(page: Page, selector: str) -> list[list[str]]:
    cells: list[list[str]] = page.eval_on_selector_all(
        f"{selector} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    return cells


def api_rows(world: Api, region: str | None, level: int | None) -> list[list[str]]:
    """The coverage rows the API gives the analyst's key, written as the page writes them."""
    data = world.data_of(COVERAGE, {"program": PROGRAM, "region": region, "level": level}, role=Role.ANALYST)

    def cell(value: Any) -> str:
        return WITHHELD if value is None else str(value)

    return [[r["region"]["code"], r["region"]["name"] or "", cell(r["persons"]), cell(r["dtksPersons"]),
             cell(r["enrolled"]), cell(r["enrolledInDtks"]),
             "" if r["coverage"] is None else f"{r['coverage'] * 100:.1f}"] for r in data["programCoverage"]]


def test_an_analyst_drills_from_the_provinces_to_a_village_and_every_level_shows_the_apis_numbers(
        signed_in: SignIn, pages_world: Api) -> None:
    page = signed_in(Role.ANALYST)
    page.goto(f"/ui/analisis/cakupan?program={PROGRAM}")
    expect(page.locator("#grafik-cakupan[data-drawn='1'] svg")).to_be_visible()  # Vega drew under the CSP
    region: str | None = None
    trail = []
    for level in (1, 2, 3, 4):
        shown = table_rows(page, "cakupan")
        assert shown and shown == api_rows(pages_world, region, 1 if region is None else None)
        assert all(len(r[0].split(".")) == level for r in shown)
        # Go down through the region with the most persons (a number the analyst may see).
        target = max((r for r in shown if r[2] != WITHHELD), key=lambda r: int(r[2]))
        page.locator("#tabel-cakupan tbody a", has_text=target[0]).first.click()
        page.wait_for_url(f"**wilayah={target[0]}")
        region = target[0]
        trail.append(target[1])
    assert region is not None
    # The village itself, and the way back up: every region above it named in the breadcrumbs.
    assert table_rows(page, "cakupan") == api_rows(pages_world, region, None)
    for name in trail:
        expect(page.locator("nav.crumbs")).to_contain_text(name)
    page.locator("nav.crumbs a", has_text=trail[0]).click()
    page.wait_for_url(f"**wilayah={region.split('.')[0]}")
    assert table_rows(page, "cakupan") == api_rows(pages_world, region.split(".")[0], None)


def test_the_csv_download_holds_what_the_table_shows(signed_in: SignIn, pages_world: Api) -> None:
    page = signed_in(Role.ANALYST)
    (province,) = {r[0].split(".")[0] for r in api_rows(pages_world, None, 2)}
    page.goto(f"/ui/analisis/cakupan?program={PROGRAM}&wilayah={province}")
    shown = table_rows(page, "cakupan")
    header = page.eval_on_selector_all("#tabel-cakupan thead th", "hs => hs.map(h => h.textContent.trim())")
    with page.expect_download() as download:
        page.locator("#tabel-cakupan a.csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert shown and list(csv.reader(io.StringIO(text))) == [header, *shown]
    # The overlap of two programs: the pair's count is the API's.
    page.goto("/ui/analisis/irisan?program=PKH&program=SEMBAKO")
    (pair,) = pages_world.data_of(OVERLAP, {"programs": ["PKH", "SEMBAKO"], "region": None},
                                  role=Role.ANALYST)["programOverlap"]["pairs"]
    both = WITHHELD if pair["persons"] is None else str(pair["persons"])
    jaccard = "" if pair["jaccard"] is None else str(pair["jaccard"])
    assert table_rows(page, "pasangan") == [[pair["a"], pair["b"], both, jaccard]]


def test_the_household_network_shows_the_analyst_no_name_and_no_kk(signed_in: SignIn, pages_world: Api) -> None:
    person_id, name = pages_world.showcase["person_id"], pages_world.showcase["name"]
    admin = signed_in(Role.ADMIN)
    admin.goto(f"/ui/analisis/jaringan?orang={person_id}")
    expect(admin.locator("#jaringan[data-ready='1'] svg")).to_contain_text(name)  # in clear for a role that sees it

    page = signed_in(Role.ANALYST)
    page.goto(f"/ui/analisis/jaringan?orang={person_id}")
    network = page.locator("#jaringan[data-ready='1'] svg")
    expect(network).to_contain_text(f"{MASKED} · {person_id}")
    expect(network).to_contain_text(f"KK {MASKED_NUMBER}")
    # Expanding a member fetches its households and their members through the page's JSON route.
    member = page.locator("#jaringan g.node.person:not(.expanded)").first
    member_id = member.get_attribute("data-id")
    member.click()
    expect(page.locator(f"#jaringan g.node.expanded[data-id='{member_id}']")).to_have_count(1)
    nodes = table_rows_of(page, "#jaringan-simpul")
    persons = [r for r in nodes if r[0] == "Orang"]
    households = [r for r in nodes if r[0] == "Keluarga"]
    assert len(persons) >= 2 and households
    assert all(r[1] == MASKED for r in persons) and all(r[3] == MASKED_NUMBER for r in households)
    body = page.content()
    assert name not in body and pages_world.showcase["nik"] not in body


def test_a_role_that_may_not_see_aggregates_is_refused_and_the_network_data_needs_the_csrf_token(
        signed_in: SignIn, pages_world: Api) -> None:
    page = signed_in(Role.STEWARD)
    for url in (f"/ui/analisis/cakupan?program={PROGRAM}", f"/ui/analisis/cakupan?program={PROGRAM}&format=csv",
                "/ui/analisis/irisan?program=PKH&program=SEMBAKO"):
        response = page.goto(url)
        assert response is not None and response.status == 403
        expect(page.locator("[role=alert]")).to_contain_text("tidak boleh membuka cakupan dan irisan program")
        assert "Penerima program" not in page.content()
    analyst = signed_in(Role.ANALYST)
    refused = analyst.request.post("/ui/analisis/jaringan/data", data={"personId": pages_world.showcase["person_id"]})
    assert refused.status == 403 and pages_world.showcase["person_id"] not in refused.text()


def test_a_worklist_shows_the_apis_counts_per_sub_region_and_a_masked_page_with_the_reasons(
        signed_in: SignIn, pages_world: Api) -> None:
    (province,) = {r[0].split(".")[0] for r in api_rows(pages_world, None, 2)}
    rule = "dtks-poor-without-kis"
    page = signed_in(Role.ANALYST)
    page.goto(f"/ui/analisis/kesenjangan?aturan={rule}&wilayah={province}")
    data = pages_world.data_of(WORKLIST, {"rule": rule, "region": province, "first": PAGE_SIZE, "after": None},
                               role=Role.ANALYST)["worklist"]
    assert data["totalCount"] > 0
    expect(page.locator("#jumlah-total")).to_have_text(str(data["totalCount"]))
    assert table_rows(page, "per_wilayah") == [
        [c["code"], c["name"] or "", WITHHELD if c["count"] is None else str(c["count"])]
        for c in data["countsBySubRegion"]]
    listed = table_rows(page, "daftar")
    assert [r[0] for r in listed] == [e["node"]["person"]["personId"] for e in data["edges"]]
    # No name and no NIK digit (a person without a NIK has none to mask), and why each one is listed.
    assert listed and all(r[1] in (MASKED, "") and r[2] in (MASKED_NUMBER, "") and r[6] for r in listed), listed
    assert any(r[2] == MASKED_NUMBER for r in listed)


def test_a_statistic_per_region_is_the_apis(signed_in: SignIn, pages_world: Api) -> None:
    page = signed_in(Role.ANALYST)
    page.goto("/ui/analisis/statistik?jenis=PPKS_BY_CATEGORY")
    stat = pages_world.data_of(STATISTIC, {"kind": "PPKS_BY_CATEGORY", "region": None, "month": False},
                               role=Role.ANALYST)["statistic"]
    shown = table_rows(page, "statistik")
    assert shown and len(shown) == len(stat["cells"])
    for row, cell in zip(shown, stat["cells"], strict=True):
        assert row[:3] == [cell["region"]["code"], cell["region"]["name"] or "", cell["label"] or cell["group"] or ""]
        assert row[3] == (WITHHELD if cell["count"] is None else str(cell["count"]))
    expect(page.locator("#grafik-statistik[data-drawn='1'] svg")).to_be_visible()
