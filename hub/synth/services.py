"""Sources of services and encounters: panti stays, attendance and case notes; SLRT complaints
and referrals; street outreach, where most people give no NIK and are met more than once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hub.synth.catalog import (
    OUTREACH_CATEGORIES,
    OUTREACH_PLACES,
    PANTI_KINDS,
    PANTI_NAMES,
    PROGRAMS,
    REFERRAL_AGENCIES,
    SLRT_COMPLAINTS,
    SLRT_STATUS_FLOW,
)
from hub.synth.context import ChunkContext, SourceChunk, fmt_dates, status_history, truth
from hub.synth.dirt import SourceShape
from hub.synth.regions import Regions

PANTI = SourceShape("panti_penghuni", date_format="%d-%m-%Y")
SLRT = SourceShape("slrt_pengaduan", date_format="%d-%m-%Y")
REFERRAL = SourceShape("slrt_rujukan", has_birth_date=False, has_sex=False, has_village=False)
OUTREACH = SourceShape("penjangkauan", has_birth_date=False, has_age=True, has_village=False, aliases=True)
CASE_NOTES = ["Kondisi kesehatan stabil, mengikuti kegiatan harian.", "Perlu pemeriksaan lanjutan ke puskesmas.",
              "Keluarga berkunjung, rencana reunifikasi dibahas.", "Mengikuti bimbingan keterampilan.",
              "Mengalami penurunan nafsu makan, dipantau pekerja sosial.", "Asesmen lanjutan selesai."]


def regency_centre(regency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fixed point per regency inside Jawa Tengah's extent (lat -8.2..-6.4, lon 108.6..111.7)."""
    r = regency.astype(int)
    return -6.55 - ((r * 37) % 100) / 100 * 1.5, 108.8 + ((r * 53) % 100) / 100 * 2.7


