"""Query validation with the hub's limits; the rules on the document alone run once per query text.

strawberry's limit extensions (depth, aliases, introspection) each create their validation
rule anew per request, which defeats its ``ValidationCache`` (keyed on the rules) and makes
every request re-validate the whole document: two thirds of a full-history request's time.
Here the rules are made once, and the result is cached by the query text itself.

Three brakes depend on more than the text and are checked per request, after it: the query's
cost (``first`` may be a variable), the length of every string argument (literal or variable)
and, outside development, one operation per request unless ``operationName`` picks one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    validate,
    visit,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

CACHE_SIZE = 512

# What one selection of a root field costs before its own fields: the graph work behind it.
# An aggregate reads every enrolment of a province; a page is one indexed query; a history
# is three batched queries whatever its size.
ROOT_WEIGHTS: Mapping[str, int] = {
    "programCoverage": 300, "programOverlap": 300, "statistic": 300, "householdNetwork": 40, "searchPersons": 10,
    "conflictingPersons": 10, "matchCandidates": 10, "judgeMatch": 25, "person": 3, "household": 3,
    "seenBefore": 25, "registerEncounter": 25, "writeRecords": 25,
    "splitPerson": 25, "joinPersons": 25, "undoVerdict": 25, "matchCandidate": 10,  # a verdict; a pair scored
}
# What each row sent to writeRecords adds: it is checked, written with its history and linked (a
# neighbour lookup and a score), about a third of a history's work; 500 rows (the most one call
# takes) cost 525 of the 1,000 a request may, so one full write passes and two do not.
ROW_WEIGHT = 1
ROWS_ARGUMENTS = {"writeRecords": "rows"}
LIST_SIZE = 5  # what a list without `first` (a person's events, a household's members) is counted as
REASON_ARGUMENTS = frozenset({"reason"})


@dataclass(frozen=True)
class Brakes:
    """The per-request limits (``HUB_MAX_*``); defaults as in the README's configuration table."""

    max_query_cost: int = 1_000
    max_string_chars: int = 1_000
    max_reason_chars: int = 2_000
    single_operation: bool = True  # outside development: one operation, or operationName naming one
    hide_suggestions: bool = True  # outside development: no "Did you mean ...?" that describes the schema


class LimitRules:
    """The hub's extra rules and the cache of validation results, one per schema."""

    def __init__(self, max_depth: int, max_aliases: int, introspection: bool, brakes: Brakes | None = None) -> None:
        # strawberry's own two (its validate_document adds them) and the hub's limits
        rules: list[type[ASTValidationRule]] = [MaybeNullValidationRule, OneOfInputValidationRule,
                                                depth_limit(max_depth, None, None), alias_limit(max_aliases)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self.brakes = brakes or Brakes()
        self.results: OrderedDict[str, tuple[list[GraphQLError], _StringArguments | None]] = OrderedDict()


def query_cost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
               variables: Mapping[str, Any]) -> int:
    """The cost of ``operation``: each object field 1 (scalars come with their object), a root
    field its weight; a list's objects counted once per item, as many items as the nearest
    ``first`` asks for (else ``LIST_SIZE``)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)

    def first_of(node: FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
                return int(variables[value.name.value])
        return None

    def selections(parent: GraphQLNamedType, selection_set: SelectionSetNode | None,
                   items: int, seen: frozenset[str]) -> int:
        if selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += field(parent, selection, items, seen)
            elif isinstance(selection, InlineFragmentNode):
                inner = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                total += selections(inner or parent, selection.selection_set, items, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    inner = schema.get_type(fragment.type_condition.name.value) or parent
                    total += selections(inner, fragment.selection_set, items, seen | {selection.name.value})
        return total

    def rows_of(node: FieldNode) -> int:
        """How many rows a write sends (a literal list or a variable's)."""
        for argument in node.arguments or ():
            if argument.name.value != ROWS_ARGUMENTS.get(node.name.value):
                continue
            value = argument.value
            if isinstance(value, ListValueNode):
                return len(value.values)
            if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), list):
                return len(variables[value.name.value])
            return 1
        return 0

    def field(parent: GraphQLObjectType, node: FieldNode, items: int, seen: frozenset[str]) -> int:
        definition = parent.fields.get(node.name.value)
        own = ROOT_WEIGHTS.get(node.name.value, 1) + ROW_WEIGHT * rows_of(node) if parent is root else 1
        if definition is None or node.selection_set is None:
            return own if parent is root else 0  # a scalar comes with the object that holds it
        first = first_of(node)
        inner_items = first if first is not None else items
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            return own + inner_items * selections(get_named_type(definition.type), node.selection_set, LIST_SIZE, seen)
        return own + selections(get_named_type(definition.type), node.selection_set, inner_items, seen)

    return selections(root, operation.selection_set, LIST_SIZE, frozenset()) if root else 0


