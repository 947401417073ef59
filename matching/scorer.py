"""Scoring one record against its candidates with the saved model, without Splink's pipeline.

Splink's own scoring of one record (``score_pairs``) builds and runs a chain of SQL statements
on every call, some tens of milliseconds before any pair is compared; the live hub's single-row
write and "seen before?" have 150 and 100 ms for everything. This scorer reproduces Splink's
match weights exactly and does the least per call:

* the model is read once through Splink's own ``Settings`` (the same levels, comparison vector
  values, clamped ``log2(m/u)`` weights and term-frequency parameters Splink would use);
* each comparison's level is found by Splink's own ``CASE`` statement, all of them in one DuckDB
  statement over the probe and its candidates, passed as parameters (the levels' conditions are
  DuckDB SQL: Jaro-Winkler, Damerau-Levenshtein and the rest are the very functions Splink calls);
* the weights, term-frequency adjustments, their sum with the prior and the probability are
  computed with numpy, as Splink's ``predict`` SQL computes them.

Read-only: it scores, it never writes a link (the linker does, from these scores).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from splink import SettingsCreator
from splink.internals.misc import prob_to_match_weight

# A term-frequency table: value -> share of the known records holding it (Splink's tf_<column>).
TermFrequencies = Mapping[str, Mapping[Any, float]]


@dataclass(frozen=True)
class Level:
    label: str
    gamma: int
    weight: float  # Splink's clamped log2(m/u); 0 for the null level
    tf_column: str | None = None
    tf_weight: float = 0.0
    log2_u_exact: float = 0.0
    tf_minimum_u: float = 0.0


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[Level, ...]
    case_sql: str  # Splink's CASE ... END AS gamma_<name>

    def level(self, gamma: int) -> Level:
        return next(level for level in self.levels if level.gamma == gamma)


@dataclass(frozen=True)
class Part:
    """One comparison's contribution to a pair's score."""

    comparison: str
    level: str
    weight: float  # the level's weight plus its term-frequency adjustment, in bits


@dataclass(frozen=True)
class Scores:
    """Every candidate's score against the probe, in the candidates' order."""

    match_weight: np.ndarray
    match_probability: np.ndarray
    gamma: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]  # per comparison: level weight + term-frequency adjustment
    comparisons: tuple[Comparison, ...]

    def __len__(self) -> int:
        return len(self.match_weight)

    def parts(self, i: int) -> list[Part]:
        """Candidate ``i``'s comparisons: level label and weight each, in the model's order."""
        return [Part(c.name, c.level(int(self.gamma[c.name][i])).label, float(self.weight[c.name][i]))
                for c in self.comparisons]


def _levels(comparison: Any) -> tuple[Level, ...]:
    levels = []
    for level in comparison.comparison_levels:
        tf_column = None
        tf_weight = log2_u = tf_min = 0.0
        if (level.comparison_vector_value != -1 and level._has_tf_adjustments and level._tf_adjustment_weight != 0
                and not level._is_else_level):
            tf_column = str(level._tf_adjustment_input_column_name)
            tf_weight = float(level._tf_adjustment_weight)
            log2_u = math.log2(level._u_probability_corresponding_to_exact_match(comparison.comparison_levels))
            tf_min = float(level._tf_minimum_u_value)
        levels.append(Level(str(level.label_for_charts), int(level.comparison_vector_value), float(level._match_weight),
                            tf_column, tf_weight, log2_u, tf_min))
    return tuple(levels)


class Scorer:
    """The saved model (``matching/model.py``'s JSON), ready to score a probe against candidates.

    Both take the feature columns ``matching/features.py`` makes; term frequencies come from
    ``tf_<column>`` columns on them where present, else from ``tf`` (value -> share).
    """

    def __init__(self, saved: Mapping[str, Any]) -> None:
        model = copy.deepcopy(dict(saved))
        model.pop("hub_model_version", None)
        settings = SettingsCreator.from_path_or_dict(model).get_settings("duckdb")
        core = settings.core_model_settings
        self.prior_weight = float(prob_to_match_weight(core.probability_two_random_records_match))
        self.comparisons = tuple(Comparison(str(c.output_column_name), _levels(c), str(c._case_statement))
                                 for c in core.comparisons)
        self.columns = list(dict.fromkeys(str(col.input_name) for c in core.comparisons
                                          for col in c._input_columns_used_by_case_statement))
        self.tf_columns = sorted({lv.tf_column for c in self.comparisons for lv in c.levels if lv.tf_column})
        self._sql = f"SELECT {', '.join(c.case_sql for c in self.comparisons)} FROM {_PAIRS}"
        self._db = duckdb.connect(":memory:")
        # Parsed once: the comparisons' CASE text is ~4,000 characters, ~2 ms to parse on each call.
        self._statement = self._db.extract_statements(self._sql)[0]
        self._lock = threading.Lock()

    def score(self, probe: pd.DataFrame, candidates: pd.DataFrame, tf: TermFrequencies | None = None) -> Scores:
        """Score the one record of ``probe`` against each row of ``candidates`` (features frames),
        candidates on the left as Splink's ``score_pairs(candidates, probe)`` puts them."""
        if len(probe) != 1:
            raise ValueError(f"a probe is one record, not {len(probe)}")
        return self.score_pairs(candidates, probe.iloc[np.zeros(len(candidates), dtype=np.int64)], tf)

    def score_pairs(self, left: pd.DataFrame, right: pd.DataFrame, tf: TermFrequencies | None = None) -> Scores:
        """Score row i of ``left`` against row i of ``right`` (features frames of one length)."""
        if len(left) != len(right):
            raise ValueError(f"pairs need as many left records as right ones, not {len(left)} and {len(right)}")
        self._check(left, right)
        types = tuple(_sql_type(left[c], right[c]) for c in self.columns)
        columns = {f"{c}_{side}": _arrow(frame[c], t)
                   for side, frame in (("l", left), ("r", right)) for c, t in zip(self.columns, types, strict=True)}
        return self._scored(columns, {c: self._tf(left, c, tf) for c in self.tf_columns},
                            {c: self._tf(right, c, tf) for c in self.tf_columns}, len(left))

    def score_rows(self, frame: pd.DataFrame, left: Sequence[int], right: Sequence[int],
                   tf: TermFrequencies | None = None) -> Scores:
        """Score row ``left[i]`` of ``frame`` (a features frame; rows by position) against its row
        ``right[i]``: ``score_pairs`` of those rows, each column's values read once, not once per pair."""
        if len(left) != len(right):
            raise ValueError(f"pairs need as many left records as right ones, not {len(left)} and {len(right)}")
        self._check(frame)
        at_left, at_right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
        values = {c: _arrow(column, _sql_type(column)) for c in self.columns for column in (frame[c],)}
        take_left, take_right = pa.array(at_left), pa.array(at_right)
        columns = {f"{c}_{side}": array.take(rows) for side, rows in (("l", take_left), ("r", take_right))
                   for c, array in values.items()}
        shares = {c: self._tf(frame, c, tf) for c in self.tf_columns}
        return self._scored(columns, {c: v[at_left] for c, v in shares.items()},
                            {c: v[at_right] for c, v in shares.items()}, len(at_left))

    def _check(self, *frames: pd.DataFrame) -> None:
        missing = [c for c in self.columns if any(c not in frame for frame in frames)]
        if missing:
            raise ValueError(f"the model compares {missing}, which the records lack")

    def _scored(self, columns: dict[str, pa.Array], tf_left: dict[str, np.ndarray], tf_right: dict[str, np.ndarray],
                count: int) -> Scores:
        """The scores of ``count`` pairs, given each compared column's values (``<column>_l``,
        ``<column>_r``) and each term-frequency column's shares on either side."""
        gammas = self._gammas(columns, count)
        total = np.full(count, self.prior_weight, dtype=np.float64)
        weights: dict[str, np.ndarray] = {}
        for comparison in self.comparisons:
            gamma = gammas[comparison.name]
            level_weight = np.zeros(len(gamma), dtype=np.float64)
            adjustment = np.zeros(len(gamma), dtype=np.float64)
            for level in comparison.levels:
                at = gamma == level.gamma
                level_weight[at] = level.weight
                if level.tf_column is not None and at.any():
                    adjustment[at] = _tf_adjustment(level, tf_left[level.tf_column][at], tf_right[level.tf_column][at])
            # Splink adds the prior, then each comparison's weight and its adjustment, in this order.
            total = total + level_weight
            if any(level.tf_column for level in comparison.levels):
                total = total + adjustment
            weights[comparison.name] = level_weight + adjustment
        with np.errstate(over="ignore"):
            probability = np.where(total >= 0, 1.0 / (1.0 + np.power(2.0, -total)),
                                   np.power(2.0, total) / (1.0 + np.power(2.0, total)))
        return Scores(total, probability, gammas, weights, self.comparisons)

    def _gammas(self, columns: dict[str, pa.Array], count: int) -> dict[str, np.ndarray]:
        if not count:
            return {c.name: np.zeros(0, dtype=np.int64) for c in self.comparisons}
        # The values go in as an Arrow table scanned in place: registering data frames costs DuckDB
        # tens of milliseconds a call, list parameters a Python conversion per value. DuckDB's
        # optimizer is off for this one projection: it has nothing to reorder, and its pass over the
        # comparisons' CASE expressions was about half of a call's time for a few pairs (15 ms to 8).
        table = pa.table(columns)
        with self._lock:
            cursor = self._db.cursor()
        try:
            cursor.execute("PRAGMA disable_optimizer")
            cursor.register(_PAIRS, table)
            result = cursor.execute(self._statement).fetchnumpy()
        finally:
            cursor.close()
        return {c.name: np.asarray(result[f"gamma_{c.name}"], dtype=np.int64) for c in self.comparisons}

    @staticmethod
    def _tf(frame: pd.DataFrame, column: str, tf: TermFrequencies | None) -> np.ndarray:
        if f"tf_{column}" in frame:
            return pd.to_numeric(frame[f"tf_{column}"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if column not in frame:
            return np.full(len(frame), np.nan)
        table = (tf or {}).get(column, {})
        # A null (None, NaN, NA) is no key of the table, so it reads as NaN too.
        return np.array([table.get(v, np.nan) for v in frame[column].tolist()], dtype=np.float64)


# The pairs' table, as the scorer's statement reads it; each column's Arrow type by its SQL type.
_PAIRS = "pairs_scored"
_ARROW_TYPES = {"BOOLEAN": pa.bool_(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "VARCHAR": pa.string()}


def _sql_type(*columns: pd.Series) -> str:
    """The SQL type of a column as Splink's DuckDB would read it from the frames."""
    if all(pd.api.types.is_bool_dtype(c.dtype) for c in columns):
        return "BOOLEAN"
    if all(pd.api.types.is_integer_dtype(c.dtype) for c in columns):
        return "BIGINT"
    if all(pd.api.types.is_numeric_dtype(c.dtype) and not pd.api.types.is_bool_dtype(c.dtype) for c in columns):
        return "DOUBLE"
    # Text columns, or Python objects: booleans only (nulls aside) read as BOOLEAN, else as text.
    # pandas' inference runs in C: a Python test of each value was seconds for a big delta's frame.
    inferred = {pd.api.types.infer_dtype(c, skipna=True) for c in columns}
    if "boolean" in inferred and inferred <= {"boolean", "empty"}:
        return "BOOLEAN"
    return "VARCHAR"


def _arrow(column: pd.Series, sql_type: str) -> pa.Array:
    """A column's values as an Arrow array of its SQL type, nulls (None, NaN, NA) as nulls."""
    arrow_type = _ARROW_TYPES[sql_type]
    if isinstance(column.dtype, pd.StringDtype):
        return pa.array(column.array, from_pandas=True).cast(arrow_type)
    # Object columns straight to Arrow (microseconds, a live write's few rows pay no pandas cast),
    # when Arrow reads them as the type itself; else (ints in a text column, say) through pandas.
    try:
        direct = pa.array(column.to_numpy(dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        direct = None
    if direct is not None and (direct.type == arrow_type or pa.types.is_null(direct.type)
                               or (sql_type == "VARCHAR" and pa.types.is_large_string(direct.type))):
        return direct.cast(arrow_type)
    if sql_type == "VARCHAR":
        return pa.array(column.astype(pd.StringDtype("pyarrow")).array, from_pandas=True).cast(arrow_type)
    nullable = {"BOOLEAN": pd.BooleanDtype(), "BIGINT": pd.Int64Dtype(), "DOUBLE": pd.Float64Dtype()}[sql_type]
    return pa.array(column.astype(nullable).array, from_pandas=True).cast(arrow_type)


def _tf_adjustment(level: Level, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Splink's ``tf_weight * (log2(u_exact) - log2(greatest(tf_l, tf_r, minimum)))``, 0 where neither side has one."""
    first = np.where(np.isnan(left), right, left)  # coalesce(tf_l, tf_r)
    second = np.where(np.isnan(right), left, right)  # coalesce(tf_r, tf_l)
    exists = ~np.isnan(first)
    greatest = np.maximum(np.maximum(np.where(exists, first, 1.0), np.where(exists, second, 1.0)), level.tf_minimum_u)
    return np.where(exists, level.tf_weight * (level.log2_u_exact - np.log2(greatest)), 0.0)


def term_frequencies(frame: pd.DataFrame, columns: list[str]) -> dict[str, dict[Any, float]]:
    """Each column's value -> share of the non-null values, as Splink's ``compute_tf_table`` gives it."""
    out: dict[str, dict[Any, float]] = {}
    for column in columns:
        values = frame[column].dropna()
        counts = values.value_counts()
        total = float(len(values))
        out[column] = {k: float(v) / total for k, v in counts.items()} if total else {}
    return out
