"""``@page(permission=...)``: what every page handler sits behind.

In order: a live session (else to the sign-in page, coming back afterwards), the key's request
rate (the API's own limiter, so pages and API share one budget per key), the session's CSRF
token on every POST (form field ``csrf`` or header ``X-CSRF-Token``), then the role's
permission (a 403 page naming what the role may not do). A ``PageError`` the handler raises
becomes an error page with its message. The handler finds the officer in
``request.state.signed`` (``Signed``: session and principal).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote as url_quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.api.brakes import RateLimits
from hub.errors import HubError
from hub.pages.gql import PageError
from hub.pages.render import render
from hub.pages.session import COOKIE, CSRF_FIELD, CSRF_HEADER, Sessions, Signed, same_token
from hub.privacy.access import Permission, Principal, role_specs
from resolvers.caller_errors import incident_id

log = logging.getLogger("hub.pages")

Handler = Callable[[Request], Awaitable[Response]]

# What each permission lets an officer do, as the end of "Peran X tidak boleh ...".
ACTIONS = {
    Permission.READ_PERSON: "membuka riwayat seseorang",
    Permission.SEARCH: "mencari orang",
    Permission.HOUSEHOLD: "membuka keluarga dan jaringannya",
    Permission.AGGREGATES: "membuka cakupan dan irisan program",
    Permission.REVIEW: "membuka antrean pemeriksaan pasangan data",
    Permission.JUDGE: "memberi putusan atas pasangan data",
    Permission.WRITE_RECORDS: "mengirim data sumber",
    Permission.SEEN_BEFORE: "menanyakan apakah seseorang pernah ditemui",
}


def may(principal: Principal, permission: Permission) -> bool:
    return permission in role_specs()[principal.role].may


def refusal_page(request: Request, title: str, message: str, status: int) -> Response:
    return render(request, "error.html", status_code=status, title=title, message=message)


def to_signin(request: Request, reason: str = "") -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/ui/masuk?lanjut={url_quote(target, safe='')}" + (f"&alasan={reason}" if reason else "")
    response = RedirectResponse(location, status_code=303)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/ui")
    return response


async def csrf_ok(request: Request, signed: Signed) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()  # starlette keeps it: the handler's own request.form() reads it again
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return same_token(sent, signed.session.csrf)


def _failure(request: Request, exc: Exception) -> Response:
    incident = incident_id()
    log.error("internal error (id %s, request %s) on page %s: %s", incident,
              getattr(request.state, "request_id", None), request.url.path, exc, exc_info=exc)
    status = exc.http_status if isinstance(exc, HubError) else 500
    return refusal_page(request, "Terjadi gangguan", f"Halaman ini tidak dapat ditampilkan karena gangguan di server "
                        f"(kode insiden {incident}). Laporkan kode ini ke admin hub.", status)


def page(permission: Permission | None = None) -> Callable[[Handler], Handler]:
    """Put a page handler behind sign-in, the key's rate, CSRF on POST and ``permission`` (None: any role)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request) -> Response:
            sessions: Sessions = request.app.state.sessions
            signed = await sessions.resume(request.cookies.get(COOKIE))
            if signed is None:
                return to_signin(request, "sesi" if request.cookies.get(COOKIE) else "")
            request.state.signed = signed
            limits: RateLimits = request.app.state.rate_limits
            if (refused := await limits.key_refused(signed.principal.key_id)) is not None:
                wait = refused.headers.get("Retry-After", "1")
                response = refusal_page(request, "Terlalu banyak permintaan",
                                        f"Kunci Anda sudah mencapai batas permintaan. Coba lagi dalam {wait} detik.", 429)
                response.headers["Retry-After"] = wait
                return response
            if request.method == "POST" and not await csrf_ok(request, signed):
                return refusal_page(request, "Formulir ditolak", "Token keamanan formulir tidak ada atau tidak cocok "
                                    "(CSRF). Muat ulang halaman lalu kirim lagi.", 403)
            if permission is not None and not may(signed.principal, permission):
                return refusal_page(request, "Akses ditolak", f"Peran {signed.principal.role} tidak boleh "
                                    f"{ACTIONS[permission]}. Minta kunci dengan peran yang berwenang kepada admin hub.",
                                    403)
            try:
                return await handler(request)
            except PageError as exc:
                return refusal_page(request, "Tidak dapat ditampilkan", exc.message, exc.status)
            except HubError as exc:
                if exc.for_caller:
                    return refusal_page(request, "Tidak dapat diproses", exc.message, exc.http_status)
                return _failure(request, exc)
            except Exception as exc:  # a bug: logged with an incident id, never shown
                return _failure(request, exc)

        return guarded

    return decorate
