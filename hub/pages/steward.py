"""The steward's pages (owned by the STEWARD engineer)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
