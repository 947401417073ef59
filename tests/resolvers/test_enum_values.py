"""Every value the API returns for an enum-typed field is one of the schema's enum values."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLSchema, build_schema, get_named_type

from loaders.mapping import FactType, mapping_for, shipped_sources
from resolvers.schema import SCHEMA
from resolvers.types.events import EventKind
from resolvers.types.household import Relation
from tests.resolvers.conftest import Api

HISTORY = """query($p: ID) { person(personId: $p) { events { kind date } records { method }
  household { members { relation } } } }"""
QUEUE = """query($s: CandidateStatus) { matchCandidates(status: $s, first: 100) { edges { node {
  candidateId status decision history { decision by at reason } } } } }"""
JUDGE = """mutation($c: ID!, $d: Decision!) { judgeMatch(candidateId: $c, decision: $d, reason: "looked at it") {
  ok decision } }"""
NETWORK = """query($p: ID) { householdNetwork(personId: $p, depth: 3, withPrograms: true) {
  nodes { id kind depth } edges { kind relation } } }"""


def enum_values(schema: GraphQLSchema, type_name: str, data: Any) -> Iterator[tuple[str, str, Any]]:
    """(type, field, value) of every enum-typed field in ``data`` (a response without aliases)."""
    parent = schema.get_type(type_name)
    assert isinstance(parent, GraphQLObjectType)
    items = data if isinstance(data, list) else [data]
    for item in items:
        if item is None:
            continue
        for name, value in item.items():
            field_type = get_named_type(parent.fields[name].type)
            if isinstance(field_type, GraphQLEnumType):
                for one in value if isinstance(value, list) else [value]:
                    if one is not None:
                        yield type_name, name, one
            elif isinstance(field_type, GraphQLObjectType) and value is not None:
                yield from enum_values(schema, field_type.name, value)


def test_enum_fields_carry_the_schemas_values(api: Api) -> None:
    schema = build_schema(SCHEMA.as_str())
    (busy,) = asyncio.run(api.cypher(
        "MATCH (e:ServiceEvent)-[:ABOUT]->(p:Person) WHERE e.kind <> 'attendance' "
        "WITH p, collect(DISTINCT e.kind) AS kinds RETURN p.person_id AS person_id "
        "ORDER BY size(kinds) DESC, person_id LIMIT 1"))
    (member,) = asyncio.run(api.cypher(
        "MATCH (p:Person)-[:MEMBER_OF]->(:Household), (p)-[:ENROLLED_IN]->(:Program) "
        "RETURN p.person_id AS person_id ORDER BY person_id LIMIT 1"))
    candidates = api.data_of(QUEUE, {"s": "OPEN"})["matchCandidates"]["edges"]
    judged = api.data_of(JUDGE, {"c": candidates[-1]["node"]["candidateId"], "d": "UNSURE"})
    responses = [("Query", api.data_of(HISTORY, {"p": busy["person_id"]})),
                 ("Query", api.data_of(HISTORY, {"p": member["person_id"]})),
                 ("Query", api.data_of(QUEUE, {"s": "OPEN"})), ("Query", api.data_of(QUEUE, {"s": "DECIDED"})),
                 ("Query", api.data_of(NETWORK, {"p": member["person_id"]})), ("Mutation", judged)]
    seen: dict[tuple[str, str], set[Any]] = {}
    for root, data in responses:
        for type_name, field, value in enum_values(schema, root, data):
            enum = get_named_type(schema.get_type(type_name).fields[field].type)  # type: ignore[union-attr]
            assert isinstance(enum, GraphQLEnumType)
            assert value in enum.values, (type_name, field, value)
            seen.setdefault((type_name, field), set()).add(value)
    # Every enum-typed field these queries ask was seen with a value: the walk is not vacuous.
    assert set(seen) == {("ServiceEvent", "kind"), ("MatchCandidate", "status"), ("MatchCandidate", "decision"),
                         ("Verdict", "decision"), ("NetworkNode", "kind"), ("NetworkEdge", "kind"),
                         ("NetworkEdge", "relation"), ("JudgeResult", "decision"), ("LinkedRecord", "method"),
                         ("HouseholdMember", "relation")}, seen
    assert seen[("MatchCandidate", "status")] == {"OPEN", "DECIDED"}
    assert {"PERSON", "HOUSEHOLD", "PROGRAM"} == seen[("NetworkNode", "kind")]
    assert len(seen[("ServiceEvent", "kind")]) >= 2


def test_the_closed_sets_the_schema_documents_are_enums() -> None:
    schema = build_schema(SCHEMA.as_str())
    for type_name, field in [("ServiceEvent", "kind"), ("MatchCandidate", "status"), ("MatchCandidate", "decision"),
                             ("NetworkNode", "kind"), ("NetworkEdge", "kind"), ("NetworkEdge", "relation"),
                             ("Verdict", "decision"), ("LinkedRecord", "method"), ("HouseholdMember", "relation")]:
        parent = schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType)
        assert isinstance(get_named_type(parent.fields[field].type), GraphQLEnumType), (type_name, field)


def test_every_event_kind_a_source_writes_is_an_event_kind() -> None:
    # Attendance rows are summarised on panti stays, never listed as events.
    written = {fact.values()["kind"] for source in shipped_sources() for fact in mapping_for(source).facts
               if fact.type == FactType.EVENT} - {"attendance"}
    assert written and written <= {k.value for k in EventKind}, written - {k.value for k in EventKind}


def test_every_relation_a_source_writes_is_a_relation() -> None:
    written = {code for source in shipped_sources() for name, spec in mapping_for(source).fields.items()
               if name == "relation" for code in spec.codes.values()}
    assert written and written <= {r.value for r in Relation}, written - {r.value for r in Relation}
