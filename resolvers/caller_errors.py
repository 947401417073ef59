"""Which errors reach the API caller, and how they read.

A caller sees its own mistakes, each naming what was wrong: graphql-core's verdicts on the
query and its variables, and ``HubError``s meant for the caller (``for_caller``). Everything
else (a statement that failed on the graph, a server that does not answer, a bug) is
logged and masked, outside development too: its message names servers and statements.

graphql-core reports a variable it cannot coerce (a wrong enum value, a string for an Int,
a missing required variable, an Int out of range) as an error without a response path
whose ``original_error`` is graphql-core's own ``GraphQLError``; an error raised while
executing always has a path. That is what tells the two apart, not the wording.

graphql-core quotes what the caller sent (a name, a literal, a variable's value) whole or
cut to 240 characters; every such quote is cut to the prefix ``hub.errors.quote`` gives.
Outside development its suggestions ("Did you mean 'person'?") are cut too: they would
describe the schema to a caller that introspection is closed to.

A masked error carries an incident id, in the message and in the log line that holds the
real exception, so that an operator finds one from the other. The masked error keeps the
original exception (never sent: graphql-core formats only the message, path and locations)
so that the HTTP layer can answer 503 or 504 for a graph that is down or too slow.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    Lexer,
    Source,
    TokenKind,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.pyutils import inspect
from strawberry.extensions import SchemaExtension

from hub.errors import QUOTE_LIMIT, GraphAuthError, GraphTimeout, GraphUnreachable, HubError, prefix, quote

log = logging.getLogger("hub.api")

MASKED = "internal error"  # every masked message starts so; an incident id follows
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def incident_id() -> str:
    return secrets.token_hex(6)


def masked_message(exc: BaseException | None, incident: str) -> str:
    """What a caller is told of a failure that is not theirs: the kind, never the details."""
    if isinstance(exc, GraphTimeout):
        return (f"{MASKED} (id {incident}): the query ran longer than the hub allows and was stopped; "
                "ask for less or try again later")
    if isinstance(exc, GraphUnreachable | GraphAuthError):
        return f"{MASKED} (id {incident}): service unavailable; try again later"
    return f"{MASKED} (id {incident}); the hub's log has the details"


def http_status(exc: BaseException | None) -> int:
    """The HTTP status a failure asks for: 504 a statement stopped, 503 a graph not answering."""
    if isinstance(exc, GraphTimeout):
        return 504
    if isinstance(exc, GraphUnreachable | GraphAuthError):
        return 503
    return 200


def is_variable_error(error: GraphQLError) -> bool:
    """A variable graphql-core could not coerce: reported before execution, so with no path."""
    return isinstance(error.original_error, GraphQLError) and error.path is None


def is_internal(error: GraphQLError) -> bool:
    """True unless the error is about the caller's own request."""
    original = error.original_error
    if original is None:
        return False  # graphql-core's verdict on the query: syntax, validation, limits
    if isinstance(original, HubError):
        return not original.for_caller
    return not is_variable_error(error)


def long_values(query: str | None, variables: dict[str, Any] | None) -> list[str | int]:
    """What the caller sent that is too long to quote whole: query tokens and variable values, longest first."""
    found: set[str | int] = set()
    if query:
        lexer = Lexer(Source(query))
        try:
            token = lexer.advance()
            while token.kind != TokenKind.EOF:
                if token.value is not None and len(token.value) > QUOTE_LIMIT:
                    found.add(token.value)
                token = lexer.advance()
        except GraphQLError:
            pass  # the rest does not lex; its syntax error quotes at most a character
    stack: list[object] = [variables or {}]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) > QUOTE_LIMIT:
            found.add(value)
    return sorted(found, key=lambda v: len(str(v)), reverse=True)


def shortened(message: str, values: list[str | int]) -> str:
    """``message`` with each of ``values`` cut to its quoted prefix, however graphql-core printed it."""
    for value in values:
        # inspect() is how graphql-core prints a variable's value: quoted, cut to 240 characters.
        message = message.replace(inspect(value), quote(value)).replace(str(value), prefix(str(value)))
    return message


class _ArgumentsOf(Visitor):
    """Where a variable is used: ``field(argument:)`` for each argument it gives."""

    def __init__(self, variable: str) -> None:
        super().__init__()
        self.variable = variable
        self.fields: list[str] = []
        self.uses: list[str] = []

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.fields.append(node.name.value)

    def leave_field(self, *_: object) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        value = node.value
        if isinstance(value, VariableNode) and value.name.value == self.variable and self.fields:
            self.uses.append(f"{self.fields[-1]}({node.name.value}:)")


def replace_message(error: GraphQLError, message: str) -> GraphQLError:
    if message == error.message:
        return error
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, error.original_error,
                        error.extensions)


def with_arguments(error: GraphQLError, document: DocumentNode | None) -> str:
    """A variable's error message, saying which arguments the variable gives."""
    node = error.nodes[0] if error.nodes else None
    if document is None or not isinstance(node, VariableDefinitionNode):
        return error.message
    uses = _ArgumentsOf(node.variable.name.value)
    visit(document, uses)
    if not uses.uses:
        return error.message
    return f"{error.message} (${uses.variable} is the argument {', '.join(dict.fromkeys(uses.uses))})"


class CallerErrors(SchemaExtension):
    """Masks internal errors and cuts suggestions (when ``mask``); shortens the caller's long values."""

    def __init__(self, mask: bool) -> None:
        super().__init__()
        self.mask = mask

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if not errors:
            return
        values: list[str | int] | None = None
        out = []
        for error in errors:
            if is_internal(error):
                incident = incident_id()
                log.error("internal error (id %s, request %s) in %s: %s", incident,
                          getattr(self.execution_context.context, "request_id", None), error.path,
                          error.original_error, exc_info=error.original_error)
                if self.mask:
                    out.append(GraphQLError(masked_message(error.original_error, incident), error.nodes, error.source,
                                            error.positions, error.path, error.original_error))
                    continue
            if values is None:
                values = long_values(self.execution_context.query, self.execution_context.variables)
            message = SUGGESTION.sub("", error.message) if self.mask else error.message
            message = shortened(with_arguments(replace_message(error, message), self.execution_context.graphql_document)
                                if is_variable_error(error) else message, values)
            out.append(error if message == error.message else GraphQLError(
                message, error.nodes, error.source, error.positions, error.path, error.original_error,
                error.extensions))
        result.errors = out  # type: ignore[union-attr]
