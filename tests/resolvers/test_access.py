"""API keys, roles, masking, audit and the query guards, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from hub.api.keys import ApiKeys
from hub.privacy.access import Role
from hub.privacy.audit import SERVER_SYNC_INTERVAL_S, Action, AuditLog, Outcome
from hub.store import open_redis
from tests.resolvers.conftest import Api, serve

IDENTITY = """query($nik: String) { person(nik: $nik) {
  personId identity { nik { best values { value } } motherName { best } address { best } }
  household { kk address members { nik } }
  records { nik kk motherName address raw { column value } } } }"""


def test_requests_without_a_valid_key_are_refused(api: Api) -> None:
    missing = api.post("{ person(personId: \"x\") { personId } }", role=None)
    assert missing.status_code == 401 and "missing API key" in missing.json()["errors"][0]["message"]
    wrong = api.post("{ person(personId: \"x\") { personId } }", key="khub_nope_nope")
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["message"] == "unknown or revoked API key"


def test_a_revoked_key_stops_working_at_once(api: Api) -> None:
    async def create() -> tuple[str, str]:
        redis = await open_redis(api.settings)
        try:
            info, key = await ApiKeys(redis, api.settings.graph_name).create(Role.APP, "short-lived")
            return info.key_id, key
        finally:
            await redis.aclose()

    async def revoke(key_id: str) -> bool:
        redis = await open_redis(api.settings)
        try:
            return await ApiKeys(redis, api.settings.graph_name).revoke(key_id)
        finally:
            await redis.aclose()

    key_id, key = asyncio.run(create())
    assert api.post("{ person(personId: \"x\") { personId } }", key=key).status_code == 200
    assert asyncio.run(revoke(key_id))
    assert api.post("{ person(personId: \"x\") { personId } }", key=key).status_code == 401


def test_keys_are_stored_only_as_digests(api: Api) -> None:
    async def stored() -> dict[str, str]:
        redis = await open_redis(api.settings)
        try:
            values = await redis.hgetall(f"{api.settings.graph_name}:api_keys")
            return {str(k): str(v) for k, v in values.items()}
        finally:
            await redis.aclose()

    dump = str(asyncio.run(stored()))
    assert all(key not in dump for key in api.keys.values())


def test_each_role_sees_only_what_it_is_cleared_for(api: Api) -> None:
    nik = api.showcase["nik"]
    clear = api.data_of(IDENTITY, {"nik": nik}, role=Role.STEWARD)["person"]
    assert clear["identity"]["nik"]["best"] == nik
    # An analyst looks persons up by id, not by NIK (tests/resolvers/test_privacy_masking.py attacks the rest).
    by_id = IDENTITY.replace("$nik: String", "$p: ID").replace("person(nik: $nik)", "person(personId: $p)")
    analyst = api.data_of(by_id, {"p": clear["personId"]}, role=Role.ANALYST)["person"]
    assert analyst["identity"]["nik"]["best"] == "*" * 16  # no digit: the first six and the birth date gave 12
    assert all(v["value"] == "*" * 16 for v in analyst["identity"]["nik"]["values"])
    assert analyst["identity"]["motherName"]["best"] in {"***", None}
    assert analyst["household"]["kk"] == "*" * 16 and analyst["household"]["address"] in {"***", None}
    assert all(m["nik"] is None or m["nik"] == "*" * 16 for m in analyst["household"]["members"])
    for record in analyst["records"]:
        assert record["nik"] is None or record["nik"] == "*" * 16
        assert record["motherName"] in {None, "***"} and record["address"] in {None, "***"}
        # The office's raw row is there, with the personal cells masked too.
        assert nik not in str(record["raw"])
    assert any(r["raw"] for r in analyst["records"])
    # An app sees NIK and address (it serves the person at a desk), not the mother's name.
    app = api.data_of(IDENTITY, {"nik": nik}, role=Role.APP)["person"]
    assert app["identity"]["nik"]["best"] == nik
    assert app["identity"]["motherName"]["best"] in {"***", None}
    assert clear["identity"]["motherName"]["best"] not in {"***", None}


def test_roles_may_only_ask_what_they_are_for(api: Api) -> None:
    search = api.post("{ searchPersons(name: \"siti\") { edges { node { personId } } } }", role=Role.APP).json()
    assert search["errors"][0]["message"].startswith("the app role may not search")
    judge = api.post("mutation { judgeMatch(candidateId: \"MC-X\", decision: SAME, reason: \"r\") { ok } }",
                     role=Role.ANALYST).json()
    assert judge["errors"][0]["message"].startswith("the analyst role may not judge")
    coverage = api.post("{ programCoverage(program: \"PKH\") { enrolled } }", role=Role.STEWARD).json()
    assert coverage["errors"][0]["message"].startswith("the steward role may not read program aggregates;")


def test_every_read_of_a_person_is_audited(api: Api) -> None:
    person_id = api.showcase["person_id"]
    api.data_of("query($p: ID) { person(personId: $p) { identity { nik { best } } enrolments { program } } }",
                {"p": person_id}, role=Role.APP)

    newest = AuditLog.of(api.settings).latest(5, person_id)[0]
    assert newest.role == "app" and newest.operation == "person" and newest.person_ids == (person_id,)
    assert newest.fields == ("enrolments.program", "identity.nik")
    assert newest.key_name == "test app" and (newest.action, newest.outcome) == (Action.READ, Outcome.OK)


def test_no_data_leaves_when_the_audit_log_cannot_be_written(api: Api, tmp_path: Path) -> None:
    # Its own app and log (its own HUB_HOME, the same graph and keys): breaking them touches no other test.
    own = serve(replace(api.settings, home=tmp_path / "hub"))
    read = "query($p: ID) { person(personId: $p) { personId identity { nik { best } } } }"
    variables = {"p": api.showcase["person_id"]}

    def post() -> Any:
        return httpx.post(own.url, json={"query": read, "variables": variables},
                          headers={"Authorization": f"Bearer {api.keys[Role.APP]}"}, timeout=60).json()

    try:
        assert post()["data"]["person"]["personId"] == api.showcase["person_id"]  # written, fsync'd within a second
        folder = own.app.state.audit.directory
        aside = folder.with_name(folder.name + ".aside")
        folder.rename(aside)
        folder.write_text("a file where the audit folder was: every append and fsync fails")
        try:
            time.sleep(SERVER_SYNC_INTERVAL_S + 0.5)  # the round's fsync fails too
            refused = post()
        finally:
            folder.unlink()
            aside.rename(folder)
        assert refused["data"] is None
        assert refused["errors"][0]["message"].startswith("the audit log could not be written, so no data is returned")
        # The folder is writable again: the same app serves again, without a restart.
        assert post()["data"]["person"]["personId"] == api.showcase["person_id"]
    finally:
        own.stop()


def test_over_deep_wide_or_long_queries_are_refused(api: Api) -> None:
    levels = "household { members { person { " * 4
    deep = "{ person(personId: \"x\") { " + levels + "personId" + " } } }" * 4 + " } }"
    body = api.post(deep).json()
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: person(personId: \"x\") {{ personId }}" for i in range(20)) + " }"
    assert "aliases found" in api.post(aliases).json()["errors"][0]["message"]
    long = "{ person(personId: \"x\") { " + "personId " * 2500 + "} }"
    assert "more than 2000 tokens" in api.post(long).json()["errors"][0]["message"]


def test_introspection_and_graphiql_only_in_development(api: Api) -> None:
    introspect = "{ __schema { queryType { name } } }"
    assert "introspection has been disabled" in api.post(introspect).json()["errors"][0]["message"].lower()
    assert httpx.get(api.url, headers={"Accept": "text/html"}).status_code in {401, 404, 405}
    dev = serve(replace(api.settings, env="development"))
    try:
        page = httpx.get(dev.url, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        body = httpx.post(dev.url, json={"query": introspect},
                          headers={"Authorization": f"Bearer {api.keys[Role.ADMIN]}"}).json()
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    finally:
        dev.stop()


def test_each_request_has_one_id_in_its_header_and_in_every_audit_entry_it_wrote(api: Api) -> None:
    person_id = api.showcase["person_id"]
    read = "query($p: ID) { person(personId: $p) { personId household { members { personId name } } } }"
    replies = [api.post(read, {"p": person_id}, role=Role.APP) for _ in range(2)]
    ids = [r.headers.get("X-Request-Id") for r in replies]
    assert all(ids) and ids[0] != ids[1], ids
    log = AuditLog.of(api.settings)
    for request_id, reply in zip(ids, replies, strict=True):
        entries = [e for e in log.latest(200) if e.request_id == request_id]
        members = {m["personId"] for m in reply.json()["data"]["person"]["household"]["members"]}
        # the person's own entry and the household members' (several entries, one request)
        assert {p for e in entries for p in e.person_ids} == {person_id} | members
        assert len(entries) >= 2 and {e.client for e in entries} == {"127.0.0.1"}
    refused = api.post(read, {"p": person_id}, key="khub_0badc0de_nope")
    assert refused.status_code == 401 and refused.headers.get("X-Request-Id")
    (sign_in,) = [e for e in log.latest(50) if e.request_id == refused.headers["X-Request-Id"]]
    assert (sign_in.operation, sign_in.outcome, sign_in.key_id) == ("sign-in", Outcome.REFUSED, "khub_0badc0de")
