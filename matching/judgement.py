"""A data steward's verdict on a match candidate."""

from enum import StrEnum


class Judgement(StrEnum):
    SAME = "SAME"  # one person: join them, whatever the scores say
    DIFFERENT = "DIFFERENT"  # two persons: never join them, not even through others
    UNSURE = "UNSURE"  # looked at, undecided: leave it to the scores
