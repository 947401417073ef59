"""A person's standing facts: program enrolments, PPKS conditions, panti stays."""

from __future__ import annotations

import strawberry

from graph_schema.port import Row


@strawberry.type(description="A program enrolment as a roster states it.")
class Enrolment:
    program: str
    program_name: str | None
    funding: str | None
    start: str | None = strawberry.field(name="from")
    end: str | None = strawberry.field(name="to")
    status: str | None
    source: str | None
    source_key: str | None

    @classmethod
    def of(cls, row: Row) -> Enrolment:
        return cls(program=row["program"], program_name=row.get("name"), funding=row.get("funding"),
                   start=row.get("from"), end=row.get("to"), status=row.get("status"), source=row.get("source"),
                   source_key=row.get("source_key"))


@strawberry.type(description="A PPKS category (Permensos 8/2012) a register records for the person.")
class Condition:
    code: str
    name: str | None
    recorded_on: str | None
    source: str | None
    source_key: str | None

    @classmethod
    def of(cls, row: Row) -> Condition:
        return cls(code=row["code"], name=row.get("name"), recorded_on=row.get("recorded_on"),
                   source=row.get("source"), source_key=row.get("source_key"))


@strawberry.type(description="Attendance rows of a panti stay, summarised.")
class AttendanceSummary:
    records: int
    present: int
    absent: int
    first_date: str | None
    last_date: str | None


@strawberry.type(description="A stay in a panti (care home).")
class PantiStay:
    panti_id: str
    panti_name: str | None
    kind: str | None
    start: str | None = strawberry.field(name="from")
    end: str | None = strawberry.field(name="to")
    source: str | None
    attendance: AttendanceSummary

    @classmethod
    def of(cls, row: Row, attendance: list[Row]) -> PantiStay:
        mine = [a for a in attendance if a.get("panti_id") == row["panti_id"]]
        dates = sorted(str(a["date"]) for a in mine if a.get("date"))
        present = sum(1 for a in mine if str(a.get("status") or "").lower() in {"present", "hadir"})
        return cls(panti_id=row["panti_id"], panti_name=row.get("name"), kind=row.get("kind"), start=row.get("from"),
                   end=row.get("to"), source=row.get("source"),
                   attendance=AttendanceSummary(records=len(mine), present=present, absent=len(mine) - present,
                                                first_date=dates[0] if dates else None,
                                                last_date=dates[-1] if dates else None))
