"""The model's priors for street-encounter levels (``matching/encounters.toml``), and what training
learns from when records lack a NIK or other fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest


def test_encounter_priors_are_checked_when_read(tmp_path: Path) -> None:
    from hub.errors import ConfigError
    from matching.model import CALL_FIRST_NAME, encounter_priors

    assert 0 < encounter_priors()[CALL_FIRST_NAME] <= 1  # the shipped file
    wrong = tmp_path / "encounters.toml"
    wrong.write_text('[levels]\n"a call name: the other\'s first name" = 1.5\n')
    with pytest.raises(ConfigError, match="shares in"):
        encounter_priors(wrong)
    wrong.write_text('[levels]\n"no such level" = 0.5\n')
    with pytest.raises(ConfigError, match="no such level"):
        encounter_priors(wrong)
    wrong.write_text("levels = [")
    with pytest.raises(ConfigError, match="a \\[levels\\] table"):
        encounter_priors(wrong)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    from matching.extract import COLUMNS
    from matching.features import features

    records = pd.DataFrame(rows).reindex(columns=COLUMNS).astype(object)
    return features(records.where(records.notna(), None), as_of=dt.date(2026, 1, 1))


def _people(count: int, **fields: Callable[[int], object]) -> list[dict[str, object]]:
    """Each person twice (two sources), with the fields given as functions of the person's number."""
    return [{"record_id": f"{source}:{i}", "source": source, "name": f"ORANG {_letters(i)}",
             **{name: make(i) for name, make in fields.items()}} for source in ("a", "b") for i in range(count)]


def _letters(i: int) -> str:
    """A word of its own for each number (folding drops digits from names)."""
    return "".join(chr(ord("A") + int(digit)) for digit in f"{i:03d}")


def _born(i: int) -> str:
    return f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"


# (fields each person has, the EM passes chosen, the prior's rules)
PLANS = [
    ({"nik": lambda i: f"33740145068{i:05d}", "birth_date": _born},
     [("nik",), ("birth_date",), ("name_folded",)], [("nik",)]),
    ({"birth_date": _born, "address": lambda i: f"JL. MAWAR {i} RT 1 RW 2"},
     [("birth_date",), ("name_folded",)], [("name_folded", "birth_date"), ("name_folded", "address_folded")]),
    ({"age": lambda i: 20 + i % 60, "address": lambda i: f"GG. MELATI {i}"},
     [("name_folded",), ("address_folded",)], [("name_folded", "address_folded")]),
    ({"phone": lambda i: f"62812{i:08d}"}, [("name_folded",), ("phone",)], [("phone",)]),
]


@pytest.mark.parametrize(("fields", "em_rules", "prior_rules"), PLANS)
def test_training_uses_the_fields_the_records_have(fields: dict[str, Callable[[int], object]],
                                                   em_rules: list[tuple[str, ...]],
                                                   prior_rules: list[tuple[str, ...]]) -> None:
    from matching import model

    frame = _frame(_people(40, **fields))
    plan = model.training_plan(frame, model.compared_columns(model.new_linker(frame, model.settings())))
    assert (plan.em_rules, plan.prior_rules) == (em_rules, prior_rules)
    assert "register_id" in plan.untrained and "name" not in plan.untrained
    assert ("nik" in plan.untrained) == ("nik" not in fields)


def test_names_alone_teach_nothing_and_say_what_is_missing() -> None:
    from hub.errors import InputError
    from matching import model

    frame = _frame(_people(40, sex=lambda i: "L"))
    with pytest.raises(InputError) as caught:
        model.training_plan(frame, model.compared_columns(model.new_linker(frame, model.settings())))
    message = str(caught.value)
    assert message.startswith("nothing to learn a linking model from in these 80 named records")
    assert "share a NIK, a name and a birth date, a phone number, a register id or a name and an address" in message
    assert "nothing says which records are one person" in message


def test_a_comparison_nothing_else_is_shared_for_cannot_be_weighed() -> None:
    """The phone says who is who (the prior), but every name is written differently in the second
    list: no pass blocked on something other than the phone can weigh the phone."""
    from hub.errors import InputError
    from matching import model

    rows = _people(40, phone=lambda i: f"62812{i:08d}")
    for i, row in enumerate(rows[40:]):
        row["name"] = f"LAIN {_letters(i)}"
    frame = _frame(rows)
    with pytest.raises(InputError, match="phone numbers cannot be weighed: fewer than 10 pairs of records share "
                                         "a NIK or a birth date or a name or"):
        model.training_plan(frame, model.compared_columns(model.new_linker(frame, model.settings())))
