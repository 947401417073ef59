"""The analyst's pages (owned by the ANALYST engineer)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
