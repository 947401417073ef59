"""Everything under ``/ui/``: sign-in, the home page, assets, and each audience's route module.

Each route module (``signin``, ``person``, ``steward``, ``analyst``) exposes ``routes: list[BaseRoute]``
with paths relative to ``/ui``. ``pages_mount`` wraps them in the pages' own middleware: gzip
for HTML, the security headers and the server time (``PageHeaders``).
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.pages import analyst, person, signin, steward
from hub.pages.static import static_file

# No inline script or style, nothing from elsewhere; images may be data: URLs (Vega renders some).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SERVER_TIMING = "server-timing"


class PageHeaders:
    """Security headers on every page, ``no-store`` on HTML (it holds personal data), and the handler's
    time as ``Server-Timing: app;dur=<ms>`` (what ``hub bench pages`` reads)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                headers[SERVER_TIMING] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        await self.app(scope, receive, send_with_headers)


routes: list[BaseRoute] = [
    Route("/static/{name:path}", static_file, methods=["GET"], name="static"),
    *signin.routes, *person.routes, *steward.routes, *analyst.routes,
]


def pages_mount() -> Mount:
    return Mount("/ui", routes=routes, name="ui",
                 middleware=[Middleware(PageHeaders), Middleware(GZipMiddleware, minimum_size=800)])
