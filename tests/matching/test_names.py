"""Indonesian name folding: a behaviour table."""

from __future__ import annotations

import pytest

from matching.names import fold_name, sorted_tokens

CASES = [
    ("SOEPARMAN", "SUPARMAN"),
    ("Drs. Soeparman", "SUPARMAN"),
    ("DJOKO TJIPTO", "JOKO CIPTO"),
    ("  joko   cipto ", "JOKO CIPTO"),
    ("CHOLIL", "KHOLIL"),
    ("NJOTO", "NYOTO"),
    ("SJAMSUDIN", "SYAMSUDIN"),
    ("MUHAMMAD EKO", "MUHAMMAD EKO"),
    ("MUHAMAD EKO", "MUHAMMAD EKO"),
    ("MOCH. EKO", "MUHAMMAD EKO"),
    ("M. EKO", "MUHAMMAD EKO"),
    ("MUHAMMAD EKO BIN BUDI", "MUHAMMAD EKO"),
    ("SITI AMINAH BINTI KARTO", "SITI AMINAH"),
    ("HJ. SITI AMINAH", "SITI AMINAH"),
    ("SITI AMINAH, S.PD.", "SITI AMINAH"),
    ("H. WAGIMAN", "WAGIMAN"),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "folded"), CASES)
def test_fold_name(raw: str | None, folded: str | None) -> None:
    assert fold_name(raw) == folded


def test_token_order_does_not_matter_after_sorting() -> None:
    assert sorted_tokens(fold_name("AMINAH SITI")) == sorted_tokens(fold_name("Siti Aminah"))
