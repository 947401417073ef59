"""One id per HTTP request: in the ``X-Request-Id`` response header, in every audit entry the request
writes and in the log line of any masked error, so that a breach investigation can group what one
request read, and an operator can find the log lines behind a caller's complaint.

The hub makes the id itself: a caller's own ``X-Request-Id`` is not taken, since the audit log must
not group entries by a value a caller chose.
"""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-Id"


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestId:
    """Gives each HTTP request ``scope["state"]["request_id"]`` and sends it back as ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
