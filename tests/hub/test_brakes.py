"""The API's brakes, attacked over real HTTP: rates, key guessing, body size, string length,
query cost, query timeout, the caller's own mistakes (no engine text, no suggestions) and
several operations in one request. Each brake is served with a tight setting of its own
(``serve`` over the same graph and keys), so the attack takes a few requests."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest

from hub.privacy.access import Role
from hub.privacy.audit import Action, AuditLog, Outcome
from hub.settings import Settings
from hub.store import open_redis
from resolvers.caller_errors import MASKED
from tests.resolvers.conftest import Api, serve

PERSON = "query($n: String) { person(nik: $n) { personId } }"
COVERAGE = 'a{i}: programCoverage(program: "PKH") {{ region {{ code }} enrolled }}'
ENGINE_TEXT = ("127.0.0.1", "MATCH", "RETURN", "UNWIND", "RediSearch", "Syntax error", "errMsg", "Traceback",
               "falkordb", "FalkorDB", "redis")


@contextmanager
def served(api: Api, **changes: Any) -> Iterator[str]:
    """The same graph and keys behind an app with ``changes`` to its settings; its URL."""
    settings = replace(api.settings, **changes)
    app = serve(settings)
    try:
        yield app.url
    finally:
        app.stop()
        asyncio.run(forget(settings, f"{settings.graph_name}:limits*"))


async def forget(settings: Settings, pattern: str) -> None:
    """Delete the world's Redis keys matching ``pattern``."""
    redis = await open_redis(settings)
    try:
        for key in [k async for k in redis.scan_iter(pattern)]:
            await redis.delete(key)
    finally:
        await redis.aclose()


