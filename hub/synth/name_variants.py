"""How one name gets written differently across offices: old and new spelling, Muhammad's many
forms, titles, bin/binti, abbreviated or swapped tokens, case and spacing.

``vary_name`` always returns a different string from its input and says which kind it applied.
"""

from __future__ import annotations

import re

import numpy as np

# (new spelling, old spelling): EYD 1972 changed oe->u, dj->j, tj->c, ch->kh, j->y, nj->ny, sj->sy.
SPELLING_PAIRS = [("U", "OE"), ("J", "DJ"), ("C", "TJ"), ("KH", "CH"), ("Y", "J"), ("NY", "NJ"), ("SY", "SJ")]
MUHAMMAD_FORMS = ["MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOCHAMMAD", "MOCH.", "MOH.", "M.", "MUH."]
TITLES_BEFORE_MALE = ["H.", "DRS.", "IR."]
TITLES_BEFORE_FEMALE = ["HJ.", "DRA."]
TITLES_AFTER = ["S.PD.", "S.E.", "S.SOS.", "A.MD."]
WRITTEN_AS_KINDS = ("spelling", "muhammad", "initial")
KINDS = ["spelling", "muhammad", "title", "bin_binti", "abbreviate", "swap", "case_spacing"]
_SPACE = re.compile(r"\s+")


def _spelling(name: str, rng: np.random.Generator) -> str | None:
    """Modernise one old-spelling mark, or write a modern name the old way.

    J is ambiguous (new J was old DJ, new Y was old J), so a name is only read as old
    spelling when it carries an unambiguous old mark (OE, DJ, TJ, CH, NJ, SJ).
    """
    old_marks = [(new, old) for new, old in SPELLING_PAIRS if old in name and old != "J"]
    if old_marks:
        new, old = old_marks[int(rng.integers(0, len(old_marks)))]
        return name.replace(old, new, 1)
    candidates = [(new, old) for new, old in SPELLING_PAIRS if new in name]
    if not candidates:
        return None
    new, old = candidates[int(rng.integers(0, len(candidates)))]
    return name.replace(new, old, 1)


def _muhammad(name: str, rng: np.random.Generator) -> str | None:
    tokens = name.split()
    for i, token in enumerate(tokens):
        if token in MUHAMMAD_FORMS or token == "MUHAMMAD":
            options = [f for f in MUHAMMAD_FORMS if f != token]
            tokens[i] = options[int(rng.integers(0, len(options)))]
            return " ".join(tokens)
    return None


def _title(name: str, rng: np.random.Generator, female: bool) -> str:
    if rng.random() < 0.6:
        before = TITLES_BEFORE_FEMALE if female else TITLES_BEFORE_MALE
        return f"{before[int(rng.integers(0, len(before)))]} {name}"
    return f"{name}, {TITLES_AFTER[int(rng.integers(0, len(TITLES_AFTER)))]}"


def _bin_binti(name: str, female: bool, father: str) -> str:
    return f"{name} {'BINTI' if female else 'BIN'} {father}"


def _abbreviate(name: str, rng: np.random.Generator, index: int | None = None) -> str | None:
    tokens = name.split()
    if len(tokens) < 2:
        return None
    i = int(rng.integers(0, len(tokens))) if index is None else index
    tokens[i] = tokens[i][0] + "."
    return " ".join(tokens)


def _swap(name: str, rng: np.random.Generator) -> str | None:
    tokens = name.split()
    if len(tokens) < 2:
        return None
    i = int(rng.integers(0, len(tokens) - 1))
    tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    return " ".join(tokens)


def _case_spacing(name: str, rng: np.random.Generator) -> str:
    choice = int(rng.integers(0, 4))
    if choice == 0:
        return name.title()
    if choice == 1:
        return name.lower()
    if choice == 2 and " " in name:
        return name.replace(" ", "  ", 1)
    return f" {name} "


def vary_name(name: str, female: bool, father: str, rng: np.random.Generator) -> tuple[str, str]:
    """A variant of ``name`` and the kind of variation applied."""
    kinds = list(KINDS)
    first = kinds.pop(int(rng.integers(0, len(kinds))))
    for kind in [first, *kinds]:
        if kind == "spelling":
            varied = _spelling(name, rng)
        elif kind == "muhammad":
            varied = _muhammad(name, rng)
        elif kind == "title":
            varied = _title(name, rng, female)
        elif kind == "bin_binti":
            varied = _bin_binti(name, female, father)
        elif kind == "abbreviate":
            varied = _abbreviate(name, rng)
        elif kind == "swap":
            varied = _swap(name, rng)
        else:
            varied = _case_spacing(name, rng)
        if varied is not None and varied != name:
            return varied, kind
    return _case_spacing(name, rng) + " ", "case_spacing"


def written_as(kind: str, name: str, rng: np.random.Generator) -> str | None:
    """``name`` as another office writes it with one kind of variation, or None where the kind
    does not apply to it: "spelling" (old or new spelling), "muhammad" (another of Muhammad's
    forms) or "initial" (the first name cut to its initial, as "abbreviate" does to any token).

    For callers that need one kind on purpose (``hub bench truth`` asks the API for a person by a
    name variant of each kind); the synthesiser itself draws kinds with ``vary_name``.
    """
    if kind == "spelling":
        varied = _spelling(name, rng)
    elif kind == "muhammad":
        varied = _muhammad(name, rng)
    elif kind == "initial":
        varied = _abbreviate(name, rng, index=0)
    else:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(WRITTEN_AS_KINDS)}")
    return varied if varied is not None and varied != name else None


def nickname(name: str, rng: np.random.Generator) -> str:
    """What street outreach writes for someone who gives no full name: a first name or a call name."""
    first = _SPACE.split(name.strip())[0]
    roll = rng.random()
    if roll < 0.45 or len(first) <= 4:
        return first
    if roll < 0.75:
        return first[-3:] if first[-3] not in "AEIOU" else first[-4:]  # SLAMET -> MET, SUTRISNO -> RISNO
    prefix = ["MBAH", "PAK", "BU", "MAS", "MBAK"][int(rng.integers(0, 5))]
    return f"{prefix} {first}"
