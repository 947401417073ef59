"""``hub bench pages``: each page's server time, its first load in bytes, and the next review pair's delay.

A population is synthesised, loaded and linked into a bench graph and served by ``hub serve``
in its own process, as in production. Then, per page (``PROBES``):

- server time: ``--requests`` sequential GETs signed in as the page's role, each timed by the
  server itself (its ``Server-Timing: app;dur=`` header: the handler, its GraphQL and rendering,
  without the client or the network), as p50 and p95;
- first load: the page opened in a fresh Chromium context (empty cache, Debian's chromium through
  Playwright) with every asset it fetches, summed as transferred (headers plus the compressed
  body), as ``bytes``;
- ``next_pair_ms``: on the steward's pair page, the time from the key that sends the verdict to
  the next pair on screen (Playwright), median over ``--verdicts`` verdicts.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, replace
from typing import Annotated, Any

import httpx
import typer

from hub.privacy.access import Role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass(frozen=True)
class Probe:
    """A page to time: its name in the output, the role that opens it, and the paths it is timed on (cycled)."""

    name: str
    role: Role
    paths: list[str]


def probes(person_ids: list[str], names: list[str], pair_paths: list[str], regency: str) -> list[Probe]:
    """The pages of the hub, each on paths that reach real data of the bench population."""
    return [
        Probe("beranda", Role.STEWARD, ["/ui/"]),
        Probe("masuk", Role.STEWARD, ["/ui/masuk"]),
        Probe("cari_nama", Role.STEWARD, [f"/ui/orang?nama={httpx.QueryParams({'n': n})['n']}" for n in names]),
        Probe("orang", Role.STEWARD, [f"/ui/orang/{p}" for p in person_ids]),
        Probe("orang_analis", Role.ANALYST, [f"/ui/orang/{p}" for p in person_ids]),
        Probe("pemeriksaan", Role.STEWARD, ["/ui/pemeriksaan"]),
        Probe("pemeriksaan_pasangan", Role.STEWARD, pair_paths),
        Probe("pemeriksaan_orang", Role.STEWARD, [f"/ui/pemeriksaan/orang/{p}" for p in person_ids]),
        Probe("analisis", Role.ANALYST, ["/ui/analisis"]),
        Probe("cakupan", Role.ANALYST, ["/ui/analisis/cakupan"]),
        Probe("irisan", Role.ANALYST, ["/ui/analisis/irisan"]),
        Probe("kesenjangan", Role.ANALYST, ["/ui/analisis/kesenjangan"]),
        # A regency's list and its count per district, as an analyst asks it (not only the empty form).
        Probe("kesenjangan_kabupaten", Role.ANALYST,
              [f"/ui/analisis/kesenjangan?aturan=dtks-poor-household-without-kis&wilayah={regency}"]),
        Probe("cakupan_kabupaten", Role.ANALYST, [f"/ui/analisis/cakupan?program=PKH&wilayah={regency}"]),
        Probe("statistik", Role.ANALYST, ["/ui/analisis/statistik"]),
        Probe("statistik_kabupaten", Role.ANALYST, [f"/ui/analisis/statistik?jenis=PPKS_BY_CATEGORY&wilayah={regency}"]),
        Probe("jaringan", Role.ANALYST, [f"/ui/analisis/jaringan?orang={p}" for p in person_ids]),
    ]


def sign_in(base: str, key: str) -> httpx.Client:
    """A client holding a session of ``key``, signed in through the form as a browser does."""
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    form = client.get("/ui/masuk")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError("the sign-in page carries no csrf field")
    answer = client.post("/ui/masuk", data={"csrf": token.group(1), "kunci": key, "lanjut": "/ui/"})
    if answer.status_code != 303 or "khub_sesi" not in client.cookies:
        raise RuntimeError(f"signing in failed: {answer.status_code} {answer.text[:200]}")
    return client


def server_times(client: httpx.Client, paths: list[str], requests: int) -> list[float] | None:
    """The server's own time (ms) for ``requests`` GETs over ``paths``; None when the page does not exist."""
    times = []
    for i in range(requests):
        response = client.get(paths[i % len(paths)])
        if response.status_code == 404 and i == 0:
            return None
        if response.status_code >= 400:
            raise RuntimeError(f"{paths[i % len(paths)]} answered {response.status_code}: {response.text[:300]}")
        found = TIMING.search(response.headers.get("server-timing", ""))
        if found is None:
            raise RuntimeError(f"{paths[i % len(paths)]} sent no Server-Timing header")
        times.append(float(found.group(1)))
    return times


