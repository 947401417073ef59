"""``hub bench live``: the live hub measured. A population is synthesised and loaded with some
records held back; a full run links it (and trains); the held-back delta is then loaded and
linked through the live path (``matching.incremental``), timed; single-row writes are timed one
by one; finally a full run with the same model links everything again, and the two clusterings
are compared on the pairs that involve a delta record, and both against the truth.

The delta is what offices send: new rows of DTKS, PPKS and street outreach (held back from the
synthesised files in proportion to their sizes), and changed rows of DTKS and PPKS: half of them
corrected to the person's true identity where the synthesiser dirtied them (name, birth date,
NIK: the record's identity changes and is linked again), half a new address.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loaders.mapping import mapping_for

DELTA_SOURCES = ("dtks", "ppks", "penjangkauan")
CHANGED_SOURCES = ("dtks", "ppks")
NEW_SHARE = 0.6  # of the delta: new rows; the rest changed rows
WRITES = 100  # single-row writes timed


@dataclass(frozen=True)
class HeldBack:
    base: Path  # every source file, less the held-back rows
    delta: Path  # per source, the new and changed rows only (a delta export)
    writes: list[tuple[str, Path]]  # one-row files, each a single write
    new: list[str]  # record ids
    changed: list[str]

    @property
    def records(self) -> list[str]:
        return [*self.new, *self.changed]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _corrected(row: pd.Series, person: pd.Series) -> pd.Series:
    """The row with the person's true name, birth date and NIK, written as the row writes them."""
    out = row.copy()
    if "NAMA" in out and person["name"]:
        out["NAMA"] = person["name"]
    date = str(out.get("TGL_LAHIR", ""))
    if date and person["birth_date"]:
        year, month, day = person["birth_date"].split("-")
        sep = "/" if "/" in date else "-"
        out["TGL_LAHIR"] = f"{year}{sep}{month}{sep}{day}" if date[:4].isdigit() else f"{day}{sep}{month}{sep}{year}"
    if "NIK" in out and person["nik"]:
        out["NIK"] = person["nik"]
    return out


def hold_back(data: Path, work: Path, count: int, seed: int, writes: int = WRITES) -> HeldBack:
    """Split a ``hub synth`` output into a base and a delta of about ``count`` records (see the
    module docstring), plus ``writes`` more held-back rows, each as a one-row file."""
    rng = np.random.default_rng(seed)
    base, delta, single = work / "base", work / "delta", work / "writes"
    for folder in (base, delta, single):
        folder.mkdir(parents=True, exist_ok=True)
    frames = {source: _read(data / f"{source}.csv") for source in DELTA_SOURCES if (data / f"{source}.csv").exists()}
    total = sum(len(f) for f in frames.values())
    truth = _read(data / "truth.csv")
    dirt = dict(zip(truth["source"] + ":" + truth["source_key"], truth["dirt"], strict=True))
    person_of = dict(zip(truth["source"] + ":" + truth["source_key"], truth["person_id"], strict=True))
    persons = _read(data / "truth_persons.csv").set_index("person_id")
    new_ids: list[str] = []
    changed_ids: list[str] = []
    write_files: list[tuple[str, Path]] = []
    new_count = round(count * NEW_SHARE)
    changed_per_source = (count - new_count) // len(CHANGED_SOURCES)
    for source, frame in frames.items():
        key = mapping_for(source).key
        share = len(frame) / total if total else 0
        order = rng.permutation(len(frame))
        take_new = min(len(frame) // 3, round(new_count * share))
        take_writes = min(len(frame) // 10, round(writes * share) + 1)
        held = frame.iloc[order[:take_new]]
        written = frame.iloc[order[take_new:take_new + take_writes]]
        kept = frame.drop(index=held.index.union(written.index))
        rows = [held]
        if source in CHANGED_SOURCES:
            candidates = kept.iloc[rng.permutation(len(kept))[:changed_per_source]]
            changed = []
            for _, row in candidates.iterrows():
                record = f"{source}:{row[key]}"
                person = person_of.get(record)
                corrected = _corrected(row, persons.loc[person]) if dirt.get(record) and person in persons.index else row
                if not corrected.equals(row):
                    changed.append(corrected)
                else:
                    altered = row.copy()
                    altered["ALAMAT"] = f"{row.get('ALAMAT', '')} BLOK {rng.integers(1, 9)}".strip()
                    changed.append(altered)
            if changed:
                rows.append(pd.DataFrame(changed))
                changed_ids += [f"{source}:{k}" for k in candidates[key]]
        new_ids += [f"{source}:{k}" for k in held[key]]
        kept.to_csv(base / f"{source}.csv", index=False)
        pd.concat(rows).to_csv(delta / f"{source}.csv", index=False)
        for i, (_, row) in enumerate(written.iterrows()):
            path = single / f"{source}-{i}.csv"
            row.to_frame().T.to_csv(path, index=False)
            write_files.append((source, path))
    for path in data.glob("*.csv"):
        if path.stem not in frames:
            shutil.copy(path, base / path.name)
    if (data / "manifest.json").exists():
        shutil.copy(data / "manifest.json", base / "manifest.json")
    return HeldBack(base, delta, write_files, new_ids, changed_ids)


def pairs_with(clusters: dict[str, Any], records: set[str]) -> set[tuple[str, str]]:
    """The record pairs of one person (``clusters``: record -> person or cluster) with at least one
    side in ``records``."""
    members: dict[Any, list[str]] = {}
    for record, label in clusters.items():
        members.setdefault(label, []).append(record)
    out: set[tuple[str, str]] = set()
    for record in records:
        if record not in clusters:
            continue
        for other in members[clusters[record]]:
            if other != record:
                out.add((min(record, other), max(record, other)))
    return out


def pairwise(found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall and F1 of ``found`` pairs against ``expected`` (1.0 where both are empty)."""
    both = len(found & expected)
    precision = both / len(found) if found else 1.0
    recall = both / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
