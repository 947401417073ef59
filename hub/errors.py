"""Project errors: each carries a message meant for the person who hit it.

Anything raised to a user (CLI or API) is a ``HubError``; everything else is a bug and is
masked. ``exit_code`` follows sysexits(3) loosely so scripts can tell causes apart.

The CLI's user is the operator, who sees every message. An API caller sees only the
messages about its own request (``for_caller``): the others name servers, statements and
files, and the API masks them like any bug.
"""

from __future__ import annotations

from typing import ClassVar

QUOTE_LIMIT = 40


def prefix(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to its first ``limit`` characters and "…" (whole when it is no longer)."""
    return text if len(text) <= limit else text[:limit] + "…"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as a message quotes it: in quotes, cut to a short prefix.

    Every message that echoes what a user typed goes through here, so a 5,000-character
    argument comes back as its first characters, not whole.
    """
    return repr(prefix(value if isinstance(value, str) else str(value), limit))


class HubError(Exception):
    """Base class: ``str(err)`` is one line that says what failed and what to do."""

    exit_code = 1
    http_status = 500
    for_caller: ClassVar[bool] = False  # True: the message is about the API caller's own request

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(HubError):
    """A ``HUB_`` setting is missing or malformed."""

    exit_code = 78
    http_status = 500


class GraphUnreachable(HubError):
    """The graph server does not answer."""

    exit_code = 69
    http_status = 503


class GraphAuthError(HubError):
    """The graph server refused the credentials."""

    exit_code = 77
    http_status = 503


class GraphQueryError(HubError):
    """A statement failed on the graph server."""

    exit_code = 70
    http_status = 500


class GraphTimeout(GraphQueryError):
    """A statement ran past the server-side time limit (``HUB_QUERY_TIMEOUT_MS``) and was stopped."""

    http_status = 504


class SchemaError(HubError):
    """Creating a constraint or index failed."""

    exit_code = 70


class EmbeddedServerError(HubError):
    """The embedded FalkorDB server could not be started or stopped."""

    exit_code = 71


class LocalNeo4jError(HubError):
    """The managed local Neo4j could not be built, started or stopped."""

    exit_code = 71


class InputError(HubError):
    """A user-supplied file or argument cannot be used."""

    exit_code = 65
    http_status = 400
    for_caller = True
