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
    """Personal fields: shown in clear only to a role whose ``sees`` lists them (``roles.toml``).

    The one vocabulary of the hub: roles name these, mappings declare their columns with them
    (``personal = "phone"``), and ``mask`` hides or coarsens each for a role that does not see it.
    """

    NIK = "nik"
    KK = "kk"
    NAME = "name"
    MOTHER_NAME = "mother_name"
    BIRTH_DATE = "birth_date"
    BIRTH_PLACE = "birth_place"
    SEX = "sex"
    REGION = "region"
    ADDRESS = "address"
    PHONE = "phone"
    COORDINATES = "coordinates"


# A role that does not see these gets the quasi-identifiers (birth year band, sex, village) only in
# the combinations at least K persons share (``hub.privacy.disclosure``).
QUASI_IDENTIFIERS = frozenset({Personal.BIRTH_DATE, Personal.SEX, Personal.REGION})
# What a masked NIK or KK reads: no digit of it (the first six name the district of issue, and
# with the birth date and sex they give all but the last four).
MASKED_NUMBER = "*" * 16
MASKED = "***"
# Coordinates for a role that does not see them: rounded to a tenth of a degree (about 11 km, the
# size of a district), never closer to the house than the address it may not see.
COORDINATE_DECIMALS = 1
BIRTH_BAND_YEARS = 5


class Permission(StrEnum):
    READ_PERSON = "read_person"
    SEARCH = "search"
    HOUSEHOLD = "household"
    AGGREGATES = "aggregates"
    REVIEW = "review"
    JUDGE = "judge"
    WRITE_RECORDS = "write_records"
    SEEN_BEFORE = "seen_before"
    WORKLIST = "worklist"
    EXPORT = "export"

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
    Permission.WORKLIST: "read worklists (the persons a gap rule flags in a region)",
    Permission.EXPORT: "export worklists or proposal batches",
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

    @property
    def quasi_masked(self) -> bool:
        """Whether this role sees birth date, sex and village only where K persons share them."""
        return not role_specs()[self.role].sees >= QUASI_IDENTIFIERS

    def require_sight(self, field: Personal, argument: str, instead: str) -> None:
        """Refuse a lookup by an identifier the role does not see: a hit or a miss would confirm a guess.

        Raises:
            Forbidden: naming the argument, and what the role may use ``instead``.
        """
        if not self.sees(field):
            raise Forbidden(f"{argument}: the {self.role} role does not see {_NAMES[field]}s, so it may not look "
                            f"anything up by one; use {instead}")

    def may_write(self, source: str) -> bool:
        spec = role_specs()[self.role]
        return Permission.WRITE_RECORDS in spec.may and source in spec.writes

    def require(self, permission: Permission) -> None:
        if permission not in role_specs()[self.role].may:
            raise Forbidden(f"the {self.role} role may not {permission.action}; ask an admin for a key "
                            "with a role that may")


_NAMES = {Personal.NIK: "NIK", Personal.KK: "KK number", Personal.NAME: "name", Personal.MOTHER_NAME: "mother's name",
          Personal.BIRTH_DATE: "birth date", Personal.BIRTH_PLACE: "birth place", Personal.SEX: "sex",
          Personal.REGION: "village", Personal.ADDRESS: "address", Personal.PHONE: "phone number",
          Personal.COORDINATES: "coordinate"}


def mask(value: str | None, field: Personal, principal: Principal) -> str | None:
    """``value`` as ``principal`` may see it: in clear, or masked.

    A NIK or KK keeps no digit; a birth date becomes its 5-year band of birth years ("1955-1959",
    which ``hub.privacy.disclosure`` may widen further); a coordinate is rounded to 0.1 degree;
    every other field keeps nothing.
    """
    if value is None or principal.sees(field):
        return value
    if field in (Personal.NIK, Personal.KK):
        return MASKED_NUMBER
    if field == Personal.BIRTH_DATE:
        return birth_band(value, BIRTH_BAND_YEARS)
    if field == Personal.COORDINATES:
        try:
            return str(round(float(value), COORDINATE_DECIMALS))
        except ValueError:
            return MASKED
    return MASKED


def mask_coordinate(value: float | None, principal: Principal) -> float | None:
    """A latitude or longitude as ``principal`` may see it: exact, or rounded (see COORDINATE_DECIMALS)."""
    if value is None or principal.sees(Personal.COORDINATES):
        return value
    return round(float(value), COORDINATE_DECIMALS)


def birth_band(value: str | None, width: int) -> str | None:
    """The band of ``width`` birth years a date (or a year) falls in: "1955-1959"; None without a year."""
    year = birth_year(value)
    if year is None:
        return None
    start = year - year % width
    return f"{start}-{start + width - 1}"


def birth_year(value: str | None) -> int | None:
    head = (value or "").strip()[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None
