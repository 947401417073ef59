"""Sign-in (``/ui/masuk``), sign-out (``/ui/keluar``) and the home page (``/ui/``).

The sign-in form takes an API key (``hub keys create`` makes them) and starts a session
(``hub/pages/session.py``). Before a session exists, the form is protected by a token in a
short-lived SameSite=Strict cookie that the form must repeat (double submit), so that no other
site can sign a browser in under its own key. A wrong key counts against the address exactly
as a wrong API key does (``hub/api/brakes.py``), is audited the same way, and is answered with
a message, never with which part was wrong.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.api.brakes import RateLimits
from hub.pages.guard import page
from hub.pages.render import render
from hub.pages.session import COOKIE, CSRF_FIELD, Sessions, same_token
from hub.privacy.access import Permission, role_specs
from hub.privacy.audit import Outcome

SIGNIN_COOKIE = "khub_masuk"
REASONS = {"sesi": "Sesi Anda telah berakhir. Silakan masuk lagi.", "keluar": "Anda sudah keluar."}
# The home page's tiles: (permission needed, URL, title, what it is for).
HOME_LINKS = [
    (Permission.SEARCH, "/ui/orang", "Cari orang", "Cari berdasarkan nama, NIK, tanggal lahir atau wilayah, lalu buka "
                                                  "riwayat lengkapnya dari semua sumber."),
    (Permission.REVIEW, "/ui/pemeriksaan", "Pemeriksaan pasangan data", "Putuskan pasangan catatan yang diragukan "
                                                                        "mesin: orang yang sama atau berbeda."),
    (Permission.AGGREGATES, "/ui/analisis", "Analisis cakupan", "Cakupan program per wilayah, irisan program, "
                                                                 "daftar kesenjangan dan jaringan keluarga."),
]


def _next(target: str | None) -> str:
    """Where to go after signing in: a page of the hub only (never another site: ``//x`` or ``/ui\\x``)."""
    if target and target.startswith("/ui/") and not target.startswith(("//", "/ui//")) and "\\" not in target:
        return target
    return "/ui/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, message: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    request.state.signin_csrf = token
    response = render(request, "masuk.html", status_code=status, message=message,
                      info=REASONS.get(request.query_params.get("alasan", ""), ""),
                      lanjut=_next(request.query_params.get("lanjut")))
    response.set_cookie(SIGNIN_COOKIE, token, max_age=900, path="/ui/masuk", httponly=True, samesite="strict",
                        secure=_secure(request))
    return response


async def signin_form(request: Request) -> Response:
    return _form(request)


async def signin(request: Request) -> Response:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not same_token(sent if isinstance(sent, str) else None, request.cookies.get(SIGNIN_COOKIE, "")):
        return _form(request, "Formulir kedaluwarsa atau tidak sah. Silakan coba lagi.", 403)
    key = form.get("kunci")
    key = key.strip() if isinstance(key, str) else ""
    address = request.client.host if request.client else "unknown"
    limits: RateLimits = request.app.state.rate_limits
    if (refused := await limits.address_refused(address)) is not None:
        wait = refused.headers.get("Retry-After", "60")
        response = _form(request, f"Terlalu banyak kunci salah dari alamat ini. Coba lagi dalam {wait} detik.", 429)
        response.headers["Retry-After"] = wait
        return response
    if not key:
        return _form(request, "Masukkan kunci API Anda.", 400)
    sessions: Sessions = request.app.state.sessions
    await sessions.end(request.cookies.get(COOKIE))  # signing in again ends the session this browser had
    signed = await sessions.start(key)
    if signed is None:
        await limits.failed_key(address)
        await request.app.state.audit.failure(None, "sign-in", Outcome.REFUSED, "unknown or revoked API key (pages)",
                                              key_id=key, client=address,
                                              request_id=getattr(request.state, "request_id", None))
        return _form(request, "Kunci tidak dikenal atau sudah dicabut.", 401)
    target = form.get("lanjut")
    response = RedirectResponse(_next(target if isinstance(target, str) else None), status_code=303)
    response.set_cookie(COOKIE, signed.session.session_id, path="/ui", httponly=True, samesite="strict",
                        secure=_secure(request))
    response.delete_cookie(SIGNIN_COOKIE, path="/ui/masuk")
    return response


@page()
async def signout(request: Request) -> Response:
    sessions: Sessions = request.app.state.sessions
    await sessions.end(request.cookies.get(COOKIE))
    response = RedirectResponse("/ui/masuk?alasan=keluar", status_code=303)
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict", secure=_secure(request))
    return response


@page()
async def home(request: Request) -> Response:
    allowed = role_specs()[request.state.signed.principal.role].may
    links = [(url, title, text) for permission, url, title, text in HOME_LINKS if permission in allowed]
    return render(request, "home.html", links=links)


routes: list[BaseRoute] = [
    Route("/masuk", signin_form, methods=["GET"], name="masuk"),
    Route("/masuk", signin, methods=["POST"]),
    Route("/keluar", signout, methods=["POST"], name="keluar"),
    Route("/", home, methods=["GET"], name="home"),
]
