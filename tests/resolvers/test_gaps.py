"""Gap rules: a behaviour table over the shipped rules, a broken rules file, and the API's answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.errors import ConfigError
from resolvers.gaps import Facts, gaps_for, load_rules
from tests.resolvers.conftest import Api


def facts(**given: object) -> Facts:
    base: dict[str, object] = {"sources": frozenset(), "decile": None, "panti_resident": False,
                               "conditions": frozenset(), "programs": frozenset(),
                               "household_programs": frozenset(), "proposals": frozenset()}
    return Facts(**{**base, **{k: frozenset(v) if isinstance(v, set) else v for k, v in given.items()}})  # type: ignore[arg-type]


CASES = [
    ("poor DTKS, no KIS", facts(sources={"dtks"}, decile=3), {"dtks-poor-without-kis"}),
    ("poor DTKS with KIS APBD", facts(sources={"dtks"}, decile=2, programs={"KIS_PBI_APBD"}), set()),
    ("DTKS decile 6", facts(sources={"dtks"}, decile=6), set()),
    ("not in DTKS", facts(decile=1), set()),
    ("panti resident, no KIS", facts(panti_resident=True), {"panti-resident-without-kis"}),
    ("P3KE household without PKH or Sembako", facts(household_programs={"P3KE"}),
     {"extreme-poor-without-pkh-or-sembako"}),
    ("P3KE household, a member has PKH", facts(household_programs={"P3KE", "PKH"}), set()),
    ("disability (PPKS 09), no device", facts(conditions={"09"}), {"disability-without-assistive-device"}),
    ("disability registration, no device", facts(proposals={"disability_registration"}),
     {"disability-without-assistive-device"}),
    ("disability with a device request", facts(conditions={"05"}, proposals={"assistive_device"}), set()),
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
