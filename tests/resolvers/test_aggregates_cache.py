"""programCoverage and programOverlap count the region once per data change: asked again, the exact rows
come from the statistics cache (one Redis read) for every role, until the data changes."""

from __future__ import annotations

import asyncio

from graph_schema import statistics_queries as sq
from hub.privacy.access import Role
from hub.store import open_store
from tests.resolvers.conftest import Api

COVERAGE = """query($program: String!) { programCoverage(program: $program, level: 2) {
  region { code } persons dtksPersons enrolled enrolledInDtks coverage } }"""
OVERLAP = """query { programOverlap(programs: ["PKH", "SEMBAKO"]) { pairs { a b persons jaccard }
  combinations { programs persons } } }"""


def mark_data_changed(api: Api) -> None:
    async def mark() -> None:
        store = await open_store(api.settings, autostart=False)
        try:
            await sq.mark_data_changed(store)
        finally:
            await store.close()

    asyncio.run(mark())


def asked(api: Api, query: str, variables: dict[str, str], role: Role) -> tuple[object, int]:
    before = api.round_trips
    data = api.data_of(query, variables, role=role)
    return data, api.round_trips - before


def test_coverage_and_overlap_are_counted_once_per_data_change(api: Api) -> None:
    for query, variables in ((COVERAGE, {"program": "SEMBAKO"}), (OVERLAP, {})):
        mark_data_changed(api)
        first, counted = asked(api, query, variables, Role.ADMIN)
        again, cached = asked(api, query, variables, Role.ADMIN)
        assert again == first and cached == counted - 1  # the counting statement is not sent again
        analyst, analyst_trips = asked(api, query, variables, Role.ANALYST)
        assert analyst_trips == cached  # another role reads the same cached rows ...
        assert analyst == asked(api, query, variables, Role.ANALYST)[0]
        mark_data_changed(api)
        assert asked(api, query, variables, Role.ADMIN) == (first, counted)  # ... until the data changes
