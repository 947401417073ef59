"""The Starlette app: ``/graphql`` behind API keys, ``/healthz``, one table of error handlers.

``create_app()`` opens the graph store and Redis in its lifespan and closes them after. A
request without a valid key never reaches GraphQL: it gets a 401 with a one-line reason.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from hub.api.keys import ApiKeys
from hub.errors import HubError
from hub.privacy.access import Principal
from hub.privacy.audit import AuditLog
from hub.settings import Settings
from hub.store import open_redis, open_store
from resolvers.caller_errors import MASKED
from resolvers.context import Context
from resolvers.dataloaders import DataLoaders
from resolvers.schema import build_schema

log = logging.getLogger("hub.api")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


class HubGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with the hub's context: the caller the key middleware found."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(build_schema(settings.development), graphql_ide="graphiql" if settings.development else None,
                         allow_queries_via_get=False)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.app.state
        return Context(store=state.store, principal=request.state.principal, audit=state.audit,
                       loaders=DataLoaders.fresh(state.store), model_path=state.settings.model_path)


class ApiKeyMiddleware:
    """Every /graphql request carries ``Authorization: Bearer <key>`` (or ``X-API-Key``).

    Plain ASGI rather than ``BaseHTTPMiddleware``: it sits on every request, and the latter
    costs a task and a stream copy per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.method == "GET" and request.app.state.settings.development:
            view: HubGraphQL = request.app.state.graphql_view
            # The page holds no data; the queries it sends carry a key.
            await (await view.render_graphql_ide(request))(scope, receive, send)
            return
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        principal: Principal | None = await request.app.state.keys.principal(key) if key else None
        if principal is None:
            message = ("unknown or revoked API key" if key else "missing API key: send 'Authorization: Bearer <key>' "
                       "(an admin creates keys with `hub keys create`)")
            await error(401, message)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def healthz(request: Request) -> JSONResponse:
    await request.app.state.store.ping()
    return JSONResponse({"status": "ok", "graph": request.app.state.store.graph_name})


async def hub_error(request: Request, exc: Exception) -> Response:
    """A failure outside GraphQL (a key lookup, /healthz): the caller's own mistake, or masked and logged."""
    if isinstance(exc, HubError) and exc.for_caller:
        return error(exc.http_status, exc.message)
    log.error("internal error on %s", request.url.path, exc_info=exc)
    status = exc.http_status if isinstance(exc, HubError) else 500
    return error(status, "service unavailable; try again later" if status == 503 else MASKED)


def create_app(settings: Settings) -> Starlette:
    """The API over the store and Redis that ``settings`` name (opened at start-up, closed at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = await open_store(settings)
        try:
            app.state.redis = await open_redis(settings)
        except BaseException:
            await app.state.store.close()
            raise
        app.state.keys = ApiKeys(app.state.redis, settings.graph_name)
        app.state.audit = AuditLog(app.state.redis, settings.graph_name)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.store.close()

    view = HubGraphQL(settings)
    app = Starlette(
        routes=[Route("/graphql", view, methods=["GET", "POST"]), Route("/healthz", healthz)],
        middleware=[Middleware(ApiKeyMiddleware)],
        exception_handlers={HubError: hub_error, Exception: hub_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.graphql_view = view
    return app
