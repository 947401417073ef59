"""The person registers: DTKS, PPKS, PSKS, program rosters and KIS-PBI APBD proposals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.synth.catalog import (
    ASSISTIVE_DEVICES,
    PPKS_NAME,
    PROGRAMS,
    PROPOSAL_KINDS,
    PROPOSAL_STATUS_FLOW,
    PSKS_KINDS,
    RELATIONS,
    WELFARE_CATEGORIES,
)
from hub.synth.context import ChunkContext, SourceChunk, fmt_dates, status_history, truth
from hub.synth.dirt import SourceShape
from hub.synth.names import generate_names

DTKS = SourceShape("dtks", date_format="%d-%m-%Y")
PPKS = SourceShape("ppks", date_format="%d/%m/%Y", has_age=True)
PSKS = SourceShape("psks", date_format="%Y-%m-%d")
PROGRAM_HOUSEHOLD = SourceShape("program", has_birth_date=False, has_sex=False)
PROGRAM_MEMBER = SourceShape("program", date_format="%Y-%m-%d")
PROPOSAL = SourceShape("usulan_kis_pbi", date_format="%d-%m-%Y")


def _relation(people: pd.DataFrame) -> np.ndarray:
    role = people["role"].to_numpy()
    husband = (role == "spouse") & ~people["female"].to_numpy()
    return np.where(husband, RELATIONS["husband"], pd.Series(role).map(RELATIONS).to_numpy())


def dtks(ctx: ChunkContext) -> SourceChunk:
    p = ctx.people[ctx.people["in_dtks"]]
    keys = ctx.make_keys("DTKS", len(p))
    ident = ctx.identity(p, DTKS)
    frame = pd.DataFrame({
        "ID_DTKS": keys, "NO_KK": p["kk"].to_numpy(), "NIK": ident["nik"].to_numpy(), "NAMA": ident["name"].to_numpy(),
        "TEMPAT_LAHIR": p["birth_place"].to_numpy(), "TGL_LAHIR": ident["birth_date"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(), "NAMA_IBU_KANDUNG": p["mother_name"].to_numpy(),
        "HUBUNGAN_KELUARGA": _relation(p), "ALAMAT": p["address"].to_numpy(), "KODE_WILAYAH": ident["village"].to_numpy(),
        "DESIL": p["decile"].to_numpy(),
    }, dtype=object)
    return SourceChunk("dtks", frame, truth("dtks", keys, p["person_id"].to_numpy(), ident["dirt"].to_numpy()))


def ppks(ctx: ChunkContext) -> SourceChunk:
    p = ctx.people
    rows = p.loc[np.repeat(p.index.to_numpy(), p["ppks"].str.len().to_numpy())]
    codes = np.concatenate([c for c in p["ppks"] if c]) if len(rows) else np.array([], dtype=object)
    keys = ctx.make_keys("PPKS", len(rows))
    ident = ctx.identity(rows, PPKS)
    recorded = ctx.dates_between("2022-01-01", "2025-12-31", len(rows))
    frame = pd.DataFrame({
        "ID_PPKS": keys, "NIK": ident["nik"].to_numpy(), "NAMA": ident["name"].to_numpy(),
        "TGL_LAHIR": ident["birth_date"].to_numpy(), "UMUR": ident["age"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(),
        "JENIS_PPKS": [f"{c} - {PPKS_NAME[c].upper()}" for c in codes], "KODE_WILAYAH": ident["village"].to_numpy(),
        "ALAMAT": rows["address"].to_numpy(), "TGL_PENDATAAN": fmt_dates(recorded, "%d/%m/%Y"),
        "PETUGAS_TKSK": ctx.handlers(rows["regency"].to_numpy()),
    }, dtype=object)
    return SourceChunk("ppks", frame, truth("ppks", keys, rows["person_id"].to_numpy(), ident["dirt"].to_numpy()))


def psks(ctx: ChunkContext) -> SourceChunk:
    p = ctx.people[ctx.people["psks"]]
    keys = ctx.make_keys("PSKS", len(p))
    ident = ctx.identity(p, PSKS)
    kinds, weights = zip(*PSKS_KINDS, strict=True)
    kind = ctx.rng.choice(np.array(kinds), len(p), p=np.array(weights) / sum(weights))
    district_code = ctx.regions.district_plain[p["district"].to_numpy()]
    phone = [f"08{int(x):010d}" for x in ctx.rng.integers(1_100_000_000, 9_999_999_999, len(p))]
    frame = pd.DataFrame({
        "ID_PSKS": keys, "NIK": ident["nik"].to_numpy(), "NAMA": ident["name"].to_numpy(),
        "TGL_LAHIR": ident["birth_date"].to_numpy(), "JENIS_KELAMIN": ident["sex"].to_numpy(), "JENIS_PSKS": kind,
        "KODE_KECAMATAN_TUGAS": district_code, "KODE_WILAYAH": ident["village"].to_numpy(), "NO_HP": phone,
        "TGL_SK": fmt_dates(ctx.dates_between("2015-01-01", "2025-06-30", len(p)), "%Y-%m-%d"),
    }, dtype=object)
    ctx.actors = pd.DataFrame({"ID_PSKS": keys, "_regency": p["regency"].to_numpy()})
    return SourceChunk("psks", frame, truth("psks", keys, p["person_id"].to_numpy(), ident["dirt"].to_numpy()))


def programs(ctx: ChunkContext) -> list[SourceChunk]:
    out = []
    for code, _name, unit, _funding in PROGRAMS:
        source = f"program_{code.lower()}"
        enrolled = ctx.people[ctx.people[f"prog_{code}"]]
        if unit == "household":  # the roster names the household's representative (the wife where there is one)
            enrolled = enrolled.sort_values(["household", "rep_rank"]).drop_duplicates("household")
        shape = PROGRAM_HOUSEHOLD if unit == "household" else PROGRAM_MEMBER
        keys = ctx.make_keys(code.replace("_", "") + "-", len(enrolled))
        ident = ctx.identity(enrolled, SourceShape(source, shape.date_format, has_birth_date=shape.has_birth_date,
                                                    has_sex=shape.has_sex))
        start = ctx.dates_between("2022-01-01", "2025-10-01", len(enrolled)).astype("datetime64[M]").astype("datetime64[D]")
        active = ctx.rng.random(len(enrolled)) < 0.85
        duration = ctx.rng.integers(90, 700, len(enrolled)).astype("timedelta64[D]")
        end = np.where(active, np.datetime64("NaT"), start + duration)
        columns: dict[str, object] = {
            "ID_PENERIMA": keys, "NIK": ident["nik"].to_numpy(), "NO_KK": enrolled["kk"].to_numpy(),
            "NAMA": ident["name"].to_numpy(),
        }
        if shape.has_birth_date:
            columns |= {"TGL_LAHIR": ident["birth_date"].to_numpy(), "JENIS_KELAMIN": ident["sex"].to_numpy()}
        columns |= {
            "KODE_WILAYAH": ident["village"].to_numpy(), "PERIODE_MULAI": fmt_dates(start, "%Y-%m-%d"),
            "PERIODE_SELESAI": fmt_dates(end, "%Y-%m-%d"), "STATUS": np.where(active, "AKTIF", "NONAKTIF"),
        }
        out.append(SourceChunk(source, pd.DataFrame(columns, dtype=object),
                               truth(source, keys, enrolled["person_id"].to_numpy(), ident["dirt"].to_numpy())))
    return out


def proposals(ctx: ChunkContext) -> SourceChunk:
    p = ctx.people[ctx.people["proposal"]]
    keys = ctx.make_keys("USL", len(p))
    ident = ctx.identity(p, PROPOSAL)
    disabled = p["disabled"].to_numpy()
    kind = np.where(disabled & (ctx.rng.random(len(p)) < 0.6),
                    np.where(ctx.rng.random(len(p)) < 0.5, PROPOSAL_KINDS[1], PROPOSAL_KINDS[2]), PROPOSAL_KINDS[0])
    device = np.where(kind == PROPOSAL_KINDS[2], ctx.rng.choice(ASSISTIVE_DEVICES, len(p)), "")
    proposed = ctx.dates_between("2024-01-01", "2025-12-15", len(p))
    serial = (proposed - np.datetime64("1899-12-30")).astype(int)  # exported as Excel day numbers
    steps = ctx.rng.integers(1, len(PROPOSAL_STATUS_FLOW) + 1, len(p))
    rejected = ctx.rng.random(len(p)) < 0.1
    history = status_history(ctx.rng, proposed, PROPOSAL_STATUS_FLOW, steps)
    history = [h + "; DITOLAK" if r else h for h, r in zip(history, rejected, strict=True)]
    status = np.where(rejected, "DITOLAK", np.array(PROPOSAL_STATUS_FLOW, dtype=object)[steps - 1])
    decile = p["decile"].to_numpy()
    welfare = np.array(WELFARE_CATEGORIES)[np.clip((decile - 1) // 2, 0, 4)]
    operator = generate_names(ctx.rng, ctx.rng.random(len(p)) < 0.4, ctx.rng.integers(1970, 2000, len(p)),
                              np.zeros(len(p), dtype=bool))
    frame = pd.DataFrame({
        "ID_USULAN": keys, "TGL_USULAN": serial, "JENIS_USULAN": kind, "NIK": ident["nik"].to_numpy(),
        "NO_KK": p["kk"].to_numpy(), "NAMA": ident["name"].to_numpy(), "TGL_LAHIR": ident["birth_date"].to_numpy(),
        "JENIS_KELAMIN": ident["sex"].to_numpy(), "KODE_WILAYAH": ident["village"].to_numpy(),
        "OPERATOR_DESA": operator, "HASIL_CEK_DTKS": np.where(p["in_dtks"].to_numpy(), "TERDAFTAR", "TIDAK TERDAFTAR"),
        "KATEGORI_KESEJAHTERAAN": welfare, "JENIS_ALAT_BANTU": device, "STATUS": status, "RIWAYAT_STATUS": history,
    }, dtype=object)
    return SourceChunk("usulan_kis_pbi", frame,
                       truth("usulan_kis_pbi", keys, p["person_id"].to_numpy(), ident["dirt"].to_numpy()))
