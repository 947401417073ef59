"""Household networks: persons and households (and, when asked, programs) as nodes and edges."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph_schema import api_queries
from graph_schema.port import GraphStore
from hub.errors import InputError
from hub.privacy.access import Personal, Principal, mask
from hub.privacy.disclosure import Disclosure, region_at
from resolvers.dataloaders import DataLoaders
from resolvers.scope import scope_param, scoped
from resolvers.types.household import Relation, relation_of

MAX_DEPTH = 6
MAX_NODES = 500


@strawberry.enum(description="What a network node stands for.")
class NetworkNodeKind(Enum):
    PERSON = "person"
    HOUSEHOLD = "household"
    PROGRAM = "program"


@strawberry.enum(description="What a network edge stands for.")
class NetworkEdgeKind(Enum):
    MEMBER_OF = "MEMBER_OF"  # person to household
    ENROLLED_IN = "ENROLLED_IN"  # person to program


@strawberry.type(description="A node of a network: a person, a household or a program.")
class NetworkNode:
    id: strawberry.ID = strawberry.field(description="person:<personId>, household:<keyed digest of the KK: the "
                                  "same in every request, not computable from the KK without the server's secret> "
                                  "or program:<code>.")
    kind: NetworkNodeKind
    label: str | None
    person_id: strawberry.ID | None
    kk: str | None
    decile: int | None
    region_code: str | None
    depth: int = strawberry.field(description="Hops from the start (0): a household is one hop from its members, "
                                  "a program one hop beyond its nearest enrolled person.")


@strawberry.type(description="An edge: MEMBER_OF (person to household) or ENROLLED_IN (person to program).")
class NetworkEdge:
    source: strawberry.ID
    target: strawberry.ID
    kind: NetworkEdgeKind
    relation: Relation | None = strawberry.field(description="The member's relation, on MEMBER_OF edges.")


@strawberry.type(description="A household network around a person or household; empty when the graph knows "
                 "neither the person nor the household.")
class Network:
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    truncated: bool = strawberry.field(description=f"True when the walk stopped at {MAX_NODES} nodes.")

    def person_ids(self) -> list[str]:
        return [str(n.person_id) for n in self.nodes if n.person_id]


def household_node_id(disclosure: Disclosure, kk: str) -> strawberry.ID:
    # KK numbers are personal: nodes are addressed by a keyed digest (HMAC), the KK itself is masked per role.
    return strawberry.ID("household:" + disclosure.household_id(kk))


def person_node(person_id: str, name: str | None, principal: Principal, depth: int) -> NetworkNode:
    return NetworkNode(id=strawberry.ID(f"person:{person_id}"), kind=NetworkNodeKind.PERSON,
                       label=mask(name, Personal.NAME, principal), person_id=strawberry.ID(person_id), kk=None,
                       decile=None, region_code=None, depth=depth)


def household_node(disclosure: Disclosure, kk: str, decile: int | None, region_code: str | None,
                   principal: Principal, depth: int) -> NetworkNode:
    return NetworkNode(id=household_node_id(disclosure, kk), kind=NetworkNodeKind.HOUSEHOLD, label=None,
                       person_id=None, kk=mask(kk, Personal.KK, principal), decile=decile, region_code=region_code,
                       depth=depth)


async def walk(store: GraphStore, loaders: DataLoaders, principal: Principal, person_id: str | None, kk: str | None,
               depth: int, with_programs: bool, disclosure: Disclosure) -> Network:
    """Breadth-first from the start, one query per step (person -> households -> persons ...).

    The start is looked up first: a person or KK the graph does not know gives an empty network,
    and so does one outside the key's region; the walk never steps onto a person outside it.
    For a role that does not see villages, a household's region is shown only as finely as K
    persons live there.
    """
    if (person_id is None) == (kk is None):
        raise InputError("householdNetwork: give exactly one of personId or kk")
    if kk is not None:
        principal.require_sight(Personal.KK, "householdNetwork(kk:)", "personId")
    if not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"householdNetwork: depth {depth} must be between 1 and {MAX_DEPTH}")
    nodes: dict[str, NetworkNode] = {}
    edges: dict[tuple[str, str], NetworkEdge] = {}
    persons: list[str] = []
    households: list[str] = []
    if person_id is not None:
        core = await loaders.person_core_by_id.load(person_id)
        if core is None or core.get("person") is None:
            return Network(nodes=[], edges=[], truncated=False)
        start = person_node(person_id, core["person"].get("name"), principal, 0)
        persons = [person_id]
    else:
        assert kk is not None
        row = await loaders.household_by_kk.load(kk)
        if row is None or row.get("household") is None:
            return Network(nodes=[], edges=[], truncated=False)
        if scope_param(principal) is not None and not any(  # a household none of whose members is in the region
                await loaders.person_in_scope.load_many([m["person_id"] for m in row["members"] or []])):
            return Network(nodes=[], edges=[], truncated=False)
        start = household_node(disclosure, kk, row["household"].get("decile"), row["household"].get("region_code"),
                               principal, 0)
        households = [kk]
    nodes[start.id] = start
    truncated = False
    for step in range(1, depth + 1):
        if persons:
            rows = await store.run(api_queries.HOUSEHOLDS_OF_PERSONS, {"keys": persons})
            persons, fresh = [], []
            for r in rows:
                hid = household_node_id(disclosure, r["kk"])
                if hid not in nodes:
                    nodes[hid] = household_node(disclosure, r["kk"], r["decile"], r["region_code"], principal, step)
                    fresh.append(r["kk"])
                edges[(f"person:{r['person_id']}", hid)] = NetworkEdge(
                    source=strawberry.ID(f"person:{r['person_id']}"), target=hid, kind=NetworkEdgeKind.MEMBER_OF,
                    relation=relation_of(r["relation"]))
            households = fresh
        elif households:
            rows = await store.run(scoped(principal, api_queries.MEMBERS_OF_HOUSEHOLDS,
                                          api_queries.MEMBERS_OF_HOUSEHOLDS_IN_SCOPE),
                                   {"keys": households, "scope": scope_param(principal)})
            households, fresh = [], []
            for r in rows:
                pid = f"person:{r['person_id']}"
                if pid not in nodes:
                    nodes[pid] = person_node(r["person_id"], r["name"], principal, step)
                    fresh.append(r["person_id"])
                hid = household_node_id(disclosure, r["kk"])
                edges[(pid, hid)] = NetworkEdge(source=strawberry.ID(pid), target=hid, kind=NetworkEdgeKind.MEMBER_OF,
                                                relation=relation_of(r["relation"]))
            persons = fresh
        if len(nodes) >= MAX_NODES:
            truncated = bool(persons or households)
            break
    if with_programs:
        people = {str(n.person_id): n.depth for n in nodes.values() if n.person_id}
        for r in await store.run(api_queries.PROGRAMS_OF_PERSONS, {"keys": list(people)}):
            gid = strawberry.ID(f"program:{r['program']}")
            hops = people[r["person_id"]] + 1
            program = nodes.setdefault(gid, NetworkNode(id=gid, kind=NetworkNodeKind.PROGRAM, label=r["name"],
                                                        person_id=None, kk=None, decile=None, region_code=None,
                                                        depth=hops))
            program.depth = min(program.depth, hops)
            edges[(f"person:{r['person_id']}", gid)] = NetworkEdge(
                source=strawberry.ID(f"person:{r['person_id']}"), target=gid, kind=NetworkEdgeKind.ENROLLED_IN,
                relation=None)
    if principal.quasi_masked:
        for node in nodes.values():
            if node.region_code:
                node.region_code = region_at(node.region_code,
                                             await disclosure.place_level(store, node.region_code))
    return Network(nodes=list(nodes.values()), edges=list(edges.values()), truncated=truncated)
