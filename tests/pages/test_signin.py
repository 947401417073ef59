"""Signing in and out of the pages in a real browser: the session, its cookie, CSRF, expiry, roles."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
from playwright.sync_api import expect

from hub.pages.session import COOKIE
from hub.pages.static import asset
from hub.privacy.access import Role
from tests.pages.conftest import SignIn, redis_call, threaded
from tests.resolvers.conftest import Api


def session_cookie(page: Any) -> dict[str, Any]:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return dict(cookie)


def session_key(world: Api, session_id: str) -> str:
    return f"{world.settings.graph_name}:ui:session:{session_id}"


def test_a_wrong_key_is_refused_with_a_message_and_no_session(signed_in: SignIn) -> None:
    page = signed_in(key="khub_00000000_not-a-key-at-all")
    expect(page.locator("[role=alert]")).to_have_text("Kunci tidak dikenal atau sudah dicabut.")
    assert page.url.endswith("/ui/masuk")
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]


def test_signing_in_starts_a_session_whose_cookie_scripts_and_other_sites_cannot_use(
        signed_in: SignIn, pages_world: Api) -> None:
    page = signed_in(Role.STEWARD)
    expect(page.locator("h1")).to_have_text("Selamat datang")
    expect(page.locator("header .role")).to_contain_text("pengelola data (steward)")
    # The steward's home links its review and the search, not the analyst's pages.
    expect(page.locator("ul.tiles")).to_contain_text("Pemeriksaan pasangan data")
    expect(page.locator("ul.tiles")).not_to_contain_text("Analisis cakupan")
    cookie = session_cookie(page)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to the page's scripts
    stored = redis_call(pages_world, lambda r: r.get(session_key(pages_world, cookie["value"])))
    assert stored is not None and pages_world.keys[Role.STEWARD] not in stored  # the key is never kept
    # Signing in again in the same browser gives a new session id and ends the old one.
    page.goto("/ui/masuk")
    page.fill("#kunci", pages_world.keys[Role.ANALYST])
    page.click("button[type=submit]")
    expect(page.locator("header .role")).to_contain_text("analis")
    assert session_cookie(page)["value"] != cookie["value"]
    assert redis_call(pages_world, lambda r: r.exists(session_key(pages_world, cookie["value"]))) == 0


def test_signing_out_ends_the_session_on_the_server(signed_in: SignIn, base_url: str, pages_world: Api) -> None:
    page = signed_in(Role.ANALYST)
    old = session_cookie(page)["value"]
    assert httpx.get(f"{base_url}/ui/", cookies={COOKIE: old}).status_code == 200
    page.click("header button:text('Keluar')")
    expect(page.locator("[role=status]")).to_have_text("Anda sudah keluar.")
    assert redis_call(pages_world, lambda r: r.exists(session_key(pages_world, old))) == 0
    replay = httpx.get(f"{base_url}/ui/", cookies={COOKIE: old})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/ui/masuk")


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(signed_in: SignIn, base_url: str,
                                                               pages_world: Api) -> None:
    page = signed_in(Role.ANALYST)
    session_id = session_cookie(page)["value"]
    token = page.locator("header input[name=csrf]").get_attribute("value")
    assert token
    for form in ({}, {"csrf": "x" * len(token)}):
        refused = httpx.post(f"{base_url}/ui/keluar", data=form, cookies={COOKIE: session_id})
        assert refused.status_code == 403 and "Token keamanan formulir" in refused.text
    assert redis_call(pages_world, lambda r: r.exists(session_key(pages_world, session_id))) == 1  # still signed in
    header = httpx.post(f"{base_url}/ui/keluar", headers={"X-CSRF-Token": token}, cookies={COOKIE: session_id})
    assert header.status_code == 303
    assert redis_call(pages_world, lambda r: r.exists(session_key(pages_world, session_id))) == 0


def test_the_signin_form_itself_needs_its_token(base_url: str, pages_world: Api) -> None:
    """Another site cannot post a key to the form and sign the browser in under it."""
    forged = httpx.post(f"{base_url}/ui/masuk", data={"kunci": pages_world.keys[Role.ADMIN], "csrf": "forged"})
    assert forged.status_code == 403 and COOKIE not in forged.cookies


def test_an_idle_or_too_old_session_ends(signed_in: SignIn, pages_world: Api) -> None:
    for field, age_s in (("seen", 31 * 60), ("started", 13 * 3600)):
        page = signed_in(Role.STEWARD)
        name = session_key(pages_world, session_cookie(page)["value"])

        async def age(redis: Any, name: str = name, field: str = field, age_s: int = age_s) -> None:
            session = json.loads(await redis.get(name))
            session[field] = time.time() - age_s
            await redis.set(name, json.dumps(session), keepttl=True)

        redis_call(pages_world, age)
        page.reload()
        expect(page.locator("[role=status]")).to_have_text("Sesi Anda telah berakhir. Silakan masuk lagi.")
        assert redis_call(pages_world, lambda r: r.exists(name)) == 0  # noqa: B023 (called at once)


def test_a_revoked_key_ends_its_sessions(signed_in: SignIn, base_url: str, pages_world: Api) -> None:
    key_id, key = threaded(pages_world.officer_key, Role.STEWARD, "33.16", "to revoke")
    page = signed_in(key=key)
    expect(page.locator("header .officer")).to_have_text("Sri Wahyuni")
    expect(page.locator("header .role")).to_contain_text("wilayah 33.16")

    async def revoke(redis: Any) -> None:
        from hub.api.keys import ApiKeys
        assert await ApiKeys(redis, pages_world.settings.graph_name).revoke(key_id)

    redis_call(pages_world, revoke)
    page.reload()
    assert "/ui/masuk" in page.url


def test_a_role_that_may_not_gets_the_refusal_page_naming_why(signed_in: SignIn) -> None:
    page = signed_in(Role.APP)
    expect(page.locator("main")).to_contain_text("tidak memiliki halaman")
    page.goto("/ui/orang")
    expect(page.locator("h1")).to_have_text("Akses ditolak")
    expect(page.locator("[role=alert]")).to_have_text(re.compile(r"^Peran app tidak boleh mencari orang\."))


def test_after_signing_in_the_browser_returns_only_to_a_page_of_the_hub(signed_in: SignIn, browser: Any,
                                                                         base_url: str, pages_world: Api) -> None:
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/ui/orang?nama=budi")  # not signed in: to the form, then back
        assert "/ui/masuk?lanjut=" in page.url
        page.fill("#kunci", pages_world.keys[Role.STEWARD])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/ui/orang\?nama=budi$"))
        page.goto("/ui/masuk?lanjut=//evil.example/x")
        page.fill("#kunci", pages_world.keys[Role.STEWARD])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/ui/")
    finally:
        context.close()


def test_pages_forbid_inline_script_and_other_origins_and_assets_are_compressed_and_cached(base_url: str) -> None:
    form = httpx.get(f"{base_url}/ui/masuk")
    policy = form.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy and "unsafe" not in policy
    assert form.headers["cache-control"] == "no-store" and "<script>" not in form.text
    assets = re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', form.text)
    assert any(a.endswith(".css") or ".css?" in a for a in assets) and any(".js?" in a for a in assets)
    for path in [*assets, "/ui/static/vega.js", "/ui/static/vega-lite.js", "/ui/static/vega-embed.js"]:
        sent = httpx.get(f"{base_url}{path}", headers={"Accept-Encoding": "gzip"})
        assert sent.status_code == 200 and sent.headers["content-encoding"] == "gzip", path
        assert "immutable" in sent.headers["cache-control"] and sent.headers["content-type"].startswith(
            ("text/javascript", "text/css")), path
        assert int(sent.headers["content-length"]) < len(sent.content)  # sent compressed, read whole
    assert asset("../session.py") is None and asset("../../settings.py") is None  # nothing outside the folder
