"""The graph server killed with SIGKILL (a power cut) during a match and during API writes: it
comes back, and what it holds is whole: a match run again links as if never interrupted, an
acknowledged verdict older than a second is kept, and no verdict is left half applied."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from hub.embedded_db import HOST, EmbeddedServer
from hub.synth.config import SynthConfig
from hub.synth.run import synthesize
from tests.conftest import free_port, use_model

HUB = [sys.executable, "-m", "hub.cli"]
JUDGE = ("mutation($id: ID!, $d: Decision!) { judgeMatch(candidateId: $id, decision: $d, reason: \"crash test\") "
         "{ ok message } }")


@dataclass(frozen=True)
class Site:
    server: EmbeddedServer
    home: Path
    data: Path

    def env(self, graph: str) -> dict[str, str]:
        return {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
                "HUB_HOME": str(self.home), "HUB_DATA_DIR": str(self.server.data_dir),
                "HUB_DB_PORT": str(self.server.port), "HUB_GRAPH_NAME": graph}

    def hub(self, graph: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HUB, *args], env=self.env(graph), capture_output=True, text=True, timeout=600,
                              check=False)

    def query(self, graph: str, cypher: str) -> list[list[object]]:
        client = redis.Redis(host=HOST, port=self.server.port, decode_responses=True)
        try:
            return list(client.execute_command("GRAPH.RO_QUERY", graph, cypher)[1])  # type: ignore[no-untyped-call]
        except redis.ResponseError:
            return []  # no such graph yet
        finally:
            client.close()

    def loaded_and_linked(self, graph: str) -> None:
        # Loaded without linking, so that `hub match` (the full run) does the linking being tested.
        assert self.hub(graph, "load-dir", "--no-link", str(self.data)).returncode == 0
        model = self.home / "models"
        if graph != "clean" and (model / "clean.splink.json").exists():  # the same model everywhere: the same links
            shutil.copy(model / "clean.splink.json", model / f"{graph}.splink.json")
        linked = self.hub(graph, "match")
        assert linked.returncode == 0, linked.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("crash")
    synthesize(SynthConfig(persons=8000, seed=11, xlsx=False), root / "data", workers=1)
    server = EmbeddedServer(root / "db", free_port())
    server.start()
    found = Site(server, root / "hub", root / "data")
    use_model(trained_model, found.home / "models" / "clean.splink.json")  # these tests kill linking, not training
    found.loaded_and_linked("clean")  # the uninterrupted reference
    yield found
    server.stop()


def persons_of_records(site: Site, graph: str) -> dict[str, str]:
    return {str(record): str(person) for record, person in site.query(
        graph, "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) RETURN s.record_id, p.person_id")}


def partition(site: Site, graph: str) -> set[frozenset[str]]:
    """The records grouped by their person, whatever the persons' ids."""
    groups: dict[str, set[str]] = {}
    for record, person in persons_of_records(site, graph).items():
        groups.setdefault(person, set()).add(record)
    return {frozenset(records) for records in groups.values()}


def every_record_resolves_once(site: Site, graph: str) -> bool:
    rows = site.query(graph, "MATCH (s:SourceRecord) OPTIONAL MATCH (s)-[r:RESOLVES_TO]->(:Person) "
                             "WITH s, count(r) AS links WHERE links <> 1 RETURN count(s)")
    return rows == [[0]]