class _StringArguments(Visitor):
    """Every string literal with the argument it is in, and the arguments each variable gives."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.arguments: list[str] = []
        self.literals: list[tuple[str, str]] = []
        self.variable_uses: dict[str, list[str]] = {}

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.fields.append(node.name.value)

    def leave_field(self, *_: object) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self.arguments.append(f"{self.fields[-1] if self.fields else ''}({node.name.value}:)")
        if isinstance(node.value, VariableNode):
            self.variable_uses.setdefault(node.value.name.value, []).append(self.arguments[-1])

    def leave_argument(self, *_: object) -> None:
        self.arguments.pop()

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if self.arguments:
            self.literals.append((self.arguments[-1], node.value))


def _limit_for(argument: str, brakes: Brakes) -> int:
    name = argument.rsplit("(", 1)[-1].rstrip(":)")
    return brakes.max_reason_chars if name in REASON_ARGUMENTS else brakes.max_string_chars


def _strings(value: object) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):  # a JSON argument (writeRecords' rows): its column names and cells
            stack.extend(item.keys())
            stack.extend(item.values())


def string_arguments(document: DocumentNode) -> _StringArguments:
    found = _StringArguments()
    visit(document, found)
    return found


def string_length_errors(found: _StringArguments, variables: Mapping[str, Any], brakes: Brakes) -> list[GraphQLError]:
    """One error per argument (literal or variable) holding a string longer than its limit, or a
    NUL character (FalkorDB's query text is a C string: a NUL in a parameter fails the statement)."""
    errors = []
    for argument, text in found.literals:
        limit = _limit_for(argument, brakes)
        if len(text) > limit:
            errors.append(GraphQLError(f"{argument} is {len(text):,} characters long; at most {limit:,} are accepted"))
        elif "\x00" in text:
            errors.append(GraphQLError(f"{argument} holds a NUL character (U+0000), which no argument may"))
    for name, uses in found.variable_uses.items():
        limit = max(_limit_for(use, brakes) for use in uses)
        strings = list(_strings(variables.get(name)))
        longest = max((len(s) for s in strings), default=0)
        where = f"${name} ({', '.join(dict.fromkeys(uses))})"
        if longest > limit:
            errors.append(GraphQLError(f"{where} holds a string of {longest:,} characters; at most {limit:,} are "
                                       "accepted"))
        elif any("\x00" in s for s in strings):
            errors.append(GraphQLError(f"{where} holds a NUL character (U+0000), which no argument may"))
    return errors


def operation_errors(document: DocumentNode, operation_name: str | None) -> list[GraphQLError]:
    """Several operations in one request only with ``operationName`` naming the one to run."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) <= 1 or operation_name:
        return []
    names = ", ".join(o.name.value if o.name else "(anonymous)" for o in operations)
    return [GraphQLError(f"this request holds {len(operations)} operations ({names}); send one operation per "
                         "request, or name the one to run in operationName")]


def cost_errors(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                variables: Mapping[str, Any], brakes: Brakes) -> list[GraphQLError]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name is not None and d.name.value == operation_name))]
    errors = []
    for operation in operations:
        cost = query_cost(schema, document, operation, variables)
        if cost > brakes.max_query_cost:
            errors.append(GraphQLError(
                f"this query costs {cost:,}, more than the {brakes.max_query_cost:,} a request may: ask for fewer "
                "aggregates, aliases or items per page (`first`), or split it into several requests"))
    return errors


class ValidateWithLimits(SchemaExtension):
    def __init__(self, limits: LimitRules) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        results = self.limits.results
        key = ctx.query or ""
        cached = results.get(key)
        document = ctx.graphql_document
        assert document is not None
        if cached is None:
            errors = validate(ctx.schema._schema, document, (*ctx.validation_rules, *self.limits.rules),
                              hide_suggestions=self.limits.brakes.hide_suggestions)
            cached = results[key] = errors, None if errors else string_arguments(document)
            if len(results) > CACHE_SIZE:
                results.popitem(last=False)
        else:
            results.move_to_end(key)
        errors, found = cached
        if found is not None:
            brakes, variables = self.limits.brakes, ctx.variables or {}
            # strawberry's operation_name falls back to the first operation's name: what the request said is this
            asked: str | None = getattr(ctx, "_provided_operation_name", ctx.operation_name)
            errors = [*(operation_errors(document, asked) if brakes.single_operation else []),
                      *string_length_errors(found, variables, brakes)]
            if not errors:
                errors = cost_errors(ctx.schema._schema, document, ctx.operation_name, variables, brakes)
        ctx.pre_execution_errors = errors
        yield
