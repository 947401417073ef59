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
from collections.abc import Callable, Mapping
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

    def holds(self, facts: Facts) -> bool:
        checks = [
            self.in_sources is None or bool(facts.sources & set(self.in_sources)),
            self.decile_at_most is None or (facts.decile is not None and facts.decile <= self.decile_at_most),
            self.panti_resident is None or facts.panti_resident == self.panti_resident,
            self.conditions is None or bool(facts.conditions & set(self.conditions)),
            self.programs is None or bool(facts.programs & set(self.programs)),
            self.household_programs is None or bool(facts.household_programs & set(self.household_programs)),
            self.proposals is None or bool(facts.proposals & set(self.proposals)),
            self.has_nik is None or facts.has_nik == self.has_nik,
            self.met_in_a_year_at_least is None or facts.met_in_a_year >= self.met_in_a_year_at_least,
        ]
        return all(checks)

    def as_params(self) -> dict[str, Any]:
        """Every condition kind, None where not named: the map targeting_queries' statements read."""
        return self.model_dump()

    def reasons(self, facts: Facts) -> list[str]:
        """Each named condition that holds, in words (why a person is on a worklist)."""
        said: dict[str, Callable[[Any], str]] = {
            "in_sources": lambda v: "recorded in " + " or ".join(sorted(facts.sources & set(v))),
            "decile_at_most": lambda v: f"DTKS welfare decile {facts.decile} (at most {v})",
            "panti_resident": lambda v: "lives or lived in a panti" if v else "no panti stay",
            "conditions": lambda v: "PPKS category " + ", ".join(sorted(facts.conditions & set(v))),
            "programs": lambda v: "enrolled in " + ", ".join(sorted(facts.programs & set(v))),
            "household_programs": lambda v: "household enrolled in " + ", ".join(sorted(facts.household_programs
                                                                                    & set(v))),
            "proposals": lambda v: "proposal: " + ", ".join(sorted(facts.proposals & set(v))),
            "has_nik": lambda v: "has a NIK" if v else "no NIK",
            "met_in_a_year_at_least": lambda v: f"met {facts.met_in_a_year} times in one year (at least {v})",
        }
        return [said[k](v) for k, v in self.model_dump(exclude_none=True).items()
                if Condition.model_validate({k: v}).holds(facts)]

    def absent(self, facts: Facts) -> list[str]:
        """Each condition named for ``unless``, said as what is missing ("no KIS_PBI_APBN or KIS_PBI_APBD")."""
        said = {"in_sources": "no record in ", "programs": "not enrolled in ", "household_programs":
                "no one in the household enrolled in ", "proposals": "no proposal of ", "conditions": "no PPKS category "}
        out = []
        for key, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, list):
                out.append(said.get(key, f"not {key} ") + " or ".join(value))
            else:
                out.append(f"not {key} = {value}")
        return out

    def any_named(self, facts: Facts) -> bool:
        """For ``unless``: True when any condition it names holds (the service is received)."""
        return any(Condition.model_validate({k: v}).holds(facts)
                   for k, v in self.model_dump(exclude_none=True).items())


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
        return frozenset(k for c in (self.when, self.unless, *self.when_any) for k in c.model_dump(exclude_none=True))

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
        return cls(sources=frozenset(row.get("sources") or []), decile=row.get("decile"),
                   panti_resident=bool(row.get("panti_resident")), conditions=frozenset(row.get("conditions") or []),
                   programs=frozenset(row.get("programs") or []),
                   household_programs=frozenset(row.get("household_programs") or []),
                   proposals=frozenset(p for p in row.get("proposals") or [] if p), has_nik=bool(row.get("has_nik", True)),
                   met_in_a_year=int(row.get("met_in_a_year") or 0))


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
