"""What ``hub synth`` generates, and how dirty: every rate in one place, with the defaults
the benchmarks and ``make demo`` use (no easier than the mix the hub must handle)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Missing-NIK rate per source (per record): DTKS is mostly clean, field registers are not.
DEFAULT_NIK_MISSING: dict[str, float] = {
    "dtks": 0.05,
    "ppks": 0.30,
    "psks": 0.02,
    "panti_penghuni": 0.30,
    "program": 0.05,
    "slrt_pengaduan": 0.10,
    "slrt_rujukan": 0.10,
    "penjangkauan": 0.90,
    "usulan_kis_pbi": 0.02,
}


@dataclass(frozen=True)
class DirtRates:
    """Per-record rates of each kind of dirt, applied where the field exists."""

    nik_missing: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NIK_MISSING))
    nik_typo: float = 0.03
    nik_household_member: float = 0.02
    nik_excel: float = 0.02
    name_variant: float = 0.30
    dob_day_month_swap: float = 0.03
    dob_year_or_age_only: float = 0.05
    wrong_sex: float = 0.01
    moved_village: float = 0.05

    def missing_for(self, source: str) -> float:
        key = "program" if source.startswith("program_") else source
        return self.nik_missing.get(key, 0.05)

    def scaled(self, factor: float) -> DirtRates:
        """The same mix, every rate multiplied by ``factor`` (0 gives clean data)."""
        return DirtRates(
            nik_missing={k: min(1.0, v * factor) for k, v in self.nik_missing.items()},
            nik_typo=self.nik_typo * factor,
            nik_household_member=self.nik_household_member * factor,
            nik_excel=self.nik_excel * factor,
            name_variant=min(1.0, self.name_variant * factor),
            dob_day_month_swap=self.dob_day_month_swap * factor,
            dob_year_or_age_only=self.dob_year_or_age_only * factor,
            wrong_sex=self.wrong_sex * factor,
            moved_village=self.moved_village * factor,
        )


@dataclass(frozen=True)
class SynthConfig:
    persons: int
    seed: int = 42
    dirt: DirtRates = field(default_factory=DirtRates)
    # Households generated per chunk: bounds memory whatever the population size.
    chunk_persons: int = 50_000
    # The date the population is "exported" on: ages and periods are relative to it.
    reference_year: int = 2026
    xlsx: bool = True
