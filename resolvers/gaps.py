"""Service gaps: what a person appears eligible for but does not receive, by readable rules.

The rules live in ``gaps.toml`` next to this module (or the file ``HUB_GAP_RULES`` names), so
an office changes policy by editing a file. ``Facts`` is what the rules can see of a person.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from hub.errors import ConfigError

DEFAULT_RULES = Path(__file__).with_name("gaps.toml")


class Condition(BaseModel):
    """One table of conditions; it holds when every condition it names holds."""

    model_config = ConfigDict(extra="forbid")
    in_sources: list[str] | None = None
    decile_at_most: int | None = None
    panti_resident: bool | None = None
    conditions: list[str] | None = None
    programs: list[str] | None = None
    household_programs: list[str] | None = None
    proposals: list[str] | None = None

    def holds(self, facts: Facts) -> bool:
        checks = [
            self.in_sources is None or bool(facts.sources & set(self.in_sources)),
            self.decile_at_most is None or (facts.decile is not None and facts.decile <= self.decile_at_most),
            self.panti_resident is None or facts.panti_resident == self.panti_resident,
            self.conditions is None or bool(facts.conditions & set(self.conditions)),
            self.programs is None or bool(facts.programs & set(self.programs)),
            self.household_programs is None or bool(facts.household_programs & set(self.household_programs)),
            self.proposals is None or bool(facts.proposals & set(self.proposals)),
        ]
        return all(checks)

    def any_named(self, facts: Facts) -> bool:
        """For ``unless``: True when any condition it names holds (the service is received)."""
        return any(Condition.model_validate({k: v}).holds(facts)
                   for k, v in self.model_dump(exclude_none=True).items())


class GapRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    explanation: str
    suggest: str
    when: Condition = Condition()
    when_any: list[Condition] = []
    unless: Condition = Condition()

    def applies(self, facts: Facts) -> bool:
        eligible = self.when.holds(facts) and (not self.when_any or any(c.holds(facts) for c in self.when_any))
        return eligible and not self.unless.any_named(facts)


class GapRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gap: list[GapRule]


@dataclass(frozen=True)
class Facts:
    sources: frozenset[str]
    decile: int | None
    panti_resident: bool
    conditions: frozenset[str]
    programs: frozenset[str]
    household_programs: frozenset[str]
    proposals: frozenset[str]


@cache
def load_rules(path: Path = DEFAULT_RULES) -> tuple[GapRule, ...]:
    """The rules of ``path``; a malformed file fails with its name and the first problem."""
    try:
        parsed = GapRules.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(f"gap rules {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"gap rules {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"gap rules {path}: {where}: {first['msg']}") from None
    return tuple(parsed.gap)


def gaps_for(facts: Facts, rules: tuple[GapRule, ...]) -> list[GapRule]:
    return [rule for rule in rules if rule.applies(facts)]
