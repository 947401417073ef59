"""The Starlette app: ``/graphql`` behind API keys, ``/healthz``, one table of error handlers.

``create_app()`` opens the graph store and Redis in its lifespan and closes them after. A
request without a valid key never reaches GraphQL: it gets a 401 with a one-line reason. The
brakes (``hub/api/brakes.py``) come in this order: an address guessing keys (429), the key
itself (401), the key's rate (429), the body's size (413); then GraphQL's own limits
(``resolvers/validation.py``). Each request gets an id (``hub/api/request_id.py``: the
``X-Request-Id`` header, its audit entries, its error log lines). A graph that is down or too
slow answers 503 or 504, with the error masked like every failure that is not the caller's (``resolvers/caller_errors.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from hub.api import export_route
from hub.api.brakes import BodyLimit, RateLimits
from hub.api.keys import ApiKeys
from hub.api.request_id import RequestId
from hub.errors import GraphUnreachable, HubError
from hub.pages.routes import pages_mount
from hub.pages.session import Sessions
from hub.privacy.access import Principal
from hub.privacy.audit import AuditLog, Outcome
from hub.privacy.disclosure import Disclosure
from hub.privacy.secret import server_secret
from hub.settings import Settings
from hub.store import open_redis, open_store
from resolvers.caller_errors import http_status, incident_id, masked_message
from resolvers.context import Context
from resolvers.dataloaders import DataLoaders
from resolvers.schema import build_schema
from resolvers.scope import scope_param
from resolvers.stats_cache import StatsCache
from resolvers.validation import Brakes

log = logging.getLogger("hub.api")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


class HubGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with the hub's context: the caller the key middleware found."""

    def __init__(self, settings: Settings) -> None:
        brakes = Brakes(max_query_cost=settings.max_query_cost, max_string_chars=settings.max_string_chars,
                        max_reason_chars=settings.max_reason_chars, single_operation=not settings.development,
                        hide_suggestions=not settings.development)
        super().__init__(build_schema(settings.development, brakes),
                         graphql_ide="graphiql" if settings.development else None, allow_queries_via_get=False)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        response = await super().get_sub_response(request)
        request.state.sub_response = response  # process_result sets its status
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """503 when the graph did not answer, 504 when it stopped a query that ran too long."""
        status = max((http_status(e.original_error) for e in result.errors or ()), default=200)
        if status != 200:
            request.state.sub_response.status_code = status
            request.state.sub_response.headers["Retry-After"] = "5"
        return await super().process_result(request, result)

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.app.state
        return Context(store=state.store, principal=request.state.principal, audit=state.audit,
                       loaders=DataLoaders.fresh(state.store, scope_param(request.state.principal)),
                       disclosure=state.disclosure, model_path=state.settings.model_path,
                       stats_cache=state.stats_cache,
                       request_id=getattr(request.state, "request_id", None),
                       client=request.client.host if request.client else None)


class ApiKeyMiddleware:
    """Every /graphql request carries ``Authorization: Bearer <key>`` (or ``X-API-Key``).

    Plain ASGI rather than ``BaseHTTPMiddleware``: it sits on every request, and the latter
    costs a task and a stream copy per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in ("/graphql", export_route.PATH):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.method == "GET" and scope["path"] == "/graphql" and request.app.state.settings.development:
            view: HubGraphQL = request.app.state.graphql_view
            # The page holds no data; the queries it sends carry a key.
            await (await view.render_graphql_ide(request))(scope, receive, send)
            return
        try:
            caller = await self._caller(request)
        except (RedisError, HubError) as exc:  # keys and rates live in Redis: down, the request fails whole
            caller = await hub_error(request, exc)
        if isinstance(caller, Response):
            await caller(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = caller
        await self.app(scope, receive, send)

    @staticmethod
    async def _caller(request: Request) -> Principal | Response:
        """Who sends the request, or the refusal to send back (429 guessing, 401, 429 over the rate)."""
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        state = request.app.state
        address = request.client.host if request.client else "unknown"
        limits: RateLimits = state.rate_limits
        if key and (refused := await limits.address_refused(address)) is not None:
            return refused
        principal: Principal | None = await state.keys.principal(key) if key else None
        if principal is None:
            if key:
                await limits.failed_key(address)
                await state.audit.failure(None, "sign-in", Outcome.REFUSED, "unknown or revoked API key",
                                          key_id=key, client=address,
                                          request_id=getattr(request.state, "request_id", None))
            message = ("unknown or revoked API key" if key else "missing API key: send 'Authorization: Bearer <key>' "
                       "(an admin creates keys with `hub keys create`)")
            return error(401, message)
        refused = await limits.key_refused(principal.key_id)
        return refused if refused is not None else principal


async def healthz(request: Request) -> JSONResponse:
    await request.app.state.store.ping()
    return JSONResponse({"status": "ok", "graph": request.app.state.store.graph_name})


async def hub_error(request: Request, exc: Exception) -> Response:
    """A failure outside GraphQL (a key lookup, /healthz): the caller's own mistake, or masked and logged."""
    if isinstance(exc, HubError) and exc.for_caller:
        return error(exc.http_status, exc.message)
    if isinstance(exc, RedisError):  # the keys' and rates' Redis: down, or refusing us
        exc = GraphUnreachable(f"Redis does not answer ({exc})")
    incident = incident_id()
    log.error("internal error (id %s, request %s) on %s: %s", incident, getattr(request.state, "request_id", None),
              request.url.path, exc, exc_info=exc)
    status = exc.http_status if isinstance(exc, HubError) else 500
    response = error(status, masked_message(exc, incident))
    if status in (503, 504):
        response.headers["Retry-After"] = "5"
    return response


def create_app(settings: Settings) -> Starlette:
    """The API over the store and Redis that ``settings`` name (opened at start-up, closed at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = await open_store(settings, query_timeout_ms=settings.query_timeout_ms)
        try:
            app.state.redis = await open_redis(settings)
        except BaseException:
            await app.state.store.close()
            raise
        app.state.keys = ApiKeys(app.state.redis, settings.graph_name)
        app.state.rate_limits = RateLimits(app.state.redis, settings)
        app.state.stats_cache = StatsCache(app.state.redis, settings.graph_name)
        app.state.sessions = Sessions(app.state.redis, settings.graph_name, settings.session_idle_minutes * 60,
                                      settings.session_max_hours * 3600)
        app.state.audit = AuditLog.open(settings)  # checks the folder is writable, prunes past retention
        try:
            yield
        finally:
            await app.state.audit.aclose()  # fsyncs the audit entries of the last second
            await app.state.redis.aclose()
            await app.state.store.close()

    view = HubGraphQL(settings)
    app = Starlette(
        routes=[Route("/graphql", view, methods=["GET", "POST"]), Route("/healthz", healthz),
                Route(export_route.PATH, export_route.export_download, methods=["GET"]), pages_mount()],
        middleware=[Middleware(RequestId), Middleware(ApiKeyMiddleware),
                    Middleware(BodyLimit, limit=settings.max_body_bytes)],
        exception_handlers={HubError: hub_error, Exception: hub_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.disclosure = Disclosure(server_secret(settings))
    app.state.graphql_view = view
    return app
