"""A steward's "verdicts of today" are the offices' day (WIB), not the UTC date."""

from __future__ import annotations

import datetime as dt

from matching.undo import today


def test_a_verdict_given_early_in_the_morning_in_java_belongs_to_that_day() -> None:
    # 06:30 WIB on 1 December is 23:30 UTC on 30 November: its day began at 17:00 UTC on 30 November.
    morning = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    start = today(morning)
    assert start == "2026-11-30T17:00:00+00:00"
    assert start <= "2026-11-30T23:29:00+00:00"  # given at 06:29 WIB: today's
    assert start > "2026-11-30T16:59:59+00:00"  # 23:59 WIB the evening before: not today's


def test_the_afternoon_in_java_is_still_the_same_day() -> None:
    afternoon = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # 16:00 WIB on 1 December
    assert today(afternoon) == "2026-11-30T17:00:00+00:00"
