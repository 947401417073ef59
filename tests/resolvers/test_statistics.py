"""statistic(kind, region, level, month) over real HTTP on the package's world: every count equals a recount
made here without the product's statements (STARTS WITH, counted in Python), the cache answers until a
write changes the data, small counts are withheld from the analyst, and the officer's region holds."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
import typer

from hub import stats_cli
from hub.privacy.access import Role
from hub.statistics_bench import measure
from tests.resolvers.conftest import Api

STATISTIC = """query($kind: StatisticKind!, $region: String, $level: Int, $month: Boolean! = false) {
  statistic(kind: $kind, region: $region, level: $level, month: $month) {
    kind region level byMonth dated cached countMeans extraMeans rateMeans
    cells { region { code name level } month group label count persons extra rate } } }"""
ENCOUNTER = """mutation($region: String!) {
  registerEncounter(name: "PAIMIN GEMBEL", age: 50, sex: "L", region: $region, date: "02-11-2026",
                    team: "TIM STATISTIK", category: "GELANDANGAN", place: "PASAR") { joined row { status } } }"""

# Each statistic's cells recounted from the events, actors and stays themselves: (area, month, group) per row.
_EVENT_ROWS = ("MATCH (e:ServiceEvent {kind: $kind}) WHERE e.region_code STARTS WITH $region "
               "OPTIONAL MATCH (e)-[:ABOUT]->(p:Person) RETURN e.event_id AS id, e.region_code AS code, "
               "e.date AS date, e.status AS status, e.summary AS summary, p.person_id AS person")
RECOUNT: dict[str, str] = {
    "COMPLAINTS_BY_STATUS": _EVENT_ROWS,
    "OUTREACH_ENCOUNTERS": _EVENT_ROWS,
    "PPKS_BY_CATEGORY": ("MATCH (e:ServiceEvent {kind: 'ppks_registration'})-[:RECORDED_IN]->(s:SourceRecord)"
                         "-[:LISTS_CONDITION]->(c:PpksCategory) WHERE e.region_code STARTS WITH $region "
                         "RETURN e.event_id AS id, e.region_code AS code, e.date AS date, c.code AS status"),
    "PSKS_BY_KIND": ("MATCH (a:PsksActor) WHERE a.region_code STARTS WITH $region "
                     "RETURN a.actor_id AS id, a.region_code AS code, null AS date, a.kind AS status"),
    "REFERRALS_BY_STATUS": ("MATCH (e:ServiceEvent {kind: 'referral'})-[:FOLLOWS_UP]->(c:ServiceEvent) "
                            "WHERE c.region_code STARTS WITH $region RETURN e.event_id AS id, "
                            "c.region_code AS code, e.date AS date, e.status AS status"),
    "PANTI_RESIDENTS": ("MATCH (p:Person)-[s:RESIDENT_OF]->(t:Panti) WHERE p.region_code STARTS WITH $region "
                        "RETURN p.person_id + s.source_key AS id, p.region_code AS code, s.from AS date, "
                        "t.panti_id AS status"),
}


def ask(api: Api, kind: str, region: str | None = None, level: int | None = None, month: bool = False,
        role: Role = Role.ADMIN) -> dict[str, Any]:
    data: dict[str, Any] = api.data_of(STATISTIC, {"kind": kind, "region": region, "level": level, "month": month},
                                       role=role)["statistic"]
    return data


def recount(api: Api, kind: str, region: str, width: int, month: bool) -> Counter[tuple[Any, ...]]:
    import asyncio

    rows = asyncio.run(api.cypher(RECOUNT[kind], {"region": region, "kind": "complaint"}))
    return Counter((r["code"][:width], r["date"][:7] if month and r["date"] else None, r["status"])
                   for r in {r["id"]: r for r in rows}.values())


def counted(answer: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    return Counter({(c["region"]["code"], c["month"], c["group"]): c["count"] for c in answer["cells"]})


@pytest.fixture(scope="module")
def busiest(api: Api) -> str:
    """The regency with most complaints (dotted)."""
    import asyncio

    rows = asyncio.run(api.cypher("MATCH (e:ServiceEvent {kind: 'complaint'}) RETURN left(e.region_code, 5) AS r, "
                                  "count(*) AS n ORDER BY n DESC, r LIMIT 1"))
    return str(rows[0]["r"])


@pytest.mark.parametrize("kind", sorted(set(RECOUNT) - {"OUTREACH_ENCOUNTERS"}))
def test_counts_equal_a_recount_per_region_and_month(api: Api, busiest: str, kind: str) -> None:
    whole = ask(api, kind)
    assert whole["level"] == 2 and whole["region"] is None
    assert counted(whole) == recount(api, kind, "", 5, False)
    assert sum(counted(whole).values()) > 0, f"{kind}: the world has nothing to count"
    regency = ask(api, kind, busiest.replace(".", ""), month=True)
    assert regency["region"] == busiest and regency["level"] == 3
    assert counted(regency) == recount(api, kind, busiest, 8, regency["byMonth"])
    assert regency["byMonth"] == (kind != "PSKS_BY_KIND")
    assert all(c["region"]["name"] for c in regency["cells"])


def test_outreach_counts_encounters_persons_and_persons_met_twice(api: Api) -> None:
    import asyncio

    rows = asyncio.run(api.cypher(_EVENT_ROWS, {"kind": "outreach", "region": ""}))
    met: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        met[r["code"][:5]][r["person"]] += 1
    answer = {c["region"]["code"]: c for c in ask(api, "OUTREACH_ENCOUNTERS")["cells"]}
    assert set(answer) == set(met)
    for area, times in met.items():
        assert answer[area]["count"] == sum(times.values())
        assert answer[area]["persons"] == len([p for p in times if p])
        assert answer[area]["extra"] == len([p for p, n in times.items() if p and n >= 2])
    assert any(c["extra"] for c in answer.values()), "no person met twice: the world should have some"


def test_attendance_rate_is_present_checks_over_checks(api: Api) -> None:
    answer = ask(api, "PANTI_ATTENDANCE")
    assert answer["rateMeans"] and answer["cells"]
    for cell in answer["cells"]:
        assert cell["rate"] == round(cell["extra"] / cell["count"], 4)


def test_the_cached_answer_lasts_until_a_write_changes_the_count(api: Api) -> None:
    import asyncio

    village = "33.16.12.2003"
    ask(api, "OUTREACH_ENCOUNTERS", "3316")
    before = ask(api, "OUTREACH_ENCOUNTERS", "3316")
    assert before["cached"]
    written = api.data_of(ENCOUNTER, {"region": village.replace(".", "")})["registerEncounter"]
    assert written["row"]["status"] == "NEW"
    after = ask(api, "OUTREACH_ENCOUNTERS", "3316")
    assert not after["cached"]
    rows = asyncio.run(api.cypher(_EVENT_ROWS, {"kind": "outreach", "region": "33.16"}))
    exact = Counter(r["code"][:8] for r in {r["id"]: r for r in rows}.values())
    assert {c["region"]["code"]: c["count"] for c in after["cells"]} == exact
    was = {c["region"]["code"]: c["count"] for c in before["cells"]}
    assert exact["33.16.12"] == was.get("33.16.12", 0) + 1
    assert ask(api, "OUTREACH_ENCOUNTERS", "3316")["cached"]


def test_the_analyst_gets_counts_of_one_to_four_withheld(api: Api) -> None:
    exact = ask(api, "PPKS_BY_CATEGORY", level=3)
    shown = ask(api, "PPKS_BY_CATEGORY", level=3, role=Role.ANALYST)
    small = 0
    for full, masked in zip(exact["cells"], shown["cells"], strict=True):
        for field in ("count", "persons"):
            if 0 < full[field] < 5:
                small += 1
                assert masked[field] is None
            else:
                assert masked[field] == full[field]
    assert small, "no small cell: the test shows nothing"


def test_an_officer_counts_inside_their_region_only(api: Api) -> None:
    _, key = api.officer_key(Role.ANALYST, "33.16")
    body = api.post(STATISTIC, {"kind": "COMPLAINTS_BY_STATUS"}, key=key).json()
    assert body["data"]["statistic"]["region"] == "33.16"
    assert all(c["region"]["code"].startswith("33.16.") for c in body["data"]["statistic"]["cells"])
    refused = api.post(STATISTIC, {"kind": "COMPLAINTS_BY_STATUS", "region": "3301"}, key=key).json()
    assert "outside your region 33.16" in refused["errors"][0]["message"]


def test_refusals_name_the_reason(api: Api) -> None:
    app = api.post(STATISTIC, {"kind": "PSKS_BY_KIND"}, role=Role.APP).json()
    assert app["data"] is None and "aggregates" in app["errors"][0]["message"]
    level = api.post(STATISTIC, {"kind": "PSKS_BY_KIND", "level": 5}).json()
    assert level["errors"][0]["message"].startswith("level: 5 must be 1 (province), 2 (regency)")
    above = api.post(STATISTIC, {"kind": "PSKS_BY_KIND", "region": "331612", "level": 2}).json()
    assert "above the region 33.16.12" in above["errors"][0]["message"]
    # Each statistic may count a province: four in one request cost more than a request may.
    many = "{ " + " ".join(f"s{i}: statistic(kind: PSKS_BY_KIND) {{ level }}" for i in range(4)) + " }"
    assert "this query costs 1,2" in api.post(many).json()["errors"][0]["message"]


def test_hub_stats_prints_the_table(api: Api, busiest: str, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**api.env, "COLUMNS": "200"}.items():  # the world's graph on either backend
        monkeypatch.setenv(name, value)
    stats_cli.stats("complaints-by-status", region=busiest.replace(".", ""))
    printed = capsys.readouterr().out
    answer = ask(api, "COMPLAINTS_BY_STATUS", busiest)
    assert f"COMPLAINTS_BY_STATUS in {busiest}" in printed
    for cell in answer["cells"]:
        assert cell["region"]["code"] in printed and cell["group"] in printed
    with pytest.raises(typer.BadParameter, match="'nothing' is not a statistic; one of PPKS_BY_CATEGORY"):
        stats_cli.stats("nothing")


def test_the_bench_measures_every_statistic_cold_and_cached(api: Api, busiest: str) -> None:
    figures = measure(api.settings, regency=busiest, cold_repeats=1, cached_repeats=1)
    assert figures["statistics_cold_max_ms"] == max(figures["statistics_cold_ms"].values()) > 0
    assert figures["statistics_cached_max_ms"] == max(figures["statistics_cached_ms"].values()) > 0
    assert len(figures["statistics_cold_ms"]) == 10
