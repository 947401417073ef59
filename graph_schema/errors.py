"""The graph layer's errors: what failed on which server, in one line.

The adapters raise these through ``graph_error``. The layer above may install a subclass of
its own for each (``specialise``): the hub does, so that what reaches its command line and
its API is a ``HubError`` with an exit code, an HTTP status and a hint naming the setting to
check, while nothing here knows the hub.
"""

from __future__ import annotations

from typing import TypeVar, cast


class GraphError(Exception):
    """Base class. ``engine`` is the backend that failed (``falkordb``, ``neo4j``; empty: not a graph)."""

    def __init__(self, message: str, *, engine: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.engine = engine


class GraphUnreachable(GraphError):
    """The graph server does not answer."""


class GraphAuthError(GraphError):
    """The graph server refused the credentials."""


class GraphQueryError(GraphError):
    """A statement failed on the graph server."""


class GraphTimeout(GraphQueryError):
    """A statement ran past the server-side time limit and was stopped."""


class SchemaError(GraphError):
    """Creating or dropping a constraint or index failed."""


E = TypeVar("E", bound=GraphError)
_SPECIALISED: dict[type[GraphError], type[GraphError]] = {}


def specialise(kind: type[E], subclass: type[E]) -> None:
    """Raise ``subclass`` wherever the graph layer raises ``kind`` (the layer above calls this once)."""
    if not issubclass(subclass, kind):
        raise TypeError(f"{subclass.__name__} is not a subclass of {kind.__name__}")
    _SPECIALISED[kind] = subclass


def graph_error(kind: type[E], message: str, engine: str) -> E:
    """An error of ``kind`` (or the subclass installed for it) saying ``message``."""
    return cast(E, _SPECIALISED.get(kind, kind)(message, engine=engine))
