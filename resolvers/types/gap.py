"""A service the person appears eligible for but does not receive."""

from __future__ import annotations

import strawberry

from resolvers.gaps import GapRule


@strawberry.type(description="A service the person appears eligible for but does not receive (rules: gaps.toml).")
class Gap:
    rule: str
    title: str
    explanation: str
    suggest: str

    @classmethod
    def of(cls, rule: GapRule) -> Gap:
        return cls(rule=rule.id, title=rule.title, explanation=rule.explanation, suggest=rule.suggest)
