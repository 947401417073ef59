"""Service gaps: what a person appears eligible for but does not receive, by readable rules.

The rules live in ``gaps.toml`` next to this module, so an office changes policy by editing a
file; an edit is read on the next request (the file's modification time is checked each time).
``Facts`` is what the rules can see of a person (or of a household, for a rule whose subject is
one). One rule, two evaluations that must agree: ``GapRule.applies`` on one person's facts (their
history's ``gaps``), and the same rule handed as parameters to graph_schema/targeting_queries.py
(``GapRule.as_params``), which evaluates it across a region's whole population (worklists).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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
    has_nik: bool | None = None
    met_in_a_year_at_least: int | None = None

    def named(self) -> list[tuple[str, Any]]:
        """The conditions this table names, in field order, with their values."""
        return [(k, v) for k in _KINDS if (v := getattr(self, k)) is not None]

    def holds(self, facts: Facts) -> bool:
        return all(_holds(k, v, facts) for k, v in self.named())

    def as_params(self) -> dict[str, Any]:
        """Every condition kind, None where not named: the map targeting_queries' statements read."""
        return self.model_dump()

    def reasons(self, facts: Facts) -> list[str]:
        """Each named condition that holds, in words (why a person is on a worklist)."""
        return [_said(k, v, facts) for k, v in self.named() if _holds(k, v, facts)]

    def absent(self, facts: Facts) -> list[str]:
        """Each condition named for ``unless``, said as what is missing ("no KIS_PBI_APBN or KIS_PBI_APBD")."""
        said = {"in_sources": "no record in ", "programs": "not enrolled in ", "household_programs":
                "no one in the household enrolled in ", "proposals": "no proposal of ", "conditions": "no PPKS category "}
        out = []
        for key, value in self.named():
            if isinstance(value, list):
                out.append(said.get(key, f"not {key} ") + " or ".join(value))
            else:
                out.append(f"not {key} = {value}")
        return out

    def any_named(self, facts: Facts) -> bool:
        """For ``unless``: True when any condition it names holds (the service is received)."""
        return any(_holds(k, v, facts) for k, v in self.named())


_KINDS = tuple(Condition.model_fields)


def _holds(kind: str, value: Any, facts: Facts) -> bool:
    """Whether the condition ``kind`` with ``value`` holds for ``facts``."""
    if kind == "decile_at_most":
        return facts.decile is not None and bool(facts.decile <= value)
    if kind in ("panti_resident", "has_nik"):
        return bool(getattr(facts, kind) == value)
    if kind == "met_in_a_year_at_least":
        return bool(facts.met_in_a_year >= value)
    field = "sources" if kind == "in_sources" else kind  # the list kinds: any of the values
    return not getattr(facts, field).isdisjoint(value)


def _said(kind: str, value: Any, facts: Facts) -> str:
    """A condition that holds, in words."""
    if kind == "decile_at_most":
        return f"DTKS welfare decile {facts.decile} (at most {value})"
    if kind == "panti_resident":
        return "lives or lived in a panti" if value else "no panti stay"
    if kind == "has_nik":
        return "has a NIK" if value else "no NIK"
    if kind == "met_in_a_year_at_least":
        return f"met {facts.met_in_a_year} times in one year (at least {value})"
    field = "sources" if kind == "in_sources" else kind
    shown = sorted(getattr(facts, field) & set(value))
    words = {"in_sources": "recorded in ", "conditions": "PPKS category ", "programs": "enrolled in ",
             "household_programs": "household enrolled in ", "proposals": "proposal: "}
    return words[kind] + (" or " if kind == "in_sources" else ", ").join(shown)


class Subject(StrEnum):
    PERSON = "person"
    HOUSEHOLD = "household"


# What a household rule can see: its decile, its members' programs and the sources that list it.
HOUSEHOLD_CONDITIONS = frozenset({"in_sources", "decile_at_most", "household_programs"})


class GapRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    explanation: str
    suggest: str
    subject: Subject = Subject.PERSON
    when: Condition = Condition()
    when_any: list[Condition] = []
    unless: Condition = Condition()

    def applies(self, facts: Facts) -> bool:
        eligible = self.when.holds(facts) and (not self.when_any or any(c.holds(facts) for c in self.when_any))
        return eligible and not self.unless.any_named(facts)

    def as_params(self) -> dict[str, Any]:
        """The rule as the parameters of graph_schema/targeting_queries.py's statements."""
        return {"when": self.when.as_params(), "when_any": [c.as_params() for c in self.when_any],
                "unless": self.unless.as_params()}

    def named_kinds(self) -> frozenset[str]:
        """Every condition kind the rule names (in when, when_any or unless): the facts its worklist gathers."""
        return frozenset(k for c in (self.when, self.unless, *self.when_any) for k, _ in c.named())

    def reasons(self, facts: Facts) -> list[str]:
        """Why ``facts`` are flagged, in the rule's words: what holds, then what is missing."""
        held = self.when.reasons(facts) + [r for c in self.when_any if c.holds(facts) for r in c.reasons(facts)]
        return held + self.unless.absent(facts)

    @model_validator(mode="after")
    def _household_conditions(self) -> GapRule:
        """A household rule names only what a household has (a ValueError otherwise)."""
        if self.subject is Subject.HOUSEHOLD:
            named = self.named_kinds()
            if named - HOUSEHOLD_CONDITIONS:
                raise ValueError(f"a household rule may name only {', '.join(sorted(HOUSEHOLD_CONDITIONS))}; "
                                 f"it names {', '.join(sorted(named - HOUSEHOLD_CONDITIONS))}")
        return self


class GapRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gap: list[GapRule]

    @model_validator(mode="after")
    def _subjects_and_ids(self) -> GapRules:
        seen: set[str] = set()
        for rule in self.gap:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is given twice")
            seen.add(rule.id)
        return self


@dataclass(frozen=True)
class Facts:
    sources: frozenset[str]
    decile: int | None
    panti_resident: bool
    conditions: frozenset[str]
    programs: frozenset[str]
    household_programs: frozenset[str]
    proposals: frozenset[str]
    has_nik: bool = True
    met_in_a_year: int = 0

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Facts:
        """The facts a worklist statement returned for one person or household; a fact its rule does
        not name is not returned, and is its empty value here."""
        return cls(sources=_set(row.get("sources")), decile=row.get("decile"),
                   panti_resident=bool(row.get("panti_resident")), conditions=_set(row.get("conditions")),
                   programs=_set(row.get("programs")), household_programs=_set(row.get("household_programs")),
                   proposals=_set([p for p in row.get("proposals") or [] if p]), has_nik=bool(row.get("has_nik", True)),
                   met_in_a_year=int(row.get("met_in_a_year") or 0))


_NONE: frozenset[str] = frozenset()


def _set(values: list[str] | None) -> frozenset[str]:
    return frozenset(values) if values else _NONE


def met_in_a_year(dates: list[str | None]) -> int:
    """The most encounters dated in one calendar year."""
    years = [d[:4] for d in dates if d]
    return max((years.count(y) for y in set(years)), default=0)


def load_rules(path: Path = DEFAULT_RULES) -> tuple[GapRule, ...]:
    """The rules of ``path`` as the file is now (read again when its modification time changes).

    Raises:
        ConfigError: the file is missing or malformed (its name and the first problem).
    """
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"gap rules {path}: {exc.strerror}") from None
    return _parsed(path, stamp)


def rule_by_id(rule_id: str, path: Path = DEFAULT_RULES) -> GapRule | None:
    return next((rule for rule in load_rules(path) if rule.id == rule_id), None)


@lru_cache(maxsize=8)
def _parsed(path: Path, stamp: int) -> tuple[GapRule, ...]:
    try:
        parsed = GapRules.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(f"gap rules {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"gap rules {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "gap"
        raise ConfigError(f"gap rules {path}: {where}: {first['msg']}") from None
    return tuple(parsed.gap)


def gaps_for(facts: Facts, rules: tuple[GapRule, ...]) -> list[GapRule]:
    return [rule for rule in rules if rule.applies(facts)]
