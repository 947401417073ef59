"""An export layout: the columns, sheet and wording a receiving office's template asks for (a TOML file).

``hub/export/layouts/<name>.toml`` (an office edits it). Each column names a value of an export
row (``VALUES``); a value that is personal data names the ``Personal`` field whose sight it needs.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.errors import ConfigError, InputError, quote
from hub.privacy.access import Personal

LAYOUTS = Path(__file__).with_name("layouts")
_NAME = re.compile(r"^[a-z0-9_]{1,40}$")

# Every value a column may take, and the personal field a role must see to get it in clear.
VALUES: dict[str, Personal | None] = {
    "row_number": None, "nik": Personal.NIK, "kk": Personal.KK, "name": Personal.NAME,
    "birth_place": Personal.BIRTH_PLACE, "birth_date": Personal.BIRTH_DATE, "sex": Personal.SEX,
    "address": Personal.ADDRESS, "village_code": Personal.REGION, "welfare_category": None, "dtks_status": None,
    "decile": None, "person_id": None, "region_code": Personal.REGION,
}


class WithoutSight(StrEnum):
    REFUSE = "refuse"
    MASK = "mask"


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    header: str
    value: str
    text: bool = False
    date_format: str | None = None
    sex: dict[str, str] | None = None

    def model_post_init(self, __context: object) -> None:
        if self.value not in VALUES:
            raise ValueError(f"value {self.value!r} is not one of {', '.join(VALUES)}")


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str = ""
    sheet: str = Field(min_length=1, max_length=31)  # Excel's limit on a sheet name
    without_sight: WithoutSight = WithoutSight.REFUSE
    columns: list[Column] = Field(min_length=1)
    welfare_category: dict[str, str] = {}
    dtks_status: dict[str, str] = {"registered": "TERDAFTAR", "not_registered": "TIDAK TERDAFTAR"}

    def model_post_init(self, __context: object) -> None:
        headers = [c.header for c in self.columns]
        twice = sorted({h for h in headers if headers.count(h) > 1})
        if twice:  # a file's columns are told apart by their header (the XLSX writer takes rows keyed by it)
            raise ValueError(f"header {twice[0]!r} names two columns; each column needs a header of its own")

    def personal(self) -> list[tuple[Column, Personal]]:
        """The columns that hold personal data, with the field whose sight each needs."""
        return [(c, field) for c in self.columns if (field := VALUES[c.value]) is not None]


def load_layout(name: str, folder: Path = LAYOUTS) -> Layout:
    """The layout ``folder/<name>.toml``.

    Raises:
        InputError: no such layout (the shipped ones are named).
        ConfigError: the file is malformed (its name and the first problem).
    """
    path = folder / f"{name}.toml"
    if not _NAME.match(name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
        raise InputError(f"layout: {quote(name)} is not an export layout (known: {known}; files in {folder})")
    try:
        layout = Layout.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"export layout {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"export layout {path}: {where}: {first['msg']}") from None
    return layout.model_copy(update={"name": name})
