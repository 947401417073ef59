"""The pages' one way to data: the API's own GraphQL schema, run in-process for the signed-in officer.

The context is built exactly as the API builds it for a key (``hub/api/app.py``), so masking,
region scope, k-anonymity, query limits and the audit entries are the API's own: a person a
page shows is a person the officer read, logged like any API read. Pages never query the graph.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from starlette.requests import Request

from hub.privacy.access import Forbidden, Principal
from resolvers.audit_barrier import AuditUnavailable
from resolvers.caller_errors import MASKED
from resolvers.context import Context


class PageError(Exception):
    """A query the page could not answer: ``message`` is for the officer, in Bahasa Indonesia."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def context_for(request: Request, principal: Principal) -> Context:
    """The context the API's own view builds for ``principal`` (its ``get_context``, not a copy of it)."""
    request.state.principal = principal
    context: Context = await request.app.state.graphql_view.get_context(request, None)
    return context


def page_message(error: GraphQLError) -> PageError:
    """The officer's reading of a GraphQL error: the API's reason (named in English, as the API and the
    audit log word it) under an Indonesian heading; a masked failure as the incident to report."""
    original = error.original_error
    if isinstance(original, Forbidden):
        return PageError(f"Akses ditolak: {error.message}", 403)
    if isinstance(original, AuditUnavailable):
        return PageError("Log audit tidak dapat ditulis, jadi data tidak ditampilkan. Coba lagi sebentar lagi.", 503)
    if error.message.startswith(MASKED):
        return PageError(f"Terjadi gangguan di server ({error.message}). Laporkan kode ini ke admin hub.", 500)
    return PageError(f"Permintaan tidak dapat diproses: {error.message}", 400)


async def query(request: Request, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of ``text`` run as the signed-in officer (``@page`` put them on ``request.state``).

    Raises:
        PageError: the API refused or failed the query; its message is for the officer.
    """
    signed = getattr(request.state, "signed", None)
    if signed is None:
        raise PageError("Silakan masuk terlebih dahulu.", 401)
    schema = request.app.state.graphql_view.schema
    context = await context_for(request, signed.principal)
    result = await schema.execute(text, variable_values=variables or {}, context_value=context)
    if result.errors:
        raise page_message(result.errors[0])
    data: dict[str, Any] = result.data or {}
    return data
