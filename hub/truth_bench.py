"""``hub bench truth``: what a user sees through the API, measured against the synthesiser's truth.

N persons are synthesised, loaded and linked into a fresh graph, the API is served as in
production (``hub serve``, its own process), and every figure below is read from its answers
over HTTP, each question asked with the role a user asking it would have (app, analyst,
steward). The truth is ``truth.csv`` (the true person of every row), ``truth_persons.csv`` and
the source files themselves (``hub.truth_files``). Samples are drawn with ``--seed``.

Definitions (issue 18):

- **Lookups**: a sample (``--lookups``) of true persons with a valid NIK in truth_persons.csv and
  at least one loaded record, each asked for as ``person(nik: <true NIK>)``. A lookup is
  *complete* when the returned person's records (source, sourceKey) include every loaded record
  truth.csv gives that true person; *missing* otherwise (``null`` answers included); *foreign*
  when they include any record of another true person; *null* when the answer is null. Each is
  a share of the lookups. ``lookup_nik_unstated``: the share where no loaded record of the true
  person states that NIK (no one could find them by it; they count among the missing all the same).
- **Conflicting persons**: persons whose linked records carry two different valid NIKs, or both
  sexes, or stated birth dates more than two years apart (street-outreach encounters, whose ages
  are guesses, are left out of the dates). Judged over the whole graph from the fields the API
  shows of each record (nik, sex, birthDate), read with ``RECORD_PERSON_LINKS``.
  ``conflicting_unhandled``: those not listed in the stewards' queue ``conflictingPersons``
  (a person split since is no longer one person, so no longer counted). Where the API has no
  such field (found from the schema), every conflicting person is unhandled and
  ``conflict_queue`` is null. ``conflicting_truly_mixed``: those whose records truly belong to
  two or more persons (the rest are one person with a dirty field).
- **relation_present**: over a sample (``--relations``) of loaded DTKS rows that state a
  household relation, the share whose person (the one the row's record resolves to), asked for
  as ``person(personId:)``, lists itself with a non-null relation among the members of the
  household the row names (the KK its record shows; any household where the record has none).
- **search_recall_at_10**: a sample (``--searches``) of true persons with a loaded record, each
  asked for as ``searchPersons(name: <variant>, birthDate: "<birth year>", region: "<regency,
  4 digits as offices write it>", first: 10)``; the variant is one of the synthesiser's own
  kinds (``written_as``: old/new spelling, a Muhammad form, an initial for the first name),
  drawn among those that apply to the true name. Recall: the share where a person the true
  person's records resolve to is among the edges; per kind too. Answers with errors are misses
  (``search_errors`` counts them and ``search_first_error`` quotes one).
- **coverage_max_rel_error**: for each roster and regency, the true enrolled persons (distinct
  true persons of the roster's loaded rows who live in that regency: their true home village)
  against ``programCoverage(program:)``'s ``enrolled``; the largest |api - true| / true over cells
  with true >= 20, and the cell. ``coverage_max_rel_error_sources`` places each true person where
  their own records place them instead (``Links.knowable_regency``: the regency most of their
  loaded records and their KK's issuing district state; between equals the hub's documented
  choice), and ``coverage_unplaceable_persons`` counts those this does not put at home.
  ``coverage_max_rel_error_stated_region`` places each true person where their roster row says,
  dirt included (the synthesiser's moved_village), which no count of persons can agree with.
- **linkage**: pairwise precision, recall and F1 of the served persons against truth.csv (the
  figures ``hub bench match`` prints for the same population).
  ``overlap_max_rel_error``: the same over ``programOverlap``'s totals and pairs for three big
  programs (true: distinct true persons of their loaded rows, everywhere).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from graph_schema.port import GraphStore
from hub.api.keys import ApiKeys
from hub.privacy.access import Role
from hub.settings import Settings
from hub.store import open_redis, using_store
from hub.truth_files import Truth, read_truth
from hub.truth_measures import (
    ApiClient,
    Links,
    Samples,
    measure_conflicts,
    measure_coverage,
    measure_lookups,
    measure_relations,
    measure_search,
)

# The roles whose users ask what is measured; the program counts are asked as an admin, who gets
# them exact (an analyst's counts below 5 are withheld: hub.privacy.disclosure.shown_count).
KEY_ROLES = (Role.APP, Role.ANALYST, Role.STEWARD, Role.ADMIN)


async def measure_truth(store: GraphStore, api: ApiClient, data: Path, samples: Samples) -> dict[str, Any]:
    """Every figure of the module docstring, for the linked graph ``store`` served as ``api``."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(phase: str) -> None:
        seconds[phase] = round(time.perf_counter() - started - sum(seconds.values()), 2)

    truth = read_truth(data)
    links = await Links.read(store)
    lap("read_truth_and_links")
    figures: dict[str, Any] = {
        "records_loaded": len(links.persons_of_record),
        "api_persons": len({p for persons in links.persons_of_record.values() for p in persons}),
        "records_unlinked": sum(1 for persons in links.persons_of_record.values() if not persons),
    }
    figures["linkage"] = linkage_scores(truth, links)
    figures |= await measure_lookups(api, truth, links, samples)
    lap("lookups")
    figures |= await measure_conflicts(api, truth, links)
    lap("conflicts")
    figures |= await measure_relations(api, truth, links, samples)
    lap("relations")
    figures |= await measure_search(api, truth, links, samples)
    lap("search")
    figures |= await measure_coverage(api, truth, links)
    lap("coverage")
    return {**figures, "seconds": seconds}