@dataclass(frozen=True)
class PantiRegistry:
    codes: np.ndarray
    names: np.ndarray
    kinds: np.ndarray  # index into PANTI_KINDS
    regency: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator, regions: Regions, persons: int) -> PantiRegistry:
        count = int(np.clip(persons // 2000, 6, 300))
        kinds = np.arange(count) % len(PANTI_KINDS)
        regency = rng.integers(0, len(regions.regency_codes), count)
        names = [f"{PANTI_KINDS[k][1]} {PANTI_NAMES[i % len(PANTI_NAMES)]} "
                 f"{regions.birth_places[regency[i]]}" for i, k in enumerate(kinds)]
        codes = [f"PANTI-{regions.regency_plain[regency[i]]}-{i + 1:03d}" for i in range(count)]
        return cls(np.array(codes), np.array(names), kinds, regency)


def panti(ctx: ChunkContext, registry: PantiRegistry) -> list[SourceChunk]:
    p = ctx.people[ctx.people["panti"]]
    n = len(p)
    age, disabled = p["age"].to_numpy(), p["disabled"].to_numpy()
    kind = np.where(disabled, 1, np.where(age < 18, 2, 0))
    home = np.array([np.flatnonzero(registry.kinds == k)[int(ctx.rng.integers(0, (registry.kinds == k).sum()))]
                     for k in kind], dtype=int)
    keys = ctx.make_keys("RES", n)
    ident = ctx.identity(p, PANTI)
    entered = ctx.dates_between("2020-01-01", "2025-10-31", n)
    left = np.where(ctx.rng.random(n) < 0.3, entered + ctx.rng.integers(30, 900, n).astype("timedelta64[D]"),
                    np.datetime64("NaT"))
    left = np.where(left > np.datetime64("2025-12-31"), np.datetime64("NaT"), left)
    residents = pd.DataFrame({
        "ID_PENGHUNI": keys, "KODE_PANTI": registry.codes[home], "NAMA_PANTI": registry.names[home],
        "NIK": ident["nik"].to_numpy(), "NAMA": ident["name"].to_numpy(), "TGL_LAHIR": ident["birth_date"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(), "KODE_WILAYAH_ASAL": ident["village"].to_numpy(),
        "TGL_MASUK": fmt_dates(entered, "%d-%m-%Y"), "TGL_KELUAR": fmt_dates(left, "%d-%m-%Y"),
        "ALASAN_KELUAR": np.where(pd.isna(left), "", ctx.rng.choice(["REUNIFIKASI", "MENINGGAL", "DIRUJUK"], n)),
    }, dtype=object)
    person = p["person_id"].to_numpy()

    visits = ctx.rng.integers(3, 11, n)
    who = np.repeat(np.arange(n), visits)
    att_keys = ctx.make_keys("ABS", len(who))
    day = entered[who] + ctx.rng.integers(0, 60, len(who)).astype("timedelta64[D]")
    lat, lon = regency_centre(registry.regency[home[who]])
    attendance = pd.DataFrame({
        "ID_ABSENSI": att_keys, "ID_PENGHUNI": keys[who], "KODE_PANTI": registry.codes[home[who]],
        "TANGGAL": fmt_dates(day, "%d-%m-%Y"),
        "JAM": [f"{h:02d}:{m:02d}" for h, m in zip(ctx.rng.integers(6, 18, len(who)), ctx.rng.integers(0, 60, len(who)),
                                                   strict=True)],
        "STATUS": ctx.rng.choice(["HADIR", "HADIR", "HADIR", "IZIN", "SAKIT"], len(who)),
        "LATITUDE": np.round(lat + ctx.rng.normal(0, 0.0005, len(who)), 6),
        "LONGITUDE": np.round(lon + ctx.rng.normal(0, 0.0005, len(who)), 6),
    }, dtype=object)

    notes = ctx.rng.integers(1, 4, n)
    who_n = np.repeat(np.arange(n), notes)
    note_keys = ctx.make_keys("CTT", len(who_n))
    case_notes = pd.DataFrame({
        "ID_CATATAN": note_keys, "ID_PENGHUNI": keys[who_n],
        "TANGGAL": fmt_dates(entered[who_n] + ctx.rng.integers(0, 120, len(who_n)).astype("timedelta64[D]"), "%d-%m-%Y"),
        "PEKERJA_SOSIAL": ctx.handlers(p["regency"].to_numpy()[who_n]),
        "CATATAN": ctx.rng.choice(CASE_NOTES, len(who_n)),
    }, dtype=object)
    return [
        SourceChunk("panti_penghuni", residents, truth("panti_penghuni", keys, person, ident["dirt"].to_numpy())),
        SourceChunk("panti_absensi", attendance, truth("panti_absensi", att_keys, person[who])),
        SourceChunk("panti_catatan", case_notes, truth("panti_catatan", note_keys, person[who_n])),
    ]


def slrt(ctx: ChunkContext) -> list[SourceChunk]:
    p = ctx.people[ctx.people["complaint"]]
    n = len(p)
    keys = ctx.make_keys("SLRT", n)
    ident = ctx.identity(p, SLRT)
    opened = ctx.dates_between("2023-01-01", "2025-12-01", n)
    steps = ctx.rng.integers(1, len(SLRT_STATUS_FLOW) + 1, n)
    self_reported = ctx.rng.random(n) < 0.6
    reporter_nik = np.where(self_reported, p["nik"].to_numpy(), p["other_member_nik"].to_numpy())
    reporter_name = np.where(self_reported, ident["name"].to_numpy(), "")
    complaint = ctx.rng.choice(SLRT_COMPLAINTS, n)
    complaints = pd.DataFrame({
        "NO_TIKET": keys, "TGL_PENGADUAN": fmt_dates(opened, "%d-%m-%Y"), "NIK_PELAPOR": reporter_nik,
        "NAMA_PELAPOR": reporter_name, "HUBUNGAN_PELAPOR": np.where(self_reported, "DIRI SENDIRI", "ANGGOTA KELUARGA"),
        "NIK": ident["nik"].to_numpy(), "NAMA": ident["name"].to_numpy(), "TGL_LAHIR": ident["birth_date"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(), "KODE_WILAYAH": ident["village"].to_numpy(),
        "JENIS_PENGADUAN": np.where(np.char.startswith(complaint.astype(str), "KEPESERTAAN"), "KEPESERTAAN", "LAINNYA"),
        "URAIAN": complaint, "STATUS": np.array(SLRT_STATUS_FLOW, dtype=object)[steps - 1],
        "RIWAYAT_STATUS": status_history(ctx.rng, opened, SLRT_STATUS_FLOW, steps),
        "PETUGAS": ctx.handlers(p["regency"].to_numpy()),
    }, dtype=object)

    referred = steps >= 3
    r = p[referred]
    m = len(r)
    r_keys = ctx.make_keys("RJK", m)
    r_ident = ctx.identity(r, REFERRAL)
    to_program = ctx.rng.random(m) < 0.6
    program_codes = np.array([code for code, *_ in PROGRAMS])
    agency_codes = np.array([code for code, _ in REFERRAL_AGENCIES])
    target = np.where(to_program, ctx.rng.choice(program_codes, m), ctx.rng.choice(agency_codes, m))
    r_date = opened[referred] + ctx.rng.integers(3, 20, m).astype("timedelta64[D]")
    r_steps = ctx.rng.integers(1, 4, m)
    referral_flow = ["DIKIRIM", "DITERIMA TUJUAN", "DITINDAKLANJUTI"]
    referrals = pd.DataFrame({
        "NO_RUJUKAN": r_keys, "NO_TIKET": keys[referred], "NIK": r_ident["nik"].to_numpy(),
        "NAMA": r_ident["name"].to_numpy(), "TUJUAN_RUJUKAN": target,
        "JENIS_TUJUAN": np.where(to_program, "PROGRAM", "INSTANSI"), "TGL_RUJUKAN": fmt_dates(r_date, "%d-%m-%Y"),
        "STATUS": np.array(referral_flow, dtype=object)[r_steps - 1],
        "RIWAYAT_STATUS": status_history(ctx.rng, r_date, referral_flow, r_steps),
    }, dtype=object)
    return [
        SourceChunk("slrt_pengaduan", complaints,
                    truth("slrt_pengaduan", keys, p["person_id"].to_numpy(), ident["dirt"].to_numpy())),
        SourceChunk("slrt_rujukan", referrals,
                    truth("slrt_rujukan", r_keys, r["person_id"].to_numpy(), r_ident["dirt"].to_numpy())),
    ]


def outreach(ctx: ChunkContext) -> SourceChunk:
    p = ctx.people[ctx.people["street"]]
    meetings = np.minimum(1 + ctx.rng.poisson(1.3, len(p)), 6)
    rows = p.loc[np.repeat(p.index.to_numpy(), meetings)]
    n = len(rows)
    keys = ctx.make_keys("JKN", n)
    ident = ctx.identity(rows, OUTREACH)
    # Met in their own regency mostly, elsewhere sometimes; always at a different spot.
    regency = np.where(ctx.rng.random(n) < 0.75, rows["regency"].to_numpy(),
                       ctx.rng.integers(0, len(ctx.regions.regency_codes), n))
    lat, lon = regency_centre(regency)
    district_of_regency = [np.flatnonzero(ctx.regions.district_regency == r) for r in range(len(ctx.regions.regency_codes))]
    met_district = np.array([d[int(ctx.rng.integers(0, len(d)))] for d in (district_of_regency[r] for r in regency)],
                            dtype=np.int64)  # typed: a chunk may meet nobody on the street
    village = ctx.regions.district_village_start[met_district]
    age = rows["age"].to_numpy()
    category = np.where(age < 18, "ANAK JALANAN", ctx.rng.choice(OUTREACH_CATEGORIES[:3], n))
    frame = pd.DataFrame({
        "ID_PENJANGKAUAN": keys, "TGL_PENJANGKAUAN": fmt_dates(ctx.dates_between("2024-01-01", "2025-12-31", n), "%d-%m-%Y"),
        "NAMA_ATAU_ALIAS": ident["name"].to_numpy(), "PERKIRAAN_UMUR": ident["age"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(), "NIK": ident["nik"].to_numpy(), "KATEGORI": category,
        "LOKASI": [f"{ctx.rng.choice(OUTREACH_PLACES)} {ctx.regions.birth_places[r]}" for r in regency],
        "KODE_WILAYAH": ctx.regions.village_plain[village],
        "LATITUDE": np.round(lat + ctx.rng.normal(0, 0.02, n), 6),
        "LONGITUDE": np.round(lon + ctx.rng.normal(0, 0.02, n), 6),
        "TIM": [f"TIM REAKSI CEPAT {ctx.regions.birth_places[r]}" for r in regency],
    }, dtype=object)
    dirt = ident["dirt"].to_numpy()
    return SourceChunk("penjangkauan", frame, truth("penjangkauan", keys, rows["person_id"].to_numpy(), dirt))
