"""The Splink model: comparisons made for Indonesian welfare records, blocking rules that keep
recall while scaling, training (u by random sampling, m by EM) and the versioned model file.

Built from Splink's library classes (``SettingsCreator``, the comparison and blocking-rule
libraries); the only SQL written here is the few conditions Splink has no level for
(a day/month swap, an age-estimated year, a regional hierarchy).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.blocking import BlockingRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from hub.errors import ConfigError

MODEL_VERSION = 7
SOMEONE_ELSES_NIK = "equal, different names"
# Levels that only an encounter record (street outreach) reaches; see ``encounter_priors``.
CALL_FIRST_NAME = "a call name: the other's first name"
CALL_NAME_END = "a call name: the end of the other's first name"
GUESSED_AGE_NEAR = "year within 2 of a guessed age"
GUESSED_AGE_FAR = "year within 6 of a guessed age"
MET_IN_REGENCY = "met in the regency of the other"
ENCOUNTER_PRIORS = Path(__file__).with_name("encounters.toml")
logging.getLogger("splink").setLevel(logging.ERROR)


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="Folded name (old spelling, titles, bin/binti, Muhammad variants removed)",
        comparison_levels=[
            cll.NullLevel("name_folded"),
            cll.ExactMatchLevel("name_folded", term_frequency_adjustments=True),
            cll.CustomLevel("name_sorted_l = name_sorted_r", "same tokens, other order"),
            cll.JaroWinklerLevel("name_folded", 0.92),
            # Street outreach writes what people call themselves: their first name alone...
            cll.CustomLevel(
                "(encounter_l AND name_folded_l = name_first_r) OR (encounter_r AND name_folded_r = name_first_l)",
                CALL_FIRST_NAME,
            ).configure(tf_adjustment_column="name_first"),
            # ... or its end ("MET" for SLAMET).
            cll.CustomLevel(
                "(encounter_l AND length(name_folded_l) >= 3 AND suffix(name_first_r, name_folded_l)) "
                "OR (encounter_r AND length(name_folded_r) >= 3 AND suffix(name_first_l, name_folded_r))",
                CALL_NAME_END,
            ),
            # An office's abbreviation of the same name: "S. MAYASARI", "SITI J." for SITI JUBAEDAH
            # (same initials, a whole token shared, one side writing a token as its initial).
            cll.CustomLevel(
                "name_initials_l = name_initials_r AND (name_first_l = name_first_r OR name_last_l = name_last_r) "
                "AND (regexp_matches(name_folded_l, '(^| )[A-Z]( |$)') OR regexp_matches(name_folded_r, '(^| )[A-Z]( |$)'))",
                "the same name, a token written as its initial",
            ),
            # Weighted by how rare the first name is: a shared SLAMET says less than a shared KHOLIL.
            cll.ExactMatchLevel("name_first", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("name_folded", 0.80),
            cll.CustomLevel(
                "name_last_l = name_last_r OR name_first_l = name_last_r OR name_last_l = name_first_r",
                "a shared name token",
            ),
            cll.ElseLevel(),
        ],
    )


def _birth() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_description="Birth date: exact, day/month swapped, same year, near year from an age",
        comparison_levels=[
            cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL", "unknown").configure(is_null_level=True),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel("birth_date_l = birth_date_swapped_r", "day and month swapped"),
            cll.CustomLevel("birth_year_l = birth_year_r AND NOT (year_estimated_l OR year_estimated_r)",
                            "same year"),
            # An age guessed by sight, as street outreach records it, is often years off.
            cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 2 AND (age_guessed_l OR age_guessed_r)",
                            GUESSED_AGE_NEAR),
            cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 6 AND (age_guessed_l OR age_guessed_r)",
                            GUESSED_AGE_FAR),
            cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 2 AND (year_estimated_l OR year_estimated_r)",
                            "year within 2 of an age"),
            cll.ElseLevel(),
        ],
    )


def _household_place() -> cl.CustomComparison:
    """KK and region in one comparison: a shared KK implies a shared village, so scoring them
    apart would count the same evidence twice (and merge household members)."""
    return cl.CustomComparison(
        output_column_name="household_place",
        comparison_description="Same KK and village, same KK, same village, district, regency",
        comparison_levels=[
            cll.CustomLevel("(kk_l IS NULL OR kk_r IS NULL) AND (regency_l IS NULL OR regency_r IS NULL)",
                            "unknown").configure(is_null_level=True),
            cll.CustomLevel("kk_l = kk_r AND village_l = village_r", "same KK, same village"),
            cll.CustomLevel("kk_l = kk_r", "same KK"),
            cll.ExactMatchLevel("village"),
            cll.ExactMatchLevel("district"),
            cll.CustomLevel("regency_l = regency_r AND (encounter_l OR encounter_r)", MET_IN_REGENCY),
            cll.ExactMatchLevel("regency"),
            cll.ElseLevel(),
        ],
    )


def _nik() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="nik",
        comparison_description="NIK: equal and trusted on both sides, equal, one typo or transposition",
        comparison_levels=[
            cll.NullLevel("nik"),
            # Trusted: what the NIK encodes (birth date, sex) agrees with the record it is on.
            cll.CustomLevel("nik_l = nik_r AND nik_trusted_l AND nik_trusted_r", "equal, both trusted"),
            cll.CustomLevel("nik_l = nik_r AND (jaro_winkler_similarity(name_folded_l, name_folded_r) >= 0.8 "
                            "OR name_first_l = name_first_r)", "equal, similar names"),
            # Equal NIK on two different names: typically a household member's NIK typed in.
            cll.CustomLevel("nik_l = nik_r", SOMEONE_ELSES_NIK),
            # One typo away on two different names is a relative's NIK mistyped: no evidence either.
            cll.CustomLevel("damerau_levenshtein(nik_l, nik_r) <= 1 AND (jaro_winkler_similarity(name_folded_l, "
                            "name_folded_r) >= 0.8 OR name_first_l = name_first_r)", "one typo, similar names"),
            cll.ElseLevel(),
        ],
    )


# Pairs worth scoring share one of these keys. Keys stay equalities on small groups: a rule on a
# whole regency (or with an OR or a range, which DuckDB cannot use to join) compares hundreds of
# millions of pairs at a million records.
BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("nik",), ("kk",), ("name_folded", "birth_year"), ("name_first", "birth_date"), ("name_sorted", "district"),
    ("name_first", "district"), ("birth_date", "village"),
]
# Encounters (street outreach) rarely share a NIK, a KK, a birth date or a village with anyone:
# each is compared with everyone of its first name in the regency where it was met. Asymmetric
# (encounters against all), so it stays small at a million records, unlike the same rule for all.
ENCOUNTER_KEYS: list[tuple[str, ...]] = [("name_first", "regency")]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            _name(),
            _birth(),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("mother_folded", [0.92, 0.8]),
            _household_place(),
            _nik(),
        ],
        blocking_rules_to_generate_predictions=[block_on(*key) for key in BLOCKING_KEYS],
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source"],
    )


ENCOUNTER_BLOCKS: list[BlockingRuleCreator | BlockingRule | str | dict[str, Any]] = [
    block_on(*key) for key in ENCOUNTER_KEYS]

# DuckDB takes 80% of the machine's memory by default; the hub shares it with the graph server.
DUCKDB_MEMORY_LIMIT = "6GB"


def duckdb_api() -> DuckDBAPI:
    """A DuckDB for Splink with bounded memory, spilling to a temporary directory beyond it."""
    connection = duckdb.connect(":memory:", config={
        "memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": tempfile.gettempdir(),
        "preserve_insertion_order": False})
    return DuckDBAPI(connection)


def new_linker(frame: pd.DataFrame, model: SettingsCreator | dict[str, Any]) -> Linker:
    return Linker(duckdb_api().register(frame), model, log_level=None)


# Training reads at most this many records, drawn at random. The parameters are shares (of pairs,
# of matches), which a uniform sample of records keeps; the time to estimate them does not grow
# with the population (a million records trained whole took over ten minutes in EM's blocks).
TRAIN_RECORDS = 200_000


def train(frame: pd.DataFrame, seed: int = 42) -> Linker:
    """A linker with parameters estimated on ``frame`` (or a sample of ``TRAIN_RECORDS`` of it):
    λ from trusted NIKs, u by sampling, m by EM."""
    if len(frame) > TRAIN_RECORDS:
        frame = frame.sample(TRAIN_RECORDS, random_state=seed).reset_index(drop=True)
    linker = new_linker(frame, settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in (block_on("nik"), block_on("birth_date"), block_on("name_folded")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    return linker


M_FLOOR = 0.001


def encounter_priors(path: Path = ENCOUNTER_PRIORS) -> dict[str, float]:
    """Level label -> share of encounter matches in it (``matching/encounters.toml``).

    Raises:
        ConfigError: the file is malformed or names a level the model does not have.
    """
    try:
        levels = tomllib.loads(path.read_text())["levels"]
        priors = {str(label): float(share) for label, share in levels.items()}
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}; it needs a [levels] table of level = share") from None
    known = {CALL_FIRST_NAME, CALL_NAME_END, GUESSED_AGE_NEAR, GUESSED_AGE_FAR, MET_IN_REGENCY}
    for label, share in priors.items():
        if label not in known or not 0 < share <= 1:
            raise ConfigError(f"{path}: {label!r} = {share}: levels are {sorted(known)}, shares in (0, 1]")
    return priors


def encounter_share(frame: pd.DataFrame) -> float:
    """The share of record pairs with an encounter on at least one side."""
    rest = 1.0 - float(frame["encounter"].astype(bool).mean()) if len(frame) else 1.0
    return 1.0 - rest * rest


def trained_model(linker: Linker, share_of_encounter_pairs: float) -> dict[str, Any]:
    """The trained parameters, with every m probability floored and the encounter levels' m set from priors.

    A level never seen among matches in training (a person's KK that differs, say) would get
    m = 0, a weight of minus infinity: one differing field could then veto any match. Real
    exports have what the training sample lacked, so no level may be impossible.

    An encounter level's prior is a share among encounter matches; the level's u (by random
    sampling) is a share among all pairs, so m is put on the same footing: the prior times the
    share of pairs with an encounter side. Where the level is adjusted for term frequency, m is
    set so that the pair's Bayes factor is the prior over the frequency of the shared name.
    """
    model: dict[str, Any] = linker.misc.save_model_to_json(out_path=None)
    priors = encounter_priors()
    for comparison in model["comparisons"]:
        exact_u = {level["tf_adjustment_column"]: level.get("u_probability")
                   for level in comparison["comparison_levels"]
                   if level.get("tf_adjustment_column") and str(level.get("label_for_charts", "")).startswith("Exact")}
        for level in comparison["comparison_levels"]:
            label = level.get("label_for_charts")
            if not level.get("is_null_level") and level.get("m_probability") is not None:
                level["m_probability"] = max(level["m_probability"], M_FLOOR)
            if label in priors and level.get("u_probability"):
                tf_column = level.get("tf_adjustment_column")
                # Splink scores a term-frequency level as m/u * u_exact/tf(value), u_exact being the u of
                # the exact match on that column: m = prior * u/u_exact leaves prior/tf(value).
                scale = (level["u_probability"] / exact_u[tf_column] if tf_column and exact_u.get(tf_column)
                         else share_of_encounter_pairs)
                level["m_probability"] = max(priors[label] * scale, 1e-9)
            # Random pairs almost never share a NIK, so sampling makes a shared NIK look like
            # proof; but two different names on one NIK is a relative's NIK typed in, which
            # says nothing about whether the two records are one person.
            if label == SOMEONE_ELSES_NIK and level.get("u_probability"):
                level["m_probability"] = level["u_probability"]
    return model


def scored_pairs(linker: Linker, threshold_weight: float, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Predicted pairs above ``threshold_weight`` with only the columns the hub keeps: ids, weights,
    and each comparison's match weight (``mw_*``). Fetching Splink's full output (every compared
    value of both sides) into pandas would cost gigabytes at a million records.

    With ``frame`` (the linker's input), its encounter records are also compared with everyone
    their ``ENCOUNTER_BLOCKS`` find.
    """
    pairs = _kept_columns(linker, linker.inference.predict(threshold_match_weight=threshold_weight))
    encounters = frame[frame["encounter"].astype(bool)] if frame is not None else None
    if frame is None or encounters is None or encounters.empty:
        return pairs
    for column in tf_columns(linker.misc.save_model_to_json(out_path=None)):
        linker.table_management.compute_tf_table(column)
    known = linker.table_management.register_table(frame, "known_records", overwrite=True)
    met = linker.table_management.register_table(encounters, "encounter_records", overwrite=True)
    try:
        extra = _kept_columns(linker, linker.inference.predict_between(
            known, met, link_type="link_only", blocking_rules_to_generate_predictions=list(ENCOUNTER_BLOCKS),
            threshold_match_weight=threshold_weight))
    finally:
        for table in (known, met):
            table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    extra = extra[extra["unique_id_l"] != extra["unique_id_r"]]
    swap = extra["unique_id_l"] > extra["unique_id_r"]  # in the order predict() gives (the weights are symmetric)
    extra.loc[swap, ["unique_id_l", "unique_id_r"]] = extra.loc[swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    both = pd.concat([pairs, extra], ignore_index=True)
    return both.drop_duplicates(subset=["unique_id_l", "unique_id_r"], keep="first").reset_index(drop=True)


def _kept_columns(linker: Linker, predicted: Any) -> pd.DataFrame:
    query = linker.misc.query_sql  # untyped in Splink
    columns = query(f"select * from {predicted.physical_name} limit 0", output_type="pandas").columns  # type: ignore[no-untyped-call]
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability",
            *[c for c in columns if c.startswith("mw_") and not c.startswith("mw_tf_")]]
    frame: pd.DataFrame = query(  # type: ignore[no-untyped-call]
        f"select {', '.join(keep)} from {predicted.physical_name}", output_type="pandas")
    predicted.drop_table_from_database_and_remove_from_cache()
    return frame


def tf_columns(model: dict[str, Any]) -> list[str]:
    """Columns whose term frequencies the model adjusts for (single-record scoring needs their tables)."""
    return sorted({level["tf_adjustment_column"] for comparison in model["comparisons"]
                   for level in comparison["comparison_levels"] if level.get("tf_adjustment_column")})


def prior_weight(model: dict[str, Any]) -> float:
    """log2 of the prior odds that two random records match: what evidence must overcome."""
    lam = float(model["probability_two_random_records_match"])
    return math.log2(lam / (1 - lam))


def save(model: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**model, "hub_model_version": MODEL_VERSION}, indent=1))


def load(path: Path) -> dict[str, Any] | None:
    """The saved model, or None when there is none (or an older version) and training is due."""
    if not path.exists():
        return None
    model: dict[str, Any] = json.loads(path.read_text())
    if model.pop("hub_model_version", None) != MODEL_VERSION:
        return None
    return model