def linkage_scores(truth: Truth, links: Links) -> dict[str, float]:
    """Pairwise precision, recall and F1 of the persons served against the truth (as ``hub bench match``)."""
    from matching.evaluate import pairwise_scores

    linked = [(f"{source}:{key}", next(iter(persons))) for (source, key), persons in links.persons_of_record.items()
              if len(persons) == 1]
    assigned = pd.DataFrame(linked, columns=["record_id", "cluster"])
    true = pd.DataFrame([(source, key, person) for (source, key), person in truth.person_of_record.items()],
                        columns=["source", "source_key", "person_id"])
    return pairwise_scores(assigned, true)


async def load_and_link(store: GraphStore, data: Path, scratch: Path) -> int:
    """Load every source file of a ``hub synth`` folder in its order, then link; the rows read."""
    from hub.synth.run import SOURCE_ORDER
    from loaders.mapping import mapping_for
    from loaders.run import load_file
    from matching.pipeline import run_match

    await store.ensure_schema(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    rows = 0
    for source in SOURCE_ORDER:
        report = await load_file(store, mapping_for(source), data / f"{source}.csv", scratch / "reports")
        rows += report.rows_read
    await run_match(store, scratch / "model.json")
    return rows


async def create_keys(settings: Settings) -> tuple[dict[Role, str], list[str]]:
    """One key per role the truth check asks with, and their ids (to revoke them afterwards)."""
    redis = await open_redis(settings)
    try:
        api_keys = ApiKeys(redis, settings.graph_name)
        created = {role: await api_keys.create(role, f"hub bench truth ({role})") for role in KEY_ROLES}
    finally:
        await redis.aclose()
    return {role: key for role, (_, key) in created.items()}, [info.key_id for info, _ in created.values()]


async def revoke_keys(settings: Settings, key_ids: list[str]) -> None:
    redis = await open_redis(settings)
    try:
        api_keys = ApiKeys(redis, settings.graph_name)
        for key_id in key_ids:
            await api_keys.revoke(key_id)
    finally:
        await redis.aclose()


async def _measure_served(settings: Settings, data: Path, port: int, samples: Samples) -> dict[str, Any]:
    keys, key_ids = await create_keys(settings)
    api = ApiClient(f"http://127.0.0.1:{port}/graphql", keys)
    try:
        return await using_store(settings, lambda store: measure_truth(store, api, data, samples))
    finally:
        await api.close()
        await revoke_keys(settings, key_ids)


def run_truth_bench(persons: int, samples: Samples, port: int) -> dict[str, Any]:
    """Synthesise, load and link ``persons`` in a fresh graph, serve it, measure; the graph is removed after."""
    from hub.bench_support import bench_workspace, peak_rss_mb, start_api_server

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with bench_workspace("truth", persons, samples.seed) as work:
        seconds["synth"] = round(time.perf_counter() - started, 2)
        settings = replace(work.settings, home=work.scratch / "hub")
        try:
            t = time.perf_counter()
            rows = asyncio.run(using_store(settings, lambda store: load_and_link(store, work.data, work.scratch)))
            seconds["load_and_link"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            server = start_api_server(settings, port)
            seconds["serve"] = round(time.perf_counter() - t, 2)
            try:
                figures = asyncio.run(_measure_served(settings, work.data, port, samples))
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            if settings.embedded:
                asyncio.run(using_store(settings, lambda store: store.clear()))
    measured = figures.pop("seconds")
    return {"benchmark": "truth", "persons": persons, "records": rows, **figures, "seed": samples.seed,
            "seconds": {**seconds, **measured, "total": round(time.perf_counter() - started, 2)},
            "peak_rss_mb": round(peak_rss_mb(), 1)}
