"""Declarative source mappings: how one export's columns become hub fields and graph facts.

A mapping is a TOML file (``loaders/mappings/<source>.toml`` ships one per known source; an
office whose export has other headers writes its own and passes ``--mapping``). It names the
key column, each field's column, type and checks, and the facts each row states. Pydantic
validates it at the edge, so a broken mapping fails with the file and the setting that is wrong.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import tomllib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.errors import InputError
from hub.privacy.access import Personal

MAPPINGS_DIR = Path(__file__).parent / "mappings"

# Fields with these names are identity attributes of the SourceRecord (what matching compares).
# Beyond what every register has, a list may carry other identifying fields the linker compares:
# ``address`` (street address text), ``phone`` (type "phone": stored as 62...) and ``register_id``
# (the id a shared register gave the person, e.g. an ID DTKS a program roster repeats).
IDENTITY_FIELDS = frozenset({"nik", "kk", "name", "birth_date", "age", "sex", "mother_name", "birth_place", "region",
                             "address", "phone", "register_id"})


class FieldType(StrEnum):
    TEXT = "text"
    NAME = "name"
    NIK = "nik"
    KK = "kk"
    DATE = "date"
    BIRTH_DATE = "birth_date"  # a date, or only a year
    INT = "int"
    FLOAT = "float"
    CODE = "code"
    REGION = "region"
    PHONE = "phone"  # an Indonesian telephone number, stored as 62...


# What a field or a raw column may declare itself (``personal = "phone"``): a kind of personal data,
# or NOT_PERSONAL for a column whose values are never about a person (a status, a program code).
NOT_PERSONAL = "none"
_KINDS = ", ".join(repr(k.value) for k in Personal)
# The kind of a field whose mapping declares none: by its name, then by its type. A field with
# neither is undeclared: its raw cells are masked for a role that sees no identifiers wherever
# they hold something that looks like one (hub/privacy/masking.py).
_KIND_BY_NAME = {"nik": Personal.NIK, "kk": Personal.KK, "name": Personal.NAME, "mother_name": Personal.MOTHER_NAME,
                 "birth_date": Personal.BIRTH_DATE, "age": Personal.BIRTH_DATE, "birth_place": Personal.BIRTH_PLACE,
                 "sex": Personal.SEX, "region": Personal.REGION, "address": Personal.ADDRESS, "phone": Personal.PHONE,
                 "latitude": Personal.COORDINATES, "longitude": Personal.COORDINATES}


def _personal_kind(value: str | None) -> str | None:
    if value is not None and value != NOT_PERSONAL and value not in Personal._value2member_map_:
        raise ValueError(f"personal = {value!r} is not a kind of personal data; use one of {_KINDS}, "
                         f"or {NOT_PERSONAL!r} for a column that never holds any")
    return value


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", ignored_types=(functools.cached_property,))

    column: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    # What to do with a value that is present but unusable: reject the row, or load it without the value.
    on_invalid: Literal["reject", "warn"] | None = None
    formats: list[str] = Field(default_factory=list)  # dates: strptime formats tried first
    codes: dict[str, str] = Field(default_factory=dict)  # code lists: value as exported -> hub code
    pattern: str | None = None  # code lists: a regex whose first group is the code
    min: float | None = None
    max: float | None = None
    # What personal data the column holds (a Personal value), or "none"; unset: inferred (see _KIND_BY_NAME).
    personal: str | None = None

    _check_personal = field_validator("personal")(_personal_kind)

    @functools.cached_property
    def codes_upper(self) -> dict[str, str]:
        return {k.upper(): v for k, v in self.codes.items()}

    @functools.cached_property
    def compiled_pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern) if self.pattern else None

    @property
    def reject_invalid(self) -> bool:
        return self.on_invalid == "reject" if self.on_invalid else self.required


class FactType(StrEnum):
    HOUSEHOLD = "household"
    ENROLMENT = "enrolment"
    CONDITION = "condition"
    PANTI_STAY = "panti_stay"
    PSKS_ACTOR = "psks_actor"
    EVENT = "event"
    REFERRAL = "referral"
    REFERS_TO = "refers_to"


class FactSpec(BaseModel):
    """A fact the row states. Values are literals, or ``$field`` to take a mapped field's value."""

    model_config = ConfigDict(extra="allow", ignored_types=(functools.cached_property,))

    type: FactType

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in (self.model_extra or {}).items()}

    @functools.cached_property
    def from_fields(self) -> tuple[list[str], Callable[[dict[str, Any]], Any] | None, list[str], dict[str, Any]]:
        """``sources`` sorted for speed: the names taken from fields and one getter for their values
        (a tuple, or the value itself for one field), the names taking the key, and the literals."""
        fields = [(name, value) for name, kind, value in self.sources if kind == "field"]
        getter = operator.itemgetter(*(value for _, value in fields)) if fields else None
        return ([name for name, _ in fields], getter, [name for name, kind, _ in self.sources if kind == "key"],
                {name: value for name, kind, value in self.sources if kind == "literal"})

    @functools.cached_property
    def sources(self) -> tuple[tuple[str, str, Any], ...]:
        """(name, "key" | "field" | "literal", field name or literal) of each value; "" is no value."""
        out: list[tuple[str, str, Any]] = []
        for name, value in self.values().items():
            if value == "$key":
                out.append((name, "key", None))
            elif isinstance(value, str) and value.startswith("$"):
                out.append((name, "field", value[1:]))
            else:
                out.append((name, "literal", None if value == "" else value))
        return tuple(out)


class ReadOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoding: str | None = None  # default: UTF-8, falling back to cp1252
    delimiter: str | None = None  # default: sniffed among , ; and tab
    sheet: str | int | None = None  # XLSX: a sheet name, or index; default the first
    # The header's row number as a spreadsheet shows it (a CSV: its line). Default: the first of
    # the first 20 rows that holds every column the mapping reads, past a title block.
    header_row: int | None = Field(default=None, ge=1)


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    key: str  # the column that identifies a row within this source
    # "encounter": rows record a meeting, not a registration (street outreach): the name may be a
    # call name, the age a guess by sight, and the region where the person was met. The linker
    # weighs such records' identity fields for what they are.
    recorded_as: Literal["register", "encounter"] = "register"
    read: ReadOptions = Field(default_factory=ReadOptions)
    fields: dict[str, FieldSpec]
    facts: list[FactSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> Mapping:
        for fact in self.facts:
            for name, value in fact.values().items():
                if isinstance(value, str) and value.startswith("$") and value != "$key" and value[1:] not in self.fields:
                    raise ValueError(f"fact {fact.type}: {name} = {value!r} names no field of this mapping")
        return self

    @property
    def columns(self) -> list[str]:
        return [self.key, *(spec.column for spec in self.fields.values())]

    def personal_columns(self) -> dict[str, Personal | None]:
        """Each declared column's kind of personal data (None: declared not personal); a column
        missing here is undeclared. A column two fields read takes the first personal kind."""
        kinds: dict[str, Personal | None] = {}
        for name, spec in self.fields.items():
            kind = _kind(spec.personal) if spec.personal else _KIND_BY_NAME.get(name) or _KIND_BY_TYPE.get(spec.type)
            if spec.personal is None and kind is None:
                continue
            if kinds.get(spec.column) is None:
                kinds[spec.column] = kind
        return kinds


    def third_party_columns(self) -> frozenset[str]:
        """Columns naming someone other than the record's person (a complaint's reporter, a village
        operator): fields outside the record's own identity whose kind, declared or inferred, is a
        NIK, KK or name."""
        others = {Personal.NIK, Personal.KK, Personal.NAME, Personal.MOTHER_NAME}
        return frozenset(spec.column for name, spec in self.fields.items() if name not in IDENTITY_FIELDS and (
            _kind(spec.personal) if spec.personal else _KIND_BY_NAME.get(name) or _KIND_BY_TYPE.get(spec.type))
            in others)

    def personal_columns_json(self) -> str:
        """``personal_columns`` as kept on each load batch, so that a custom mapping's declarations
        mask its rows when they are read, long after the mapping file is gone."""
        return json.dumps({column: kind.value if kind else NOT_PERSONAL
                           for column, kind in sorted(self.personal_columns().items())})


def personal_columns_from_json(text: str) -> dict[str, Personal | None]:
    """What ``Mapping.personal_columns_json`` wrote."""
    return {str(column): _kind(str(kind)) for column, kind in json.loads(text).items()}


_KIND_BY_TYPE = {FieldType.NIK: Personal.NIK, FieldType.KK: Personal.KK, FieldType.NAME: Personal.NAME,
                 FieldType.BIRTH_DATE: Personal.BIRTH_DATE, FieldType.REGION: Personal.REGION}


def _kind(value: str) -> Personal | None:
    return None if value == NOT_PERSONAL else Personal(value)


def load_mapping(path: Path) -> Mapping:
    """Read and check one mapping file.

    Raises:
        InputError: naming the file and what is wrong in it.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"mapping {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"mapping {path}: not valid TOML ({exc})") from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"mapping {path}: {where}: {first['msg']}") from None


def shipped_sources() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))


def mapping_for(source: str, override: Path | None = None) -> Mapping:
    """The mapping given with --mapping, else the one shipped for ``source``."""
    if override is not None:
        mapping = load_mapping(override)
        if mapping.source != source:
            raise InputError(f"mapping {override} is for source {mapping.source!r}, not {source!r}")
        return mapping
    path = MAPPINGS_DIR / f"{source}.toml"
    if not path.exists():
        known = ", ".join(shipped_sources())
        raise InputError(f"no mapping for source {source!r}: pass --mapping FILE, or use one of: {known}")
    return load_mapping(path)
