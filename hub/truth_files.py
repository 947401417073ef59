"""What ``hub synth`` knows that the hub must find out: its truth files, read for ``hub bench truth``.

``truth.csv`` names the true person behind every source row; ``truth_persons.csv`` gives each
true person's clean identity. The source files add what a row states: DTKS rows their household
relation, roster rows the region the office placed the enrolment in. Column names come from the
loader's mappings, so the truth is read as the loader reads the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from loaders.mapping import FactType, mapping_for
from loaders.normalise import parse_nik_cell

RecordKey = tuple[str, str]  # (source, source key), as the API's records give them
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True)
class TruePerson:
    person_id: str
    nik: str | None  # None: no NIK the loader would accept as valid
    name: str
    sex: str
    birth_date: str  # YYYY-MM-DD
    village_code: str  # 33.10.04.2008

    @property
    def regency_as_offices_write_it(self) -> str:
        """The regency code without dots (3310), as an office types it into a search form."""
        return self.village_code.replace(".", "")[:4]


@dataclass(frozen=True)
class RosterRow:
    program: str  # the program code the roster's mapping enrols in (PKH, SEMBAKO, ...)
    key: RecordKey
    regency: str | None  # 33.10, from the region code the row states


@dataclass
class Truth:
    persons: dict[str, TruePerson]
    person_of_record: dict[RecordKey, str]
    records_of_person: dict[str, list[RecordKey]] = field(default_factory=dict)
    relation_rows: list[RecordKey] = field(default_factory=list)  # DTKS rows that state a household relation
    roster_rows: list[RosterRow] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def regency_of(code: str) -> str | None:
    """"3310182016" or "33.10.18.2016" -> "33.10"; None when the code has no regency."""
    digits = _NOT_DIGIT.sub("", code)
    return f"{digits[:2]}.{digits[2:4]}" if len(digits) >= 4 else None


def _valid_nik(text: str, today: dt.date) -> str | None:
    parsed, problem = parse_nik_cell(text, today)
    nik = parsed.get("nik")
    return nik if problem is None and isinstance(nik, str) else None


def _roster_rows(data: Path, source: str) -> list[RosterRow]:
    mapping = mapping_for(source)
    program = next(str(f.values()["program"]) for f in mapping.facts if f.type == FactType.ENROLMENT)
    region = mapping.fields["region"].column
    return [RosterRow(program, (source, row[mapping.key]), regency_of(row[region] or ""))
            for row in _rows(data / f"{source}.csv")]


def read_truth(data: Path) -> Truth:
    """The truth of a ``hub synth`` output folder (its CSV files)."""
    today = dt.date.today()
    persons = {r["person_id"]: TruePerson(r["person_id"], _valid_nik(r["nik"], today), r["name"], r["sex"],
                                          r["birth_date"], r["village_code"])
               for r in _rows(data / "truth_persons.csv")}
    person_of_record: dict[RecordKey, str] = {}
    records_of_person: dict[str, list[RecordKey]] = defaultdict(list)
    for row in _rows(data / "truth.csv"):
        key = (row["source"], row["source_key"])
        person_of_record[key] = row["person_id"]
        records_of_person[row["person_id"]].append(key)
    dtks = mapping_for("dtks")
    relation = dtks.fields["relation"].column
    relation_rows = [("dtks", row[dtks.key]) for row in _rows(data / "dtks.csv") if (row[relation] or "").strip()]
    rosters = sorted(p.stem for p in data.glob("program_*.csv"))
    return Truth(persons, person_of_record, dict(records_of_person), relation_rows,
                 [row for source in rosters for row in _roster_rows(data, source)])
