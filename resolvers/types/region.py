"""A Kemendagri region (province > regency > district > village) with the regions above it."""

from __future__ import annotations

import strawberry

from graph_schema.port import Row


@strawberry.type(description="A Kemendagri region: province (level 1), regency/city (2), district (3), village (4).")
class Region:
    code: str
    name: str | None
    level: int | None
    type: str | None
    above: list[RegionRef] = strawberry.field(description="The regions it lies in, the nearest first.")

    @classmethod
    def of(cls, region: Row | None, above: list[Row] | None = None) -> Region | None:
        if not region:
            return None
        parents = sorted(above or [], key=lambda r: -(r.get("level") or 0))
        return cls(code=region["code"], name=region.get("name"), level=region.get("level"), type=region.get("type"),
                   above=[RegionRef(code=r["code"], name=r.get("name"), level=r.get("level")) for r in parents])

    @classmethod
    def at_level(cls, region: Row, above: list[Row], level: int) -> Region | None:
        """``region`` shown no finer than ``level``: the region of that level it lies in, with those above it."""
        chain = [region, *above]
        shown = max((r for r in chain if (r.get("level") or 0) <= level), key=lambda r: r.get("level") or 0,
                    default=None)
        if shown is None:
            return None
        return cls.of(shown, [r for r in chain if (r.get("level") or 0) < (shown.get("level") or 0)])


@strawberry.type(description="A region named by code, name and level.")
class RegionRef:
    code: str
    name: str | None
    level: int | None
