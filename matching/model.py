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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.blocking import BlockingRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from hub.errors import ConfigError, InputError

MODEL_VERSION = 9
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
            cll.CustomLevel("(kk_l IS NULL OR kk_r IS NULL) AND (regency_l IS NULL OR regency_r IS NULL) "
                            "AND (address_folded_l IS NULL OR address_folded_r IS NULL)",
                            "unknown").configure(is_null_level=True),
            cll.CustomLevel("kk_l = kk_r AND village_l = village_r", "same KK, same village"),
            cll.CustomLevel("kk_l = kk_r", "same KK"),
            # A street address is the household's place too: one level here, not a comparison of its
            # own, or a shared address and a shared village would count one fact twice. Common
            # addresses ("DUSUN KRAJAN RT1 RW1") repeat across villages: two villages that differ rule it out.
            cll.CustomLevel("address_folded_l = address_folded_r AND coalesce(village_l = village_r, TRUE)",
                            SAME_ADDRESS),
            cll.CustomLevel(f"{_ADDRESS_TOKENS_SHARED} >= {ADDRESS_SIMILAR} AND coalesce(village_l = village_r, TRUE)",
                            SIMILAR_ADDRESS),
            cll.ExactMatchLevel("village"),
            cll.ExactMatchLevel("district"),
            cll.CustomLevel("regency_l = regency_r AND (encounter_l OR encounter_r)", MET_IN_REGENCY),
            cll.ExactMatchLevel("regency"),
            cll.ElseLevel(),
        ],
    )


SAME_ADDRESS = "same address"
SIMILAR_ADDRESS = "similar address (most words shared)"
ADDRESS_SIMILAR = 0.75
# The share of address words (folded: "RT1", "JALAN", "MERDEKA") two records have in common, as
# 2|A∩B| / (|A| + |B|): a word left out or the words reordered still counts as nearly the same.
# (Cast: a record scored alone whose address is unknown gives DuckDB a column of no text type.)
_ADDRESS_WORDS = "list_distinct(string_split(CAST(address_folded_{side} AS VARCHAR), ' '))"
_ADDRESS_TOKENS_SHARED = (
    f"(2.0 * len(list_intersect({_ADDRESS_WORDS.format(side='l')}, {_ADDRESS_WORDS.format(side='r')})) "
    f"/ (len({_ADDRESS_WORDS.format(side='l')}) + len({_ADDRESS_WORDS.format(side='r')})))"
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
    # A first name in its village, not its district (model 9): at a million persons the district key
    # alone gave 243,000 of a 10,000-record delta's 459,000 pairs and 10 of its 16,759 accepted ones,
    # and all 10 share the village.
    ("name_first", "village"), ("birth_date", "village"),
    # A typo in the first name, where no village is known (a list without region codes).
    ("name_last", "birth_date"),
    # Identifying fields a list may declare (a no-NIK list's best keys): equal phone, equal id in
    # another register, the same name or the same birth date at the same address.
    ("phone",), ("register_id",), ("name_sorted", "address_folded"), ("birth_date", "address_folded"),
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
            cl.ExactMatch("phone"),
            cl.ExactMatch("register_id"),
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


# EM passes, in order of preference. A pass blocked on some fields cannot estimate the comparisons
# of those fields, so the passes chosen must between them estimate every comparison the records
# have data for. The first three are what registers with NIKs have always trained on; the rest
# stand in where a list lacks a NIK or a birth date.
TRAINING_BLOCKS: list[tuple[str, ...]] = [
    ("nik",), ("birth_date",), ("name_folded",),
    ("kk",), ("phone",), ("register_id",), ("address_folded",), ("name_first", "village"), ("birth_year", "village"),
]
PREFERRED_BLOCKS = 3
# Rules that alone say two records are one person: how many pairs meet them (over the share of
# true matches they find) estimates the prior, the probability that two random records match.
# A NIK finds about 0.7 of the matches on the synthetic registers; without one, exact name and
# birth date, phone, register id or name and address are a little less complete.
NIK_PRIOR_RULE: tuple[str, ...] = ("nik",)
NIK_RECALL = 0.7
OTHER_PRIOR_RULES: list[tuple[str, ...]] = [
    ("name_folded", "birth_date"), ("phone",), ("register_id",), ("name_folded", "address_folded")]
OTHER_RECALL = 0.6
# A block with fewer pairs than this teaches EM nothing it can trust.
MIN_TRAINING_PAIRS = 10
# The fields each comparison needs on both records to say anything (what "has data" means).
EVIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name_folded",), "birth": ("birth_year",), "sex": ("sex",), "mother_folded": ("mother_folded",),
    "household_place": ("kk", "regency", "address_folded"), "nik": ("nik",), "phone": ("phone",),
    "register_id": ("register_id",),
}
FIELD_WORDS = {
    "nik": "a NIK", "birth_date": "a birth date", "name_folded": "a name", "kk": "a KK", "phone": "a phone number",
    "register_id": "a register id", "address_folded": "an address", "name_first": "a first name",
    "village": "a village", "birth_year": "a birth year",
}


COMPARED_WORDS = {
    "name": "names", "birth": "birth dates", "sex": "sexes", "mother_folded": "mothers' names",
    "household_place": "KKs, villages and addresses", "nik": "NIKs", "phone": "phone numbers",
    "register_id": "register ids",
}


def _shares(rule: tuple[str, ...]) -> str:
    return " and ".join(FIELD_WORDS[c] for c in rule)


