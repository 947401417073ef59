"""Household networks: persons and households (and, when asked, programs) as nodes and edges."""

from __future__ import annotations

import hashlib

import strawberry

from graph_schema import api_queries
from graph_schema.port import GraphStore
from hub.api.access import Personal, Principal, mask
from hub.errors import InputError

MAX_DEPTH = 6
MAX_NODES = 500


@strawberry.type(description="A node of a network: a person, a household or a program.")
class NetworkNode:
    id: strawberry.ID = strawberry.field(description="person:<personId>, household:<digest of KK> or program:<code>.")
    kind: str
    label: str | None
    person_id: strawberry.ID | None
    kk: str | None
    decile: int | None
    region_code: str | None
    depth: int


@strawberry.type(description="An edge: MEMBER_OF (person to household) or ENROLLED_IN (person to program).")
class NetworkEdge:
    source: strawberry.ID
    target: strawberry.ID
    kind: str
    relation: str | None


@strawberry.type(description="A household network around a person or household.")
class Network:
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    truncated: bool = strawberry.field(description=f"True when the walk stopped at {MAX_NODES} nodes.")

    def person_ids(self) -> list[str]:
        return [str(n.person_id) for n in self.nodes if n.person_id]


def household_node_id(kk: str) -> strawberry.ID:
    # KK numbers are personal: nodes are addressed by a digest, the KK itself is masked per role.
    return strawberry.ID("household:" + hashlib.sha256(kk.encode()).hexdigest()[:16])


async def walk(store: GraphStore, principal: Principal, person_id: str | None, kk: str | None, depth: int,
               with_programs: bool) -> Network:
    """Breadth-first from the start, one query per step (person -> households -> persons ...)."""
    if (person_id is None) == (kk is None):
        raise InputError("householdNetwork: give exactly one of personId or kk")
    if not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"householdNetwork: depth {depth} must be between 1 and {MAX_DEPTH}")
    nodes: dict[str, NetworkNode] = {}
    edges: dict[tuple[str, str], NetworkEdge] = {}
    persons = [person_id] if person_id else []
    households = [kk] if kk else []
    if person_id:
        nodes[f"person:{person_id}"] = NetworkNode(id=strawberry.ID(f"person:{person_id}"), kind="person", label=None,
                                                   person_id=strawberry.ID(person_id), kk=None, decile=None,
                                                   region_code=None, depth=0)
    truncated = False
    for step in range(1, depth + 1):
        if persons:
            rows = await store.run(api_queries.HOUSEHOLDS_OF_PERSONS, {"keys": persons})
            persons, fresh = [], []
            for r in rows:
                node = nodes.get(f"person:{r['person_id']}")
                if node is not None and node.label is None:
                    node.label = r["name"]
                hid = household_node_id(r["kk"])
                if hid not in nodes:
                    nodes[hid] = NetworkNode(id=hid, kind="household", label=None, person_id=None,
                                             kk=mask(r["kk"], Personal.NIK, principal), decile=r["decile"],
                                             region_code=r["region_code"], depth=step)
                    fresh.append(r["kk"])
                edges[(f"person:{r['person_id']}", hid)] = NetworkEdge(
                    source=strawberry.ID(f"person:{r['person_id']}"), target=hid, kind="MEMBER_OF",
                    relation=r["relation"])
            households = fresh
        elif households:
            rows = await store.run(api_queries.MEMBERS_OF_HOUSEHOLDS, {"keys": households})
            if kk and step == 1:
                hid = household_node_id(kk)
                nodes.setdefault(hid, NetworkNode(id=hid, kind="household", label=None, person_id=None,
                                                  kk=mask(kk, Personal.NIK, principal), decile=None,
                                                  region_code=None, depth=0))
            households, fresh = [], []
            for r in rows:
                pid = f"person:{r['person_id']}"
                if pid not in nodes:
                    nodes[pid] = NetworkNode(id=strawberry.ID(pid), kind="person", label=r["name"],
                                             person_id=strawberry.ID(r["person_id"]), kk=None, decile=None,
                                             region_code=None, depth=step)
                    fresh.append(r["person_id"])
                hid = household_node_id(r["kk"])
                edges[(pid, hid)] = NetworkEdge(source=strawberry.ID(pid), target=hid, kind="MEMBER_OF",
                                                relation=r["relation"])
            persons = fresh
        if len(nodes) >= MAX_NODES:
            truncated = bool(persons or households)
            break
    if with_programs:
        person_ids = [str(n.person_id) for n in nodes.values() if n.person_id]
        for r in await store.run(api_queries.PROGRAMS_OF_PERSONS, {"keys": person_ids}):
            gid = strawberry.ID(f"program:{r['program']}")
            nodes.setdefault(gid, NetworkNode(id=gid, kind="program", label=r["name"], person_id=None, kk=None,
                                              decile=None, region_code=None, depth=-1))
            edges[(f"person:{r['person_id']}", gid)] = NetworkEdge(
                source=strawberry.ID(f"person:{r['person_id']}"), target=gid, kind="ENROLLED_IN", relation=None)
    return Network(nodes=list(nodes.values()), edges=list(edges.values()), truncated=truncated)