@pytest.mark.slow
def test_server_killed_during_a_match_then_match_again_links_as_if_never_killed(site: Site) -> None:
    assert site.hub("victim", "load-dir", "--no-link", str(site.data)).returncode == 0
    shutil.copy(site.home / "models" / "clean.splink.json", site.home / "models" / "victim.splink.json")
    match = subprocess.Popen([*HUB, "match"], env=site.env("victim"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while site.query("victim", "MATCH (p:Person) RETURN count(p)") in ([], [[0]]) and time.monotonic() < deadline:
        assert match.poll() is None, "the match ended before it wrote anything"
        time.sleep(0.005)
    site.server.kill()  # as soon as the match has begun writing persons
    _, said = match.communicate(timeout=120)
    assert match.returncode != 0, "the match finished before the kill: not a kill during a match"
    assert "Traceback" not in said and len([line for line in said.splitlines() if line.strip()]) <= 3, said

    again = site.hub("victim", "match")  # starts the server: it reads the writes back first
    assert again.returncode == 0, again.stderr
    assert every_record_resolves_once(site, "victim")
    linked = partition(site, "victim")
    assert sum(len(g) for g in linked) > 7000 and any(len(g) > 1 for g in linked)
    assert linked == partition(site, "clean")


@pytest.mark.slow
def test_server_killed_during_api_writes_keeps_each_verdict_whole(site: Site) -> None:
    site.loaded_and_linked("judged")
    created = site.hub("judged", "keys", "create", "--role", "admin", "--name", "crash test")
    key = created.stdout.strip().splitlines()[-1]
    candidates = [str(r[0]) for r in site.query(
        "judged", "MATCH (c:MatchCandidate) WHERE c.decision IS NULL RETURN c.candidate_id ORDER BY c.candidate_id")]
    assert len(candidates) >= 20
    port = free_port()
    serve = subprocess.Popen([*HUB, "serve", "--port", str(port)], env=site.env("judged"), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    acked: dict[str, tuple[str, float]] = {}
    failed: list[str] = []
    stop = threading.Event()

    def judge_all() -> None:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
            for i, candidate in enumerate(candidates):
                decision = "SAME" if i % 2 else "DIFFERENT"
                try:
                    reply = client.post(f"http://127.0.0.1:{port}/graphql",
                                        json={"query": JUDGE, "variables": {"id": candidate, "d": decision}})
                    body = reply.json()
                except (httpx.HTTPError, json.JSONDecodeError):
                    failed.append(candidate)
                    continue
                assert "Traceback" not in reply.text
                if reply.status_code == 200 and not body.get("errors") and body["data"]["judgeMatch"]["ok"]:
                    acked[candidate] = (decision, time.monotonic())
                else:
                    failed.append(candidate)
                if stop.is_set():
                    return

    try:
        assert serve.stdout is not None and serve.stdout.readline().startswith("serving")
        writer = threading.Thread(target=judge_all)
        writer.start()
        deadline = time.monotonic() + 120
        while len(acked) < 8 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        site.server.kill()  # a verdict in flight, most likely
        killed_at = time.monotonic()
        time.sleep(1)
        stop.set()
        writer.join(timeout=120)
    finally:
        serve.terminate()
        serve.communicate(timeout=60)
    before_kill = {c: d for c, (d, at) in acked.items() if at < killed_at}
    assert len(before_kill) >= 8 and failed, (len(acked), failed)

    site.server.start()
    kept = {str(c): str(d) for c, d in site.query("judged", "MATCH (c:MatchCandidate) WHERE c.decision IS NOT NULL "
                                                            "RETURN c.candidate_id, c.decision")}
    for candidate, (decision, at) in acked.items():
        if at < killed_at - 1:  # everysec: at most the last second of writes may be lost
            assert kept.get(candidate) == decision, candidate
    # The app sends again what it got no answer for; then every verdict holds whole.
    in_flight = failed[0]
    decision = "SAME" if candidates.index(in_flight) % 2 else "DIFFERENT"
    retried = site.hub("judged", "judge", in_flight, decision, "--by", "crash test", "--reason", "sent again")
    assert retried.returncode == 0, retried.stderr
    assert every_record_resolves_once(site, "judged")
    persons = persons_of_records(site, "judged")
    sides: dict[tuple[str, str], dict[str, set[str]]] = {}
    for judged_id, verdict, side, record in site.query(
            "judged", "MATCH (c:MatchCandidate) WHERE c.decision IS NOT NULL "
                      "UNWIND [['left', c.left_records], ['right', c.right_records]] AS pair "
                      "UNWIND pair[1] AS record RETURN c.candidate_id, c.decision, pair[0], record"):
        sides.setdefault((str(judged_id), str(verdict)), {"left": set(), "right": set()})[str(side)].add(
            persons[str(record)])
    assert len(sides) >= len(before_kill)
    for (judged_id, verdict), by_side in sides.items():
        left_persons, right_persons = by_side["left"], by_side["right"]
        if verdict == "SAME":
            assert left_persons == right_persons and len(left_persons) == 1, judged_id
        elif verdict == "DIFFERENT":
            assert not left_persons & right_persons, judged_id
