"""The review queue's keyset pages over real HTTP: a candidate is on one page only, whatever its priority.

A priority is a float the graph returns as text of 15 significant digits (FalkorDB); a cursor made
from a rounded value that lay above the stored one brought the boundary candidate back on the
next page."""

from __future__ import annotations

from hub.privacy.access import Role
from tests.resolvers.conftest import Api

PAGE = """query($after: String) { matchCandidates(first: 1, after: $after) { edges { node { candidateId priority } }
  pageInfo { hasNextPage endCursor } } }"""


def test_one_candidate_a_page_never_repeats_one(api: Api) -> None:
    seen: list[str] = []
    after = None
    for _ in range(40):
        page = api.data_of(PAGE, {"after": after}, role=Role.STEWARD)["matchCandidates"]
        seen += [e["node"]["candidateId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) >= 20
    assert len(seen) == len(set(seen)), [c for c in seen if seen.count(c) > 1]
