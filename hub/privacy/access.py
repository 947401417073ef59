"""Roles: what each may ask, and which personal fields it sees in clear (``roles.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hub.errors import HubError

ROLES_FILE = Path(__file__).with_name("roles.toml")


class Role(StrEnum):
    APP = "app"
    ANALYST = "analyst"
    STEWARD = "steward"
    ADMIN = "admin"


class Personal(StrEnum):
    """Personal fields that are masked unless the caller's role is cleared for them."""

    NIK = "nik"
    MOTHER_NAME = "mother_name"
    ADDRESS = "address"


class Permission(StrEnum):
    READ_PERSON = "read_person"
    SEARCH = "search"
    HOUSEHOLD = "household"
    AGGREGATES = "aggregates"
    REVIEW = "review"
    JUDGE = "judge"
    WRITE_RECORDS = "write_records"
    SEEN_BEFORE = "seen_before"

    @property
    def action(self) -> str:
        """What the permission lets a caller do, as the end of "the app role may not ..."."""
        return _ACTIONS[self]


_ACTIONS = {
    Permission.READ_PERSON: "read a person's history",
    Permission.SEARCH: "search persons",
    Permission.HOUSEHOLD: "read households and their networks",
    Permission.AGGREGATES: "read program aggregates",
    Permission.REVIEW: "read the review queue",
    Permission.JUDGE: "judge match candidates",
    Permission.WRITE_RECORDS: "write records of a source",
    Permission.SEEN_BEFORE: "ask whether a person was seen before",
}


class RoleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    sees: frozenset[Personal]
    may: frozenset[Permission]
    # The sources whose rows the role may send through the API (with the write_records permission).
    writes: frozenset[str] = frozenset()


class RolesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: dict[Role, RoleSpec]


@cache
def role_specs() -> dict[Role, RoleSpec]:
    specs = RolesFile.model_validate(tomllib.loads(ROLES_FILE.read_text(encoding="utf-8"))).roles
    missing = set(Role) - set(specs)
    if missing:
        raise RuntimeError(f"{ROLES_FILE} defines no role {sorted(missing)}")
    return specs


class Forbidden(HubError):
    """The caller's role may not ask this."""

    http_status = 403
    for_caller = True


@dataclass(frozen=True)
class Principal:
    """The caller behind an API key."""

    key_id: str
    name: str
    role: Role
    # The officer's office (a Dinas Sosial) and, where set, the region the key is scoped to: a
    # Kemendagri code, dotted ("33.16" a regency, "33.16.01" a district). None reads the province.
    office: str = ""
    region: str | None = None
    officer: str = ""  # the officer's full name, where the key is an officer's (the audit log names them)

    def sees(self, field: Personal) -> bool:
        return field in role_specs()[self.role].sees

    def may_write(self, source: str) -> bool:
        spec = role_specs()[self.role]
        return Permission.WRITE_RECORDS in spec.may and source in spec.writes

    def require(self, permission: Permission) -> None:
        if permission not in role_specs()[self.role].may:
            raise Forbidden(f"the {self.role} role may not {permission.action}; ask an admin for a key "
                            "with a role that may")


def mask(value: str | None, field: Personal, principal: Principal) -> str | None:
    """``value`` as ``principal`` may see it: in clear, or masked keeping what is not personal.

    A NIK or KK keeps its first six digits (the district it was issued in); an address or a
    mother's name keeps nothing.
    """
    if value is None or principal.sees(field):
        return value
    if field == Personal.NIK:
        return value[:6] + "*" * max(len(value) - 6, 0)
    return "***"