def first_load_bytes(browser: Any, base: str, session: str, path: str) -> int:
    """Bytes transferred to open ``path`` in an empty cache: the HTML and every asset, headers included."""
    context = browser.new_context(base_url=base)
    try:
        context.add_cookies([{"name": "khub_sesi", "value": session, "url": base + "/ui/"}])
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(path, wait_until="networkidle")
        total = 0
        for request in finished:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return total
    finally:
        context.close()


def next_pair_ms(browser: Any, base: str, session: str, verdicts: int) -> float | None:
    """Median time from the verdict's Enter to the next pair on screen, on the steward's pair page.

    As a steward works: ``s`` (SAME) puts the cursor in the reason, the reason is typed, Enter sends
    the verdict; the pair shown is ``#pasangan[data-candidate]``. None when the queue is empty.
    """
    from hub.bench_support import percentile

    context = browser.new_context(base_url=base)
    try:
        context.add_cookies([{"name": "khub_sesi", "value": session, "url": base + "/ui/"}])
        page = context.new_page()
        page.goto("/ui/pemeriksaan/pasangan", wait_until="networkidle")
        times = []
        for _ in range(verdicts):
            shown = page.locator("#pasangan").get_attribute("data-candidate") if page.locator("#pasangan").count() else None
            if shown is None:
                break
            page.keyboard.press("s")
            page.keyboard.type("bench: sama")
            page.wait_for_load_state("networkidle")  # the next pair's prefetch has landed, as it has for a reader
            started = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(
                "id => { const p = document.querySelector('#pasangan');"
                " return !p || p.dataset.candidate !== id; }", arg=shown, timeout=30_000)
            times.append((time.perf_counter() - started) * 1000)
            page.wait_for_load_state("networkidle")
        return percentile(times, 0.5) if times else None
    finally:
        context.close()


