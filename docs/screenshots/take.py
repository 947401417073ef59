"""Screenshots of the pages for the README, from a running demo (`make demo`, or `hub demo`).

Run with the demo's environment (the same HUB_HOME, HUB_DB_PORT) while it serves:

    PYTHONPATH=$PWD .venv/bin/python docs/screenshots/take.py --url http://127.0.0.1:8000

It signs in with the keys the demo saved (``$HUB_HOME/demo-key-<role>``), opens each page in
Debian's chromium through Playwright and writes ``docs/screenshots/<page>.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from graph_schema import api_queries
from hub.settings import load_settings
from hub.store import run_with_store

HERE = Path(__file__).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def signed_in(browser: Any, url: str, key: str) -> Page:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page: Page = context.new_page()
    page.goto("/ui/masuk")
    page.fill("#kunci", key)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def shoot(page: Page, path: str, name: str) -> None:
    page.goto(path, wait_until="networkidle")
    page.wait_for_timeout(300)  # Vega draws after the network is idle
    page.screenshot(path=HERE / f"{name}.png", full_page=True)
    print(f"{name}.png  {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    settings = load_settings()
    keys = {role: (settings.home / f"demo-key-{role}").read_text().strip() for role in ("steward", "analyst")}
    (showcase,) = run_with_store(settings, lambda store: store.run(api_queries.SHOWCASE_PERSON))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        anonymous = browser.new_page(viewport={"width": 1280, "height": 700})
        anonymous.goto(f"{args.url}/ui/masuk")
        anonymous.screenshot(path=HERE / "masuk.png")
        steward = signed_in(browser, args.url, keys["steward"])
        shoot(steward, f"/ui/orang?nik={showcase['nik']}", "orang")
        person_id = steward.url.rsplit("/", 1)[-1]
        shoot(steward, "/ui/pemeriksaan", "pemeriksaan")
        pair = steward.locator("a[href^='/ui/pemeriksaan/']").first
        if pair.count():
            shoot(steward, str(pair.get_attribute("href")), "pemeriksaan_pasangan")
        analyst = signed_in(browser, args.url, keys["analyst"])
        shoot(analyst, "/ui/analisis/cakupan", "analisis_cakupan")
        deeper = analyst.locator("#tabel-cakupan a").first
        if deeper.count():
            shoot(analyst, str(deeper.get_attribute("href")), "analisis_cakupan_kabupaten")
        shoot(analyst, "/ui/analisis/irisan", "analisis_irisan")
        shoot(analyst, "/ui/analisis/kesenjangan", "analisis_kesenjangan")
        shoot(analyst, "/ui/analisis/statistik", "analisis_statistik")
        shoot(analyst, f"/ui/analisis/jaringan?orang={person_id}", "analisis_jaringan")
        shoot(analyst, f"/ui/orang/{person_id}", "orang_analis")
        browser.close()


if __name__ == "__main__":
    main()
