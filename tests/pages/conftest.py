"""The pages in a real browser: one served population for the package, Debian's chromium driven by
Playwright.

``pages_world`` is the API world of tests/resolvers/conftest.py (``served_world``: the session's
1,500-person population and its trained model), loaded once per backend for every page test. ``browser``
is one headless chromium for the package (never a downloaded browser). ``signed_in(role)`` opens a fresh
browser context (its own cookie jar) and signs in through the real form with that role's key;
``signed_in(key=...)`` with any key.

Playwright's sync API keeps an event loop running in the test thread, so ``asyncio.run`` (and anything
that calls it, such as ``Api.officer_key``) fails there while the browser is open: call it through
``threaded(fn, *args)``, which runs it in a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from hub.privacy.access import Role
from hub.store import open_redis
from tests.resolvers.conftest import Api, served_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

SignIn = Callable[..., Page]
T = TypeVar("T")


def threaded(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` run in a thread of its own (where no event loop runs), its result returned."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(scope="package")
def pages_world(request: pytest.FixtureRequest, backend: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # The session fixtures the world needs are resolved here, in the test thread, before it is built
    # in a thread of its own (built with asyncio.run: the browser may already be open).
    request.getfixturevalue("populations")
    request.getfixturevalue("falkordb_server")
    if backend == "neo4j":
        request.getfixturevalue("neo4j_pool")
    world = served_world(request, backend, tmp_path_factory, "pages")
    yield threaded(next, world)
    threaded(next, world, None)


@pytest.fixture(scope="package")
def base_url(pages_world: Api) -> str:
    """The server's root (``http://127.0.0.1:<port>``): the pages are under ``/ui/``."""
    return pages_world.url.removesuffix("/graphql")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped, not session: while Playwright's sync API is open an event loop runs in the test
    thread, and every later package's ``asyncio.run`` and async fixture would fail under it."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def sign_in(context: BrowserContext, base_url: str, key: str) -> Page:
    """A page of ``context`` that went through the sign-in form with ``key`` (it may have been refused)."""
    page = context.new_page()
    page.goto(f"{base_url}/ui/masuk")
    page.fill("#kunci", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def signed_in(browser: Browser, base_url: str, pages_world: Api) -> Iterator[SignIn]:
    """``signed_in(role)`` or ``signed_in(key=...)``: a page signed in in a context of its own (closed after)."""
    contexts: list[BrowserContext] = []

    def open_page(role: Role | None = None, *, key: str | None = None) -> Page:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return sign_in(context, base_url, key if key is not None else pages_world.keys[role or Role.ADMIN])

    yield open_page
    for context in contexts:
        context.close()


def redis_call(world: Api, work: Callable[[Any], Any]) -> Any:
    """Run ``work(redis)`` (a coroutine function) against the world's Redis: to read or age a session."""
    async def run() -> Any:
        redis = await open_redis(world.settings)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return threaded(asyncio.run, run())
