"""Project errors: each carries a message meant for the person who hit it.

Anything raised to a user (CLI or API) is a ``HubError`` (the graph layer's own errors,
``graph_schema.errors``, are raised as the subclasses below, installed with ``specialise``);
everything else is a bug and is masked. ``exit_code`` follows sysexits(3) loosely so scripts can tell causes apart.

The CLI's user is the operator, who sees every message. An API caller sees only the
messages about its own request (``for_caller``): the others name servers, statements and
files, and the API masks them like any bug.
"""

from __future__ import annotations

from typing import ClassVar

from graph_schema import errors as graph_errors

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


class _FromGraph(HubError):
    """A ``graph_schema.errors`` error as the hub reports it: the graph layer's message (what failed
    where) and the hub's hint (which setting to check), keyed by the engine that failed."""

    hints: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, *, engine: str = "") -> None:
        hint = self.hints.get(engine, "")
        super().__init__(f"{message}: {hint}" if hint else message)
        self.engine = engine


class GraphUnreachable(_FromGraph, graph_errors.GraphUnreachable):
    """The graph server does not answer."""

    exit_code = 69
    http_status = 503
    hints: ClassVar[dict[str, str]] = {"falkordb": "start it with `hub db start` or check HUB_GRAPH_URI",
                                       "neo4j": "check HUB_GRAPH_URI and that Neo4j runs"}


class GraphAuthError(_FromGraph, graph_errors.GraphAuthError):
    """The graph server refused the credentials."""

    exit_code = 77
    http_status = 503
    hints: ClassVar[dict[str, str]] = {"falkordb": "check HUB_GRAPH_USER/HUB_GRAPH_PASSWORD",
                                       "neo4j": "check HUB_GRAPH_USER/HUB_GRAPH_PASSWORD"}


class GraphQueryError(_FromGraph, graph_errors.GraphQueryError):
    """A statement failed on the graph server."""

    exit_code = 70
    http_status = 500


class GraphTimeout(GraphQueryError, graph_errors.GraphTimeout):
    """A statement ran past the server-side time limit (``HUB_QUERY_TIMEOUT_MS``) and was stopped."""

    http_status = 504


class SchemaError(_FromGraph, graph_errors.SchemaError):
    """Creating a constraint or index failed."""

    exit_code = 70


for _kind, _subclass in ((graph_errors.GraphUnreachable, GraphUnreachable),
                         (graph_errors.GraphAuthError, GraphAuthError),
                         (graph_errors.GraphQueryError, GraphQueryError),
                         (graph_errors.GraphTimeout, GraphTimeout),
                         (graph_errors.SchemaError, SchemaError)):
    graph_errors.specialise(_kind, _subclass)


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
