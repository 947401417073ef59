"""The pages' assets, served by the hub itself: nothing comes from a CDN.

Two folders: ``hub/pages/static/`` (the hub's own CSS and JS, and vendored files with their
licence beside them) and the Vega, Vega-Lite and vega-embed builds that the installed Splink
package already carries (``splink/internals/files/external_js/``), served as ``vega.js``,
``vega-lite.js`` and ``vega-embed.js``. Each file is read and gzip-compressed once, then
served from memory with a year-long ``immutable`` cache: its URL carries a digest of its
content (``static_url``), so a changed file gets a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import splink
from starlette.requests import Request
from starlette.responses import Response

OWN = Path(__file__).with_name("static")
SPLINK_JS = Path(splink.__file__).parent / "internals" / "files" / "external_js"
VENDOR = {"vega.js": SPLINK_JS / "vega@5.31.0", "vega-lite.js": SPLINK_JS / "vega-lite@5.2.0",
          "vega-embed.js": SPLINK_JS / "vega-embed@6.20.2"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".json": "application/json"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    version: str


def _path(name: str) -> Path | None:
    if name in VENDOR:
        return VENDOR[name]
    path = (OWN / name).resolve()
    if not path.is_relative_to(OWN.resolve()) or not path.is_file():
        return None
    return path


_LOADED: dict[str, Asset] = {}  # only files found: a name anyone may type is never a cache key


def asset(name: str) -> Asset | None:
    """The file ``name`` (relative to the static folder, or a vendored name), or None."""
    if (found := _LOADED.get(name)) is not None:
        return found
    path = _path(name)
    if path is None:
        return None
    body = path.read_bytes()
    media = TYPES.get(Path(name).suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    _LOADED[name] = Asset(body, gzip.compress(body, 6, mtime=0), media, hashlib.sha256(body).hexdigest()[:12])
    return _LOADED[name]


def static_url(name: str) -> str:
    """``/ui/static/<name>?v=<digest>``: the URL a template links, changing whenever the file does."""
    found = asset(name)
    if found is None:
        raise FileNotFoundError(f"no static file {name!r} in {OWN} or the vendored scripts")
    return f"/ui/static/{name}?v={found.version}"


async def static_file(request: Request) -> Response:
    found = asset(request.path_params["name"])
    if found is None:
        return Response("tidak ditemukan", status_code=404, media_type="text/plain; charset=utf-8")
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
