"""Caller mistakes come back naming what was wrong; internal failures stay masked. Over real HTTP."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest

from hub.api.keys import ApiKeys
from hub.privacy.access import Role
from hub.store import open_redis
from resolvers.caller_errors import MASKED
from tests.resolvers.conftest import Api, serve

QUEUE = "query($s: CandidateStatus, $f: Int!) { matchCandidates(status: $s, first: $f) { edges { cursor } } }"
OVERLAP = "query($p: [String!]!) { programOverlap(programs: $p) { region } }"
NETWORK = "query($w: Boolean!) { householdNetwork(kk: \"1\", withPrograms: $w) { truncated } }"

# (what is wrong, query, variables, what the message must say)
MISTAKES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("wrong enum value", QUEUE, {"s": "CLOSED", "f": 5},
     ["$s", "'CLOSED'", "'CandidateStatus' enum", "matchCandidates(status:)"]),
    ("enum value in another spelling", QUEUE, {"s": "open", "f": 5}, ["$s", "'open'", "'CandidateStatus' enum"]),
    ("string for an Int", QUEUE, {"f": "ten"}, ["$f", "Int cannot represent non-integer value: 'ten'",
                                                "matchCandidates(first:)"]),
    ("fraction for an Int", QUEUE, {"f": 2.5}, ["$f", "Int cannot represent non-integer value: 2.5"]),
    ("missing required variable", QUEUE, {}, ["$f", "non-null type 'Int!' to be provided"]),
    ("Int out of range", QUEUE, {"f": 2**40}, ["$f", "non 32-bit signed integer value: 1099511627776"]),
    ("wrong list item", OVERLAP, {"p": ["PKH", 7]}, ["$p", "at [1]", "String cannot represent a non string value: 7",
                                                     "programOverlap(programs:)"]),
    ("string for a Boolean", NETWORK, {"w": "yes"}, ["$w", "Boolean cannot represent a non boolean value: 'yes'"]),
]


@pytest.mark.parametrize(("case", "query", "variables", "says"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistaken_variable_names_itself_and_what_it_expects(api: Api, case: str, query: str,
                                                              variables: dict[str, Any], says: list[str]) -> None:
    body = api.post(query, variables).json()
    assert body["data"] is None
    (error,) = body["errors"]
    for part in says:
        assert part in error["message"], (case, error["message"])
    assert not error["message"].startswith(MASKED) and "Did you mean" not in error["message"]


LONG = "x" * 4990 + "ENDING"
SHORT = "x" * 40 + "…"
LONG_ARGUMENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("enum variable", QUEUE, {"s": LONG, "f": 5}),
    ("Int variable", QUEUE, {"f": LONG}),
    ("enum literal", "{ matchCandidates(status: " + LONG + ") { edges { cursor } } }", {}),
    ("Int literal", "{ matchCandidates(first: \"" + LONG + "\") { edges { cursor } } }", {}),
    ("argument name", "{ matchCandidates(" + LONG + ": 1) { edges { cursor } } }", {}),
    ("field name", "{ " + LONG + " }", {}),
    ("nik", "query($n: String) { person(nik: $n) { personId } }", {"n": LONG}),
    ("cursor", "query($a: String) { matchCandidates(after: $a) { edges { cursor } } }", {"a": LONG}),
    ("region", "query($r: String) { searchPersons(region: $r) { edges { cursor } } }", {"r": LONG}),
    ("program", "query($p: String!) { programCoverage(program: $p) { persons } }", {"p": LONG}),
]


@pytest.mark.parametrize(("case", "query", "variables"), LONG_ARGUMENTS, ids=[a[0] for a in LONG_ARGUMENTS])
def test_a_long_argument_is_quoted_as_a_short_prefix(api: Api, case: str, query: str,
                                                     variables: dict[str, Any]) -> None:
    (error,) = api.post(query, variables).json()["errors"]
    message = error["message"]
    # A string argument past the length limit is refused without being quoted at all.
    assert SHORT in message or "at most 1,000 are accepted" in message, (case, message)
    assert "x" * 41 not in message and "ENDING" not in message, (case, message)
    assert len(message) < 250 and not message.startswith(MASKED), (case, message)


@pytest.mark.falkordb_only("breaks the graph by overwriting its Redis key with a string (WRONGTYPE on every "
                           "query, the ping still answering): only a Redis-hosted graph can be broken so; the "
                           "masking it checks is the same code on either backend")
def test_an_internal_failure_is_masked_and_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """A statement that fails on the graph server: its message names the server and the statement."""
    broken = replace(api.settings, graph_name=api.settings.graph_name + "_broken")

    async def break_the_graph() -> str:  # a plain string where the graph was: every query fails on the server
        redis = await open_redis(broken)
        try:
            await redis.set(broken.graph_name, "not a graph")
            return (await ApiKeys(redis, broken.graph_name).create(Role.ADMIN, "broken graph"))[1]
        finally:
            await redis.aclose()

    key = asyncio.run(break_the_graph())
    served = serve(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="hub.api"):
            body = httpx.post(served.url, json={"query": "query($p: ID) { person(personId: $p) { personId } }",
                                                "variables": {"p": "PRS-1"}},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
    finally:
        served.stop()
    assert body["data"] == {"person": None}
    (error,) = body["errors"]
    assert error["message"].startswith(MASKED + " (id ") and error["path"] == ["person"]
    incident = error["message"].split("(id ")[1].split(")")[0]
    text = str(body)
    for leak in ("127.0.0.1", str(broken.db_port), "MATCH", "UNWIND", broken.graph_name, "WRONGTYPE", "Traceback"):
        assert leak not in text, leak
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)