def bench_pages(
    persons: Annotated[int, typer.Option(help="Population size to synthesise, load and link.")] = 20_000,
    requests: Annotated[int, typer.Option(help="Timed requests per page.")] = 60,
    verdicts: Annotated[int, typer.Option(help="Verdicts timed for next_pair_ms.")] = 10,
    port: Annotated[int, typer.Option(help="Where the benchmark's hub listens.")] = 8766,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """Synth, load and link a population, serve it, time every page; print figures as JSON."""
    from graph_schema import api_queries
    from hub.api_cli import check_port_free
    from hub.bench_support import bench_workspace, percentile, start_api_server
    from hub.store import run_with_store
    from hub.synth.run import SOURCE_ORDER
    from loaders.mapping import mapping_for
    from loaders.run import load_file
    from matching.pipeline import run_match

    check_port_free("127.0.0.1", port)
    with bench_workspace("pages", persons, seed) as work:
        settings = replace(work.settings, home=work.scratch / "hub")

        async def load(store: Any) -> None:
            await store.ensure_schema("2026-01-01T00:00:00+00:00")
            for source in SOURCE_ORDER:
                await load_file(store, mapping_for(source), work.data / f"{source}.csv", work.scratch)

        run_with_store(settings, load)
        records = run_with_store(settings, lambda store: run_match(store, settings.model_path)).records
        rows = run_with_store(settings, lambda store: store.run(api_queries.PERSON_KEYS))
        sample = random.Random(seed).sample(rows, min(40, len(rows)))
        keys = {role: _new_key(settings, role) for role in (Role.STEWARD, Role.ANALYST, Role.ADMIN)}
        server = start_api_server(settings, port)
        base = f"http://127.0.0.1:{port}"
        try:
            names = _names(base, keys[Role.ADMIN], [r["person_id"] for r in sample[:10]])
            clients = {role: sign_in(base, keys[role]) for role in (Role.STEWARD, Role.ANALYST)}
            pages: dict[str, dict[str, float | int]] = {}
            skipped = []
            timed = []
            pair = clients[Role.STEWARD].get("/ui/pemeriksaan/pasangan")
            pair_paths = [pair.headers["location"]] if pair.status_code == 303 else ["/ui/pemeriksaan/pasangan"]
            regency = _busiest_regency(base, keys[Role.ADMIN])
            for probe in probes([r["person_id"] for r in sample], names, pair_paths, regency):
                client = clients[probe.role]
                server_times(client, probe.paths, min(5, requests))  # warm-up: templates, parser cache
                times = server_times(client, probe.paths, requests)
                if times is None:
                    skipped.append(probe.name)
                    continue
                timed.append(probe)
                pages[probe.name] = {"p50_ms": round(percentile(times, 0.5), 1),
                                     "p95_ms": round(percentile(times, 0.95), 1)}
            pair_ms = _browser_figures(base, clients, timed, pages, verdicts)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if settings.embedded:
                run_with_store(settings, lambda store: store.clear())
    print(json.dumps({
        "benchmark": "pages", "persons": persons, "records": records, "requests_per_page": requests,
        "pages": pages, "next_pair_ms": pair_ms, "max_bytes": max((int(p["bytes"]) for p in pages.values()), default=0),
        "max_p95_ms": max((p["p95_ms"] for p in pages.values()), default=0.0), "pages_missing": skipped,
    }))


def _new_key(settings: Any, role: Role) -> str:
    from hub.api.keys import ApiKeys
    from hub.api_cli import with_redis

    async def create(redis: Any) -> str:
        return (await ApiKeys(redis, settings.graph_name).create(role, f"hub bench pages {role}"))[1]

    return with_redis(settings, create)


def _names(base: str, key: str, person_ids: list[str]) -> list[str]:
    """Best names of ``person_ids`` through the API (what an officer would type into the search)."""
    names = []
    for person_id in person_ids:
        body = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, timeout=60, json={
            "query": "query($id: ID!) { person(personId: $id) { identity { name { best } } } }",
            "variables": {"id": person_id}}).json()
        name = (((body.get("data") or {}).get("person") or {}).get("identity") or {}).get("name", {}).get("best")
        if name:
            names.append(str(name))
    return names or ["SITI"]


def _busiest_regency(base: str, key: str) -> str:
    """The regency where the hub places the most persons (PKH coverage per regency, through the API)."""
    body = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, timeout=120, json={
        "query": '{ programCoverage(program: "PKH") { region { code } persons } }'}).json()
    rows = (body.get("data") or {}).get("programCoverage") or []
    best = max(rows, key=lambda r: r.get("persons") or 0, default=None)
    return str(best["region"]["code"]) if best else "33"


def _browser_figures(base: str, clients: dict[Role, httpx.Client], timed: list[Probe],
                     pages: dict[str, dict[str, float | int]], verdicts: int) -> float | None:
    """Fill each page's ``bytes`` (first load in Chromium) and return ``next_pair_ms``."""
    from playwright.sync_api import sync_playwright

    sessions = {role: str(client.cookies["khub_sesi"]) for role, client in clients.items()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for probe in timed:
                pages[probe.name]["bytes"] = first_load_bytes(browser, base, sessions[probe.role], probe.paths[0])
            return None if "pemeriksaan_pasangan" not in pages else _rounded(
                next_pair_ms(browser, base, sessions[Role.STEWARD], verdicts))
        finally:
            browser.close()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
