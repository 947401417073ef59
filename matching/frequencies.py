"""The term frequencies of the full run, kept beside the saved model.

Splink weighs an exact name agreement by how rare the name is among all records. A full run
computes that over every record; live linking scores a few records against their neighbours
and must weigh names as the full run did, not by their share among a few hundred records. So
the full run saves each adjusted column's table (``<model>.tf_<column>.parquet``: value and
``tf_<column>``, the share of the non-null values holding it, as Splink's ``compute_tf_table``),
and live linking registers them with Splink (or hands them to the exact scorer).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

_CACHE: dict[Path, tuple[float, dict[str, pd.DataFrame]]] = {}


def path_for(model_path: Path, column: str) -> Path:
    return model_path.with_name(f"{model_path.stem}.tf_{column}.parquet")


def compute(frame: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Each column's table over a features frame: ``<column>, tf_<column>``."""
    tables = {}
    for column in columns:
        values = frame[column].dropna()
        counts = values.value_counts()
        shares = counts.to_numpy(dtype="float64") / float(len(values)) if len(values) else counts.to_numpy("float64")
        tables[column] = pd.DataFrame({column: counts.index.astype(str), f"tf_{column}": shares})
    return tables


def save(tables: dict[str, pd.DataFrame], model_path: Path) -> None:
    model_path.parent.mkdir(parents=True, exist_ok=True)
    for column, table in tables.items():
        table.to_parquet(path_for(model_path, column), index=False)
    _CACHE.pop(model_path, None)


def load(model_path: Path, columns: list[str]) -> dict[str, pd.DataFrame] | None:
    """The saved tables (read once per process while the model file is unchanged); None when one is missing."""
    paths = [path_for(model_path, c) for c in columns]
    if not model_path.exists() or not all(p.exists() for p in paths):
        return None
    stamp = max(p.stat().st_mtime for p in [model_path, *paths])
    cached = _CACHE.get(model_path)
    if cached is not None and cached[0] == stamp and set(cached[1]) == set(columns):
        return cached[1]
    tables = {c: pd.read_parquet(p) for c, p in zip(columns, paths, strict=True)}
    _CACHE[model_path] = (stamp, tables)
    return tables


def as_mapping(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """The tables as value -> share, as ``matching.scorer`` takes them."""
    return {c: dict(zip(t[c], t[f"tf_{c}"].astype(float), strict=True)) for c, t in tables.items()}
