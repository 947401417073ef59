"""Gap rules: a behaviour table over the shipped rules, a broken rules file, and the API's answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.errors import ConfigError
from resolvers.gaps import Condition, Facts, gaps_for, load_rules, met_in_a_year
from tests.resolvers.conftest import Api


def facts(**given: object) -> Facts:
    base: dict[str, object] = {"sources": frozenset(), "decile": None, "panti_resident": False,
                               "conditions": frozenset(), "programs": frozenset(),
                               "household_programs": frozenset(), "proposals": frozenset(), "has_nik": True,
                               "met_in_a_year": 0}
    return Facts(**{**base, **{k: frozenset(v) if isinstance(v, set) else v for k, v in given.items()}})  # type: ignore[arg-type]


POOR_HOUSEHOLD = {"dtks-poor-household-without-kis", "dtks-poor-household-without-assistance"}
KIS = {"KIS_PBI_APBD"}
CASES = [
    ("poor DTKS, no KIS", facts(sources={"dtks"}, decile=3), {"dtks-poor-without-kis"} | POOR_HOUSEHOLD),
    ("poor DTKS with KIS APBD", facts(sources={"dtks"}, decile=2, programs=KIS, household_programs=KIS), set()),
    ("poor DTKS, a relative has KIS", facts(sources={"dtks"}, decile=2, household_programs=KIS),
     {"dtks-poor-without-kis"}),
    ("poor DTKS household with Sembako only", facts(sources={"dtks"}, decile=4, household_programs={"SEMBAKO"}),
     {"dtks-poor-without-kis", "dtks-poor-household-without-kis"}),
    ("DTKS decile 6", facts(sources={"dtks"}, decile=6), set()),
    ("not in DTKS, in a decile 1 household", facts(decile=1), POOR_HOUSEHOLD),
    ("panti resident, no KIS", facts(panti_resident=True), {"panti-resident-without-kis"}),
    ("panti resident without NIK, with KIS", facts(panti_resident=True, has_nik=False, programs=KIS),
     {"panti-resident-without-nik"}),
    ("P3KE household without PKH or Sembako", facts(household_programs={"P3KE"}),
     {"extreme-poor-without-pkh-or-sembako"}),
    ("P3KE household, a member has PKH", facts(household_programs={"P3KE", "PKH"}), set()),
    ("disability (PPKS 09), no device", facts(conditions={"09"}), {"disability-without-assistive-device"}),
    ("disability registration, no device", facts(proposals={"disability_registration"}),
     {"disability-without-assistive-device"}),
    ("disability with a device request", facts(conditions={"05"}, proposals={"assistive_device"}), set()),
    ("street person met twice in a year, no register", facts(sources={"penjangkauan"}, met_in_a_year=2),
     {"street-person-met-twice-unregistered"}),
    ("street person met once a year", facts(sources={"penjangkauan"}, met_in_a_year=1), set()),
    ("street person met twice, in PPKS", facts(sources={"penjangkauan", "ppks"}, met_in_a_year=3), set()),
]



@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_shipped_rules(case: str, given: Facts, expected: set[str]) -> None:
    assert {rule.id for rule in gaps_for(given, load_rules())} == expected


def test_a_broken_rules_file_names_itself_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "gaps.toml"
    bad.write_text('[[gap]]\nid = "x"\ntitle = "t"\nexplanation = "e"\nsuggest = "s"\nwhen = { decile_under = 4 }\n')
    with pytest.raises(ConfigError, match=r"gaps.toml: gap.0.when.decile_under: Extra inputs"):
        load_rules(bad)


def test_the_api_reports_a_poor_dtks_person_without_kis(api: Api) -> None:
    rows = asyncio.run(api.cypher(
        "MATCH (s:SourceRecord {source: 'dtks'})-[:RESOLVES_TO]->(p:Person)-[:MEMBER_OF]->(h:Household) "
        "WHERE h.kk = p.kk AND h.decile <= 4 "
        "WITH DISTINCT p, [(p)-[:ENROLLED_IN]->(g:Program) | g.code] AS programs "
        "WHERE NOT 'KIS_PBI_APBN' IN programs AND NOT 'KIS_PBI_APBD' IN programs "
        "RETURN p.person_id AS person_id ORDER BY person_id LIMIT 1"))
    gaps = api.data_of("query($p: ID) { person(personId: $p) { gaps { rule title suggest } } }",
                       {"p": rows[0]["person_id"]})["person"]["gaps"]
    assert "dtks-poor-without-kis" in {g["rule"] for g in gaps}
    assert all(g["title"] and g["suggest"] for g in gaps)


def test_a_household_rule_may_name_only_what_a_household_has(tmp_path: Path) -> None:
    bad = tmp_path / "gaps.toml"
    bad.write_text('[[gap]]\nid = "x"\ntitle = "t"\nexplanation = "e"\nsuggest = "s"\nsubject = "household"\n'
                   'when = { panti_resident = true }\n')
    with pytest.raises(ConfigError, match=r"gaps.toml: gap.0: .*a household rule may name only .* it names panti_resident"):
        load_rules(bad)


def test_encounters_are_counted_per_calendar_year() -> None:
    assert met_in_a_year(["2025-01-02", "2025-12-30", "2026-01-01", None]) == 2
    assert met_in_a_year(["2024-06-01", "2025-06-01"]) == 1 and met_in_a_year([]) == 0


def test_reasons_say_what_holds_and_what_is_missing() -> None:
    rule = next(r for r in load_rules() if r.id == "dtks-poor-without-kis")
    assert rule.reasons(facts(sources={"dtks", "ppks"}, decile=3)) == [
        "recorded in dtks", "DTKS welfare decile 3 (at most 4)", "not enrolled in KIS_PBI_APBN or KIS_PBI_APBD"]


@pytest.mark.parametrize(("condition", "holding", "failing", "said"), [
    ({"in_sources": ["dtks", "ppks"]}, facts(sources={"ppks", "dtks", "slrt"}), facts(sources={"slrt"}),
     "recorded in dtks or ppks"),
    ({"decile_at_most": 4}, facts(decile=4), facts(decile=5), "DTKS welfare decile 4 (at most 4)"),
    ({"decile_at_most": 4}, facts(decile=1), facts(), "DTKS welfare decile 1 (at most 4)"),
    ({"panti_resident": True}, facts(panti_resident=True), facts(), "lives or lived in a panti"),
    ({"panti_resident": False}, facts(), facts(panti_resident=True), "no panti stay"),
    ({"conditions": ["05", "09"]}, facts(conditions={"09", "05", "01"}), facts(conditions={"01"}), "PPKS category 05, 09"),
    ({"programs": ["PKH"]}, facts(programs={"PKH"}), facts(programs={"BLT"}), "enrolled in PKH"),
    ({"household_programs": ["PKH", "SEMBAKO"]}, facts(household_programs={"SEMBAKO"}), facts(),
     "household enrolled in SEMBAKO"),
    ({"proposals": ["ALAT BANTU"]}, facts(proposals={"ALAT BANTU"}), facts(proposals={"KIS"}), "proposal: ALAT BANTU"),
    ({"has_nik": False}, facts(has_nik=False), facts(), "no NIK"),
    ({"has_nik": True}, facts(), facts(has_nik=False), "has a NIK"),
    ({"met_in_a_year_at_least": 2}, facts(met_in_a_year=3), facts(met_in_a_year=1), "met 3 times in one year (at least 2)"),
])
def test_each_condition_kind_holds_fails_and_says_why(condition: dict[str, object], holding: Facts, failing: Facts,
                                                      said: str) -> None:
    rule = Condition.model_validate(condition)
    assert rule.holds(holding) and rule.any_named(holding) and rule.reasons(holding) == [said]
    assert not rule.holds(failing) and not rule.any_named(failing) and rule.reasons(failing) == []
    assert Condition().holds(failing) and not Condition().any_named(holding)  # a table naming nothing
