"""Officer scope: a key scoped to a region reads (and writes) only the persons who belong to it.

A key may carry a region (``Principal.region``: a dotted Kemendagri code, "33.16" a regency,
"33.16.01" a district); without one it reads the whole province. A person belongs to every
region that places them: their home village, each linked record's region, each household's
region and every village a source placed a household in. Which persons belong is decided by
the graph (``graph_schema.api_queries``: ``$scope`` on every statement that returns persons),
inside the statements that page, so pages come out full and keyset cursors stay right.

Nothing here tells an outside person from a missing one: a scoped key asking for a person,
household or candidate outside its region gets the same refusal as for one that does not
exist, so a refusal confirms nothing (the audit log records which it was). List queries leave
outside persons out. Every later page, worklist and export calls these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph_schema import api_queries
from graph_schema.port import GraphStore
from hub.errors import quote
from hub.privacy.access import Forbidden, Principal
from resolvers.arguments import region_argument


class OutsideRegion(Forbidden):
    """A scoped key asked for something that does not belong to its region (or does not exist)."""


def scope_param(principal: Principal) -> str | None:
    """The ``$scope`` parameter of the statements that return persons: the key's region, or None."""
    return principal.region or None


def scoped(principal: Principal, statement: str, twin: str) -> str:
    """``statement``, or its scoped ``twin`` (``*_IN_SCOPE``, which takes ``$scope``) for a key with a region."""
    return statement if scope_param(principal) is None else twin


def covers(principal: Principal, code: str | None) -> bool:
    """Whether a dotted region code lies inside the key's region (every code does without a scope)."""
    scope = scope_param(principal)
    return scope is None or (code is not None and (code == scope or code.startswith(scope + ".")))


def not_in_region(principal: Principal, what: str) -> OutsideRegion:
    """The one refusal for a thing outside the key's region or missing: ``what`` names it ("no person with this NIK")."""
    return OutsideRegion(f"{what} in your region {principal.region}: a key scoped to a region reads only the "
                         "persons who belong to it (whose records or households place them there)")


def region_within(principal: Principal, region: str | None, argument: str = "region") -> str:
    """The region an aggregate counts: the argument (checked), or the key's region when none is given.

    Raises:
        InputError: the argument is not a region code.
        OutsideRegion: the argument lies outside the key's region or above it.
    """
    code = region_argument(region, argument) or ""
    scope = scope_param(principal)
    if scope is None:
        return code
    if not code:
        return scope
    if not covers(principal, code):
        raise OutsideRegion(f"{argument}: {quote(region)} is outside your region {scope}; a key scoped to a region "
                            f"counts only inside it (give {scope} or a region within it, or no region)")
    return code


async def persons_in_scope(store: GraphStore, principal: Principal, person_ids: Iterable[str]) -> set[str]:
    """Which of ``person_ids`` belong to the key's region (all of them without a scope), in one query."""
    ids = sorted(set(person_ids))
    scope = scope_param(principal)
    if scope is None or not ids:
        return set(ids)
    return {row["key"] for row in await store.run(api_queries.PERSONS_IN_SCOPE, {"keys": ids, "scope": scope})}
