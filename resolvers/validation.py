"""Query validation with the hub's limits, computed once per distinct query text.

strawberry's limit extensions (depth, aliases, introspection) each create their validation
rule anew per request, which defeats its ``ValidationCache`` (keyed on the rules) and makes
every request re-validate the whole document: two thirds of a full-history request's time.
Here the rules are made once, and the result is cached by the query text itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document

CACHE_SIZE = 512


class LimitRules:
    """The hub's extra rules and the cache of validation results, one per schema."""

    def __init__(self, max_depth: int, max_aliases: int, introspection: bool) -> None:
        rules: list[type[ASTValidationRule]] = [depth_limit(max_depth, None, None), alias_limit(max_aliases)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self.results: OrderedDict[str, list[GraphQLError]] = OrderedDict()


class ValidateWithLimits(SchemaExtension):
    def __init__(self, limits: LimitRules) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        results = self.limits.results
        key = ctx.query or ""
        errors = results.get(key)
        if errors is None:
            assert ctx.graphql_document is not None
            errors = validate_document(ctx.schema._schema, ctx.graphql_document,
                                       (*ctx.validation_rules, *self.limits.rules))
            results[key] = errors
            if len(results) > CACHE_SIZE:
                results.popitem(last=False)
        else:
            results.move_to_end(key)
        ctx.pre_execution_errors = errors
        yield
