"""The graph server killed (SIGKILL) under the running API, on a server of this module's own:
the API answers clean, masked 503s while it is gone and serves again once it is back, without
the app being restarted; verdicts sent through the API while it dies are whole once the app
sends again what got no answer; a load killed half way leaves no partial record and, run
again, ends as an uninterrupted load."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_schema.port import GraphStore
from hub.embedded_db import HOST, EmbeddedServer
from hub.errors import GraphTimeout
from hub.privacy.access import Role
from hub.settings import Settings
from hub.store import open_store
from loaders.mapping import mapping_for
from loaders.run import load_file
from tests.conftest import NEO4J_USER, free_port
from tests.resolvers.conftest import build_world, serve, settings_for

LOOKUP = "query($p: ID) { person(personId: $p) { personId records { source } } }"
JUDGE = "mutation($c: ID!, $d: Decision!) { judgeMatch(candidateId: $c, decision: $d, reason: \"fault test\") { ok } }"
LEAKS = ("127.0.0.1", "Connection refused", "FalkorDB", "redis", "Redis", "MATCH", "Traceback")


@dataclass
class World:
    server: EmbeddedServer
    settings: Settings
    keys: dict[Role, str]
    showcase: dict[str, Any]
    data: Path
    work: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, population: Path, trained_model: Path) -> Iterator[World]:
    """The shared population linked (with the session's model) on a FalkorDB server of this module's own,
    the one these tests kill."""
    work = tmp_path_factory.mktemp("faults")
    server = EmbeddedServer(work / "db", free_port())
    server.start()
    settings = replace(settings_for(server, work / "hub", "faults", "production"), rate_per_second=10_000,
                       rate_burst=10_000)
    keys, showcase = asyncio.run(build_world(settings, population, work, trained_model))
    yield World(server, settings, keys, showcase, population, work)
    server.stop()


async def cypher(settings: Settings, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    store = await open_store(settings, autostart=False)
    try:
        return await store.run(query, params)
    finally:
        await store.close()


def assert_clean_503(reply: httpx.Response) -> None:
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5", (reply.status_code, reply.text[:300])
    (error,) = reply.json()["errors"]
    assert error["message"].startswith("internal error (id ") and "service unavailable" in error["message"]
    for leak in LEAKS:
        assert leak not in reply.text, leak


SLOW_MACHINE_S = 180  # how long a step may take on a loaded machine before the test gives up


def served(replies: list[tuple[float, httpx.Response]], *, before: float | None = None,
           after: float | None = None) -> list[httpx.Response]:
    """The replies that carried data, landed before or after a moment."""
    return [r for at, r in list(replies) if (before is None or at < before) and (after is None or at > after)
            and r.status_code == 200 and "errors" not in r.json()]


def wait_for(done: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + SLOW_MACHINE_S
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{failure} within {SLOW_MACHINE_S} s")
        time.sleep(0.05)


def test_a_killed_graph_gives_clean_503s_and_the_same_app_serves_again_when_it_is_back(world: World) -> None:
    app = serve(world.settings)
    replies: list[tuple[float, httpx.Response]] = []
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {world.keys[Role.ADMIN]}"}) as client:
            while not stop.is_set():
                try:
                    reply = client.post(app.url, json={"query": LOOKUP,
                                                       "variables": {"p": world.showcase["person_id"]}})
                except httpx.HTTPError as exc:  # never: the app itself stays up
                    raise AssertionError(f"the app did not answer: {exc}") from exc
                replies.append((time.monotonic(), reply))

    askers = [threading.Thread(target=ask) for _ in range(3)]
    try:
        for asker in askers:
            asker.start()
        # A loaded machine may take long to answer the first requests: kill only once some were served
        # (and landed well before the kill), and bring the graph back only once some were answered without it.
        wait_for(lambda: len(served(replies, before=time.monotonic() - 0.3)) >= 5, "no request succeeded before "
                 "the kill")
        world.server.kill()
        killed_at = time.monotonic()
        wait_for(lambda: time.monotonic() > killed_at + 2 and sum(
            killed_at + 0.2 < at < time.monotonic() - 0.3 for at, _ in list(replies)) >= 3,
            "no request was answered while the graph was gone")
        world.server.start()
        back_at = time.monotonic()
        wait_for(lambda: bool(served(replies, after=back_at)), "no request succeeded once the graph was back")
        time.sleep(0.5)
    finally:
        stop.set()
        for asker in askers:
            asker.join(timeout=60)
        app.stop()
    before = [r for at, r in replies if at < killed_at - 0.2]
    while_gone = [r for at, r in replies if killed_at + 0.2 < at < back_at - 0.2]
    after = [r for at, r in replies if at > back_at]
    assert before and all(r.status_code == 200 and "errors" not in r.json() for r in before)
    assert while_gone, "no request was answered while the graph was gone"
    for reply in while_gone:
        assert_clean_503(reply)
    answered = [r for r in after if r.status_code == 200 and "errors" not in r.json()]
    assert answered and answered[-1].json()["data"]["person"]["personId"] == world.showcase["person_id"]
    assert all(r.status_code in (200, 503) for r in after)


def persons_of_records(settings: Settings) -> dict[str, str]:
    rows = asyncio.run(cypher(settings, "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) "
                                        "RETURN s.record_id AS r, p.person_id AS p"))
    return {row["r"]: row["p"] for row in rows}


def test_verdicts_sent_while_the_graph_dies_are_whole_once_sent_again(world: World) -> None:
    # Candidates whose persons are pairwise apart, so that the alternating verdicts below cannot contradict
    # one another (a SAME joining two persons that another candidate's DIFFERENT keeps apart).
    open_candidates = asyncio.run(cypher(
        world.settings, "MATCH (c:MatchCandidate)-[:COMPARES]->(s:SourceRecord) WHERE c.decision IS NULL "
                        "RETURN c.candidate_id AS c, collect(s.record_id) AS records ORDER BY c"))
    before = persons_of_records(world.settings)
    candidates: list[str] = []
    taken: set[str | None] = set()
    for row in open_candidates:
        records = row["records"]
        involved = {before.get(r) for r in records}
        if records and None not in involved and not involved & taken:
            candidates.append(row["c"])
            taken |= involved
    assert len(candidates) >= 6, "the world needs open candidates"
    app = serve(world.settings)
    answered: dict[str, str] = {}
    unanswered: list[str] = []

    def judge(client: httpx.Client, candidate: str, decision: str) -> bool:
        reply = client.post(app.url, json={"query": JUDGE, "variables": {"c": candidate, "d": decision}})
        if reply.status_code == 503:
            assert_clean_503(reply)
            return False
        body = reply.json()
        assert reply.status_code == 200 and not body.get("errors") and body["data"]["judgeMatch"]["ok"], body
        return True

    decisions = {c: ("SAME" if i % 2 else "DIFFERENT") for i, c in enumerate(candidates)}
    try:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {world.keys[Role.STEWARD]}"}) as client:
            killer = threading.Timer(0.3, world.server.kill)
            killer.start()
            for candidate, decision in decisions.items():
                (answered.__setitem__(candidate, decision) if judge(client, candidate, decision)
                 else unanswered.append(candidate))
            killer.join()
            world.server.start()
            for candidate in unanswered:  # what an app does with a 503: send it again
                assert judge(client, candidate, decisions[candidate]), candidate
    finally:
        app.stop()
    assert unanswered, "the graph died after every verdict: not a kill during writes"
    persons = persons_of_records(world.settings)
    sides = asyncio.run(cypher(world.settings, "MATCH (c:MatchCandidate) WHERE c.candidate_id IN $ids "
                                               "RETURN c.candidate_id AS c, c.decision AS d, c.left_records AS l, "
                                               "c.right_records AS r", {"ids": candidates}))
    assert {s["c"]: s["d"] for s in sides} == decisions
    for side in sides:
        left, right = {persons[r] for r in side["l"]}, {persons[r] for r in side["r"]}
        if side["d"] == "SAME":
            assert left == right and len(left) == 1, side["c"]
        else:
            assert not left & right, side["c"]


def record_shape(settings: Settings, graph: str) -> tuple[dict[str, int], int]:
    """Per set of property keys, how many records have exactly it; and the household links."""
    rows = asyncio.run(cypher(replace(settings, graph_name=graph),
                              "MATCH (s:SourceRecord) OPTIONAL MATCH (s)-[m]->(:Household) "
                              "RETURN keys(s) AS k, count(m) AS links"))
    shapes: dict[str, int] = {}
    for row in rows:
        name = ",".join(sorted(row["k"]))
        shapes[name] = shapes.get(name, 0) + 1
    return shapes, sum(int(r["links"]) for r in rows)


def test_a_load_killed_half_way_leaves_no_partial_record_and_ends_whole_when_run_again(world: World) -> None:
    source = "dtks"
    path = world.data / f"{source}.csv"
    reference, victim = f"ref_{uuid.uuid4().hex[:6]}", f"cut_{uuid.uuid4().hex[:6]}"

    async def load(graph: str, batch_size: int) -> Any:
        store: GraphStore = await open_store(replace(world.settings, graph_name=graph), autostart=False)
        try:
            await store.ensure_schema("2026-01-01T00:00:00+00:00")
            return await load_file(store, mapping_for(source), path, world.work / graph, batch_size=batch_size)
        finally:
            await store.close()

    whole = asyncio.run(load(reference, 200))
    assert whole.reconciled and whole.loaded > 400
    failed: list[BaseException] = []

    def cut_load() -> None:
        try:
            asyncio.run(load(victim, 200))
        except Exception as exc:  # the server goes away under it
            failed.append(exc)

    loader = threading.Thread(target=cut_load)
    loader.start()
    deadline = time.monotonic() + 120
    count = "MATCH (s:SourceRecord) RETURN count(s) AS n"
    while time.monotonic() < deadline and loader.is_alive():
        rows = asyncio.run(cypher(replace(world.settings, graph_name=victim), count))
        if rows and rows[0]["n"] > 0:
            break
        time.sleep(0.01)
    world.server.kill()
    loader.join(timeout=120)
    world.server.start()
    assert failed, "the load finished before the kill: not a kill during a load"
    reference_shapes, _ = record_shape(world.settings, reference)
    cut_shapes, _ = record_shape(world.settings, victim)
    assert set(cut_shapes) <= set(reference_shapes), "a record is missing properties a whole load writes"
    assert sum(cut_shapes.values()) < sum(reference_shapes.values())
    again = asyncio.run(load(victim, 200))
    assert again.reconciled and again.rows_read == whole.rows_read
    assert record_shape(world.settings, victim) == record_shape(world.settings, reference)


HEAVY_READ = ("UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b WITH a, b WHERE (a * b) % 7 = 3 "
              "RETURN count(*) AS n")


async def test_each_backend_stops_a_read_past_the_timeout_on_the_server(backend: str,
                                                                        falkordb_server: EmbeddedServer,
                                                                        request: pytest.FixtureRequest) -> None:
    """The timeout is the engine's own (FalkorDB's TIMEOUT, Neo4j's transaction timeout), not the client
    giving up: the adapter turns it into GraphTimeout, which the API answers with 504."""
    store: GraphStore
    if backend == "falkordb":
        from graph_schema.falkordb_store import FalkorDBStore

        store = FalkorDBStore(HOST, falkordb_server.port, f"timeout_{uuid.uuid4().hex[:8]}", query_timeout_ms=50)
        await store.run("CREATE (:Seed)", write=True)  # a read of a graph that does not exist returns at once
    else:
        from graph_schema.neo4j_store import Neo4jStore

        store = Neo4jStore(request.getfixturevalue("neo4j_store_uri"), NEO4J_USER,
                           request.getfixturevalue("neo4j_pool").password, query_timeout_ms=50)
    try:
        started = time.monotonic()
        with pytest.raises(GraphTimeout, match="ran past 50 ms and was stopped"):
            await store.run(HEAVY_READ)
        assert time.monotonic() - started < 5
    finally:
        if backend == "falkordb":
            await store.clear()
        await store.close()
