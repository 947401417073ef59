"""A running API over real HTTP: a linked synthetic population on each backend (tests/conftest.py
``api``, shared by every package), uvicorn serving ``create_app()`` in a thread, and one API key per role."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from graph_schema import api_queries
from hub.api.app import create_app
from hub.api.keys import ApiKeys
from hub.embedded_db import EmbeddedServer
from hub.privacy.access import Role
from hub.settings import Settings, load_settings
from hub.store import open_redis, open_store
from hub.synth.run import SOURCE_ORDER
from loaders.mapping import mapping_for
from loaders.run import load_file
from matching.pipeline import run_match
from tests.conftest import GraphTarget, Populations, free_port, hold_graph, use_model


@dataclass
class Api:
    url: str
    app: Starlette
    settings: Settings
    keys: dict[Role, str]
    showcase: dict[str, Any]
    data: Path
    env: dict[str, str]  # the HUB_* settings of this world (HUB_HOME included), for `hub` commands against it

    def post(self, query: str, variables: dict[str, Any] | None = None, *, role: Role | None = Role.ADMIN,
             key: str | None = None) -> httpx.Response:
        headers = {}
        if key is not None or role is not None:
            headers["Authorization"] = f"Bearer {key if key is not None else self.keys[role]}"  # type: ignore[index]
        return httpx.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=60)

    def data_of(self, query: str, variables: dict[str, Any] | None = None, role: Role = Role.ADMIN) -> Any:
        body = self.post(query, variables, role=role).json()
        assert "errors" not in body, body
        return body["data"]

    @property
    def round_trips(self) -> int:
        trips: int = self.app.state.store.round_trips
        return trips

    def officer_key(self, role: Role, region: str | None, name: str = "") -> tuple[str, str]:
        """A new key (its id and the clear key) for ``role`` held by an officer, scoped to ``region`` as
        `hub keys create --officer --office --region` makes it."""
        async def create() -> tuple[str, str]:
            redis = await open_redis(self.settings)
            try:
                info, key = await ApiKeys(redis, self.settings.graph_name).create(
                    role, name or f"{role} in {region}", officer="Sri Wahyuni", office="Dinas Sosial", region=region)
                return info.key_id, key
            finally:
                await redis.aclose()

        return asyncio.run(create())

    async def cypher(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        store = await open_store(self.settings, autostart=False)
        try:
            return await store.run(query, params)
        finally:
            await store.close()


UNBRAKED = {"HUB_RATE_PER_SECOND": "100000", "HUB_RATE_BURST": "1000000", "HUB_FAILED_KEYS_PER_MINUTE": "100000"}


def settings_for(server: EmbeddedServer, home: Path, graph: str, env: str) -> Settings:
    """The test world's settings on the embedded FalkorDB. Its rate limits are out of reach (a test sends
    requests one after another as fast as it can, some with unknown keys); tests/hub/test_brakes.py serves
    the same world with tight ones."""
    return load_settings({"HUB_HOME": str(home), "HUB_DB_PORT": str(server.port), "HUB_DATA_DIR": str(server.data_dir),
                          "HUB_GRAPH_NAME": graph, "HUB_ENV": env, **UNBRAKED})


def target_env(target: GraphTarget, home: Path, env: str = "production") -> dict[str, str]:
    """The HUB_* settings of a test world on ``target`` (either backend), brakes out of reach."""
    return {"HUB_HOME": str(home), **target.env, "HUB_ENV": env, **UNBRAKED}


@dataclass
class Served:
    url: str
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(settings: Settings) -> Served:
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}/graphql", app, server, thread)


async def build_world(settings: Settings, data: Path, work: Path,
                      model: Path | None = None) -> tuple[dict[Role, str], dict[str, Any]]:
    """``data`` loaded and linked in the settings' graph, one key per role; linked with a copy of ``model``
    when given (trained on the same data: the same links as a model trained here, without the training)."""
    store = await open_store(settings, autostart=False)
    try:
        await store.ensure_schema("2026-01-01T00:00:00+00:00")
        for source in SOURCE_ORDER:
            await load_file(store, mapping_for(source), data / f"{source}.csv", work)
        if model is not None:
            use_model(model, settings.model_path)
        await run_match(store, settings.model_path)  # where the API reads it (writes, seenBefore)
        (showcase,) = await store.run(api_queries.SHOWCASE_PERSON)
    finally:
        await store.close()
    redis = await open_redis(settings)
    try:
        keys = {role: (await ApiKeys(redis, settings.graph_name).create(role, f"test {role}"))[1] for role in Role}
    finally:
        await redis.aclose()
    return keys, showcase


def served_world(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory,
                 name: str, persons: int = 1500, seed: int = 5) -> Iterator[Api]:
    """A synthetic population (tests/conftest.py ``populations``: made and trained once a session) loaded,
    linked with a copy of its model and served in a graph of its own on ``backend``."""
    populations: Populations = request.getfixturevalue("populations")
    data, model = populations.get(persons, seed)
    work = tmp_path_factory.mktemp(f"{name}-{backend}")
    with hold_graph(request, backend, name) as target:
        env = target_env(target, work / "hub")
        settings = load_settings(env)
        keys, showcase = asyncio.run(build_world(settings, data, work, model))
        served = serve(settings)
        try:
            yield Api(served.url, served.app, settings, keys, showcase, data, env)
        finally:
            served.stop()