def post(url: str, key: str, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    return httpx.post(url, json={"query": query, "variables": variables or {}, **extra},
                      headers={"Authorization": f"Bearer {key}"}, timeout=60)


def only_error(response: httpx.Response) -> str:
    (error,) = response.json()["errors"]
    message: str = error["message"]
    return message


def test_a_burst_past_the_key_rate_gets_429_with_retry_after(api: Api) -> None:
    with served(api, rate_per_second=1, rate_burst=5) as url:
        replies = [post(url, api.keys[Role.ANALYST], PERSON, {"n": "3374010101010001"}) for _ in range(8)]
        other_key = post(url, api.keys[Role.STEWARD], "{ matchCandidates(first: 1) { edges { cursor } } }")
    assert [r.status_code for r in replies[:5]] == [200] * 5
    refused = replies[5:]
    assert all(r.status_code == 429 for r in refused), [r.status_code for r in refused]
    assert all(1 <= int(r.headers["Retry-After"]) <= 5 for r in refused)
    assert "too many requests with this key" in only_error(refused[0])
    assert other_key.status_code == 200, "a key's rate is its own"


def test_guessing_keys_is_slowed_per_address_and_each_failure_is_audited(api: Api) -> None:
    guesses = [f"khub_deadbe{i:02d}_notasecretatall{i}" for i in range(3)]
    with served(api, failed_keys_per_minute=3) as url:
        answers = [post(url, guess, PERSON) for guess in guesses]
        blocked = post(url, "khub_deadbeef_onemoreguess", PERSON)
        even_a_good_key = post(url, api.keys[Role.ADMIN], PERSON, {"n": "3374010101010001"})
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "too many unknown API keys from this address" in only_error(blocked)
    assert even_a_good_key.status_code == 429, "the address is refused before any key is looked up"
    failures = [e for e in AuditLog.of(api.settings).latest(200) if e.action == Action.SIGN_IN]
    for guess in guesses:
        (entry,) = [e for e in failures if e.key_id and guess.startswith(e.key_id.rstrip("…"))]
        assert entry.outcome == Outcome.REFUSED and entry.client == "127.0.0.1"
        assert guess.rsplit("_", 1)[1] not in json.dumps(entry.__dict__), "the secret part is never logged"


def test_a_body_over_the_limit_is_refused_with_413_declared_or_streamed(api: Api) -> None:
    big = json.dumps({"query": PERSON, "variables": {"n": "1" * 20_000}}).encode()
    headers = {"Authorization": f"Bearer {api.keys[Role.ADMIN]}", "Content-Type": "application/json"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while the body streams in
        for start in range(0, len(big), 1_000):
            yield big[start:start + 1_000]

    with served(api, max_body_bytes=10_000) as url:
        declared = httpx.post(url, content=big, headers=headers, timeout=60)
        streamed = httpx.post(url, content=chunks(), headers=headers, timeout=60)
        small = post(url, api.keys[Role.ADMIN], PERSON, {"n": "3374010101010001"})
    for reply in (declared, streamed):
        assert reply.status_code == 413
        assert only_error(reply) == "the request body is over the 10,000 bytes a request may carry"
    assert small.status_code == 200 and "errors" not in small.json()


def test_long_strings_are_refused_naming_the_argument_and_nothing_is_stored(api: Api) -> None:
    (candidate,) = asyncio.run(api.cypher("MATCH (c:MatchCandidate) WHERE c.decision IS NULL "
                                          "RETURN c.candidate_id AS id ORDER BY id LIMIT 1"))
    judge = ("mutation($c: ID!, $r: String!) { judgeMatch(candidateId: $c, decision: DIFFERENT, reason: $r) "
             "{ ok } }")
    reason = api.post(judge, {"c": candidate["id"], "r": "r" * 100_000}, role=Role.STEWARD)
    literal = api.post('{ person(nik: "' + "3" * 1_500 + '") { personId } }')
    megabyte = api.post(judge, {"c": candidate["id"], "r": "r" * 1_000_000}, role=Role.STEWARD)
    assert only_error(reason) == ("$r (judgeMatch(reason:)) holds a string of 100,000 characters; at most 2,000 are "
                                  "accepted")
    assert only_error(literal) == "person(nik:) is 1,500 characters long; at most 1,000 are accepted"
    assert megabyte.status_code == 413
    assert reason.json()["data"] is None
    (after,) = asyncio.run(api.cypher("MATCH (c:MatchCandidate {candidate_id: $id}) RETURN c.decision AS d, "
                                      "c.reason AS r", {"id": candidate["id"]}))
    assert after == {"d": None, "r": None}
    fine = api.post(judge.replace("DIFFERENT", "UNSURE"), {"c": candidate["id"], "r": "r" * 2_000}, role=Role.STEWARD)
    assert fine.json()["data"]["judgeMatch"]["ok"] is True


def test_the_cost_limit_refuses_15_aliases_of_a_province_wide_aggregate(api: Api) -> None:
    fifteen = api.post("{ " + " ".join(COVERAGE.format(i=i) for i in range(15)) + " }", role=Role.ANALYST)
    assert fifteen.json()["data"] is None
    message = only_error(fifteen)
    assert message.startswith("this query costs 4,575, more than the 1,000 a request may"), message
    three = api.post("{ " + " ".join(COVERAGE.format(i=i) for i in range(3)) + " }", role=Role.ANALYST)
    assert "errors" not in three.json() and len(three.json()["data"]) == 3
    pages = "query($f: Int!) { " + " ".join(f"p{i}: conflictingPersons(first: $f) {{ edges {{ node {{ personId }} }} }}"
                                            for i in range(10)) + " }"
    assert only_error(api.post(pages, {"f": 100}, role=Role.STEWARD)).startswith("this query costs 1,110,"), \
        "`first` given as a variable counts"
    assert "errors" not in api.post(pages, {"f": 10}, role=Role.STEWARD).json()


def test_a_query_past_the_timeout_is_stopped_and_answered_504_masked(api: Api, caplog: pytest.LogCaptureFixture
                                                                     ) -> None:
    # Answered from the cache (resolvers/stats_cache.py), a statistic sends only the data stamp's
    # lookup, which a server may finish within 1 ms.
    asyncio.run(forget(api.settings, f"hub:{api.settings.graph_name}:stats:*"))
    with served(api, query_timeout_ms=1) as url, caplog.at_level(logging.ERROR, logger="hub.api"):
        reply = post(url, api.keys[Role.ANALYST], "{ programCoverage(program: \"PKH\") { enrolled } "
                                                  "b: programOverlap(programs: [\"PKH\", \"SEMBAKO\"]) { region } }")
    assert reply.status_code == 504 and reply.headers["Retry-After"]
    errors = reply.json()["errors"]
    assert errors and all(e["message"].startswith(MASKED + " (id ") for e in errors)
    assert "ran longer than the hub allows" in errors[0]["message"]
    for leak in ENGINE_TEXT:
        assert leak not in reply.text, leak
    incident = errors[0]["message"].split("(id ")[1].split(")")[0]
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged and logged[0].exc_info and "timed out" in logged[0].getMessage().lower()


SYMBOLS = ["!!!", "*", "%%%%", "@@ || ~~", "\"", "-(", "{}[]", "a*", "|", ":", "\\", "ü‽"]


@pytest.mark.parametrize("name", SYMBOLS)
def test_a_name_of_symbols_is_a_caller_error_without_engine_text(api: Api, name: str) -> None:
    reply = api.post("query($n: String) { searchPersons(name: $n) { edges { node { personId } } } }", {"n": name})
    body = reply.json()
    assert reply.status_code == 200
    for error in body.get("errors", []):
        assert not error["message"].startswith(MASKED), (name, error)
        assert error["message"].startswith("name: "), (name, error)
        for leak in ENGINE_TEXT:
            assert leak not in error["message"], (name, leak)


def cursor_of(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


ABSURD_CURSORS = [cursor_of(["persons", 2**70, 1.0, "PRS-1"]), cursor_of(["persons", 1, 1e400, "PRS-1"]),
                  cursor_of(["persons", 1, 1.0, "P" * 200]),
                  base64.urlsafe_b64encode(b'["persons",1,NaN,"PRS-1"]').decode(), "%%%", "-1", "9" * 500]


@pytest.mark.parametrize("cursor", ABSURD_CURSORS)
def test_an_absurd_cursor_is_a_caller_error_naming_after(api: Api, cursor: str) -> None:
    reply = api.post("query($a: String) { searchPersons(region: \"33\", after: $a) { edges { cursor } } }",
                     {"a": cursor}, role=Role.ANALYST)
    message = only_error(reply)
    assert message.startswith("after: ") and message.endswith("is not a cursor this API gave out for this list")


def test_first_is_capped(api: Api) -> None:
    reply = api.post("{ searchPersons(region: \"33\", first: 100000) { edges { cursor } } }", role=Role.ANALYST)
    assert only_error(reply) == "first: 100000 must be between 1 and 100"


@pytest.mark.parametrize("query", ["{ persn(nik: \"1\") { personId } }", "{ person(nikk: \"1\") { personId } }",
                                   "{ person(nik: \"1\") { personID } }",
                                   "query($s: CandidateStatus) { matchCandidates(status: $s) { edges { cursor } } }"])
def test_no_message_suggests_a_name_of_the_schema(api: Api, query: str) -> None:
    message = only_error(api.post(query, {"s": "open"}))
    assert "Did you mean" not in message and "'person'" not in message and "'nik'" not in message
    assert "'personId'" not in message and "'OPEN'" not in message, message


TWO_NAMED = ("query A { person(nik: \"3374010101010001\") { personId } } "
             "query B { programCoverage(program: \"PKH\") { enrolled } }")


def test_several_operations_need_operation_name_and_an_anonymous_one_is_refused(api: Api) -> None:
    unnamed = only_error(api.post(TWO_NAMED))
    assert unnamed == ("this request holds 2 operations (A, B); send one operation per request, or name the one "
                       "to run in operationName")
    chosen = post(api.url, api.keys[Role.ADMIN], TWO_NAMED, operationName="A").json()
    assert chosen == {"data": {"person": None}}
    anonymous = only_error(api.post("{ person(nik: \"1\") { personId } } query B { person(nik: \"2\") { personId } }"))
    assert anonymous == "This anonymous operation must be the only defined operation."
    with served(api, env="development") as url:  # development runs the first, as strawberry does
        dev = post(url, api.keys[Role.ADMIN], TWO_NAMED).json()
    assert dev == {"data": {"person": None}}


def test_a_nul_character_is_a_caller_error_not_an_engine_failure(api: Api) -> None:
    """Found by the schema fuzz: FalkorDB's query text is a C string, so a NUL failed the statement."""
    variable = api.post("query($p: ID) { person(personId: $p) { personId } }", {"p": "PRS-\u0000"})
    literal = api.post('{ searchPersons(name: "a\\u0000b") { edges { cursor } } }')
    assert only_error(variable) == "$p (person(personId:)) holds a NUL character (U+0000), which no argument may"
    assert only_error(literal) == "searchPersons(name:) holds a NUL character (U+0000), which no argument may"
