"""Project errors: each carries a message meant for the person who hit it.

Anything raised to a user (CLI or API) is a ``HubError``; everything else is a bug and is
masked. ``exit_code`` follows sysexits(3) loosely so scripts can tell causes apart.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class: ``str(err)`` is one line that says what failed and what to do."""

    exit_code = 1
    http_status = 500

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


class SchemaError(HubError):
    """Creating a constraint or index failed."""

    exit_code = 70


class EmbeddedServerError(HubError):
    """The embedded FalkorDB server could not be started or stopped."""

    exit_code = 71


class InputError(HubError):
    """A user-supplied file or argument cannot be used."""

    exit_code = 65
    http_status = 400