def pair_count(frame: pd.DataFrame, rule: tuple[str, ...]) -> int:
    """How many record pairs agree on every field of ``rule`` (nulls agree with nothing)."""
    sizes = frame.groupby(list(rule), sort=False, dropna=True).size().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


@dataclass(frozen=True)
class TrainingPlan:
    """What ``train`` estimates from: the prior's rules and the recall assumed for them, the EM
    passes' blocking rules, and the comparisons no two records have the fields for (they keep
    no evidence, m = u, until a retrain on records that have them)."""

    prior_rules: list[tuple[str, ...]]
    recall: float
    em_rules: list[tuple[str, ...]]
    untrained: list[str]


def compared_columns(linker: Linker) -> dict[str, set[str]]:
    """Each comparison's input columns, as Splink reads them to leave it out of an EM pass."""
    comparisons = linker._settings_obj.comparisons  # Splink exposes no public accessor
    return {c.output_column_name: {col.input_name for col in c._input_columns_used_by_case_statement}
            for c in comparisons}


def training_plan(frame: pd.DataFrame, columns: dict[str, set[str]]) -> TrainingPlan:
    """The rules ``train`` uses on ``frame``, chosen from the fields its records have.

    Raises:
        InputError: the records share nothing that says two are one person, or a comparison that
            has data can be estimated by no pass (what is missing, and what would do).
    """
    has_data = [name for name, fields in EVIDENCE_COLUMNS.items()
                if any(int(frame[f].notna().sum()) >= 2 for f in fields)]
    untrained = [name for name in EVIDENCE_COLUMNS if name not in has_data]

    def estimates(rule: tuple[str, ...]) -> set[str]:
        return {name for name in has_data if not columns[name] & set(rule)}

    usable = [rule for rule in TRAINING_BLOCKS if pair_count(frame, rule) >= MIN_TRAINING_PAIRS]
    chosen = [rule for rule in usable if rule in TRAINING_BLOCKS[:PREFERRED_BLOCKS]]
    covered = set().union(*map(estimates, chosen)) if chosen else set()
    for rule in usable:
        if rule in chosen:
            continue
        if covered >= set(has_data) and len(chosen) >= 2:
            break
        if estimates(rule) - covered or len(chosen) < 2:
            chosen.append(rule)
            covered |= estimates(rule)
    prior_rules: list[tuple[str, ...]]
    if pair_count(frame, NIK_PRIOR_RULE) >= MIN_TRAINING_PAIRS:
        prior_rules, recall = [NIK_PRIOR_RULE], NIK_RECALL
    else:
        prior_rules = [rule for rule in OTHER_PRIOR_RULES if pair_count(frame, rule) >= MIN_TRAINING_PAIRS]
        recall = OTHER_RECALL
    if not prior_rules:
        rules = [NIK_PRIOR_RULE, *OTHER_PRIOR_RULES]
        problem = (f"fewer than {MIN_TRAINING_PAIRS} pairs of records share {', '.join(map(_shares, rules[:-1]))} "
                   f"or {_shares(rules[-1])}, so nothing says which records are one person (a single list with "
                   "each person once has nothing to learn from: load the lists to link together)")
    else:
        unweighed = sorted(set(has_data) - covered)
        problem = "; ".join(
            f"{COMPARED_WORDS[name]} cannot be weighed: fewer than {MIN_TRAINING_PAIRS} pairs of records share "
            f"{' or '.join(_shares(rule) for rule in TRAINING_BLOCKS if not columns[name] & set(rule))}"
            for name in unweighed)
    if problem:
        raise InputError(
            f"nothing to learn a linking model from in these {len(frame):,} named records: {problem}. Load lists "
            "that give a birth date, a NIK, a KK, an address or a phone number (mapping fields birth_date, nik, kk, "
            "address, phone, register_id), or keep the model trained before (hub match without --retrain)")
    return TrainingPlan(prior_rules, recall, chosen, untrained)


def train(frame: pd.DataFrame, seed: int = 42) -> Linker:
    """A linker with parameters estimated on ``frame`` (or a sample of ``TRAIN_RECORDS`` of it):
    λ from the deterministic rules the records allow (a trusted NIK first), u by sampling, m by EM
    in passes blocked on the fields the records have (``training_plan``).

    Raises:
        InputError: the records give nothing to learn from (see ``training_plan``).
    """
    if len(frame) > TRAIN_RECORDS:
        frame = frame.sample(TRAIN_RECORDS, random_state=seed).reset_index(drop=True)
    linker = new_linker(frame, settings())
    plan = training_plan(frame, compared_columns(linker))
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*rule) for rule in plan.prior_rules], recall=plan.recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in plan.em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
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
        if _without_data(comparison):
            continue
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


UNTRAINED = "no two records had its fields when the model was trained: it gives no evidence until retrained"


def _without_data(comparison: dict[str, Any]) -> bool:
    """Makes a comparison whose fields no sampled pair had give no evidence (m = u on every level),
    and says so in its description; whether it was one. Splink would otherwise score it with
    made-up default weights as soon as records with those fields are linked."""
    levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
    if any(level.get("u_probability") is not None for level in levels):
        return False
    for level in levels:
        level["m_probability"] = level["u_probability"] = 1.0
    comparison["comparison_description"] = f"{comparison.get('comparison_description', '')} ({UNTRAINED})"
    return True


def untrained_comparisons(model: dict[str, Any]) -> list[str]:
    """The comparisons of a trained model that give no evidence: no record had their fields."""
    return [c["output_column_name"] for c in model["comparisons"] if UNTRAINED in c.get("comparison_description", "")]


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
