"""The check-in rules with no bot and no database: when the peer-mentor offer is earned,
what a forged or unreadable sharing choice becomes, and how a held-back post is pushed on."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.checkins import release_at, share_choice, signals_of, worrying
from bot.services.checkins.anonymous import pushed_to
from bot.services.guild_settings import GuildConfig

TODAY = date(2026, 11, 25)
ZONE = "America/Chicago"


def at(day: int, hour: int) -> datetime:
    """A moment of November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_mood_1_on_the_day_before_too_is_a_signal_only_when_it_was_the_day_before() -> None:
    yesterday = [(at(24, 18), 1, "yes")]  # noon in Chicago, on the 24th
    assert signals_of(1, "yes", yesterday, ZONE, TODAY, None).low_mood_again
    two_days_ago = [(at(23, 18), 1, "yes")]
    assert not signals_of(1, "yes", two_days_ago, ZONE, TODAY, None).any
    # 03:00 UTC on the 25th is still the evening of the 24th in Chicago.
    late_evening = [(at(25, 3), 1, "yes")]
    assert signals_of(1, "yes", late_evening, ZONE, TODAY, None).low_mood_again
    assert not signals_of(2, "yes", yesterday, ZONE, TODAY, None).any


def test_a_no_after_three_sober_days_or_a_running_count_is_a_slip() -> None:
    three_days = [(at(day, 18), 3, "yes") for day in (22, 23, 24)]
    assert signals_of(3, "no", three_days, ZONE, TODAY, None).slip_after_streak
    # A "rather not say" breaks the run, and only the three latest days count.
    broken = [(at(21, 18), 3, "yes"), (at(22, 18), 3, "skip"), *three_days[1:]]
    assert not signals_of(3, "no", broken, ZONE, TODAY, None).any
    assert signals_of(3, "no", [], ZONE, TODAY, date(2026, 11, 24)).slip_after_streak
    assert not signals_of(3, "no", [], ZONE, TODAY, TODAY).any  # a count begun today
    assert not signals_of(3, "yes", three_days, ZONE, TODAY, date(2026, 1, 1)).any


def test_only_a_low_mood_or_not_sober_can_bring_the_offer() -> None:
    assert worrying(1, "yes")
    assert worrying(4, "no")
    assert not worrying(2, "skip")


def test_a_sharing_choice_that_is_not_one_of_the_two_shares_is_private() -> None:
    assert share_choice("anonymous") == "anonymous"
    assert share_choice("named") == "named"
    for forged in ("Named", "everyone", "", None):
        assert share_choice(forged) == "private"


@pytest.mark.parametrize("delay", [5, 30])
def test_a_held_back_post_is_pushed_by_ordinary_delays_until_its_hold_ends_exactly(
    delay: int,
) -> None:
    config, rng = GuildConfig(guild_id=1, anonymous_delay_minutes=delay), secrets.SystemRandom()
    window = timedelta(minutes=delay)
    asked = datetime(2026, 11, 23, 14, 20, 31, 812_000, tzinfo=UTC)
    for _ in range(300):
        until = release_at(config, asked, rng, held_back=True)
        # Its first time comes a moment after the request (a release fires a few ms late).
        now, pushes = asked + timedelta(minutes=2, milliseconds=7), []
        while now < until:
            later = pushed_to(config, now, until, rng)
            pushes.append(later - now)
            now = later
        assert now == until, (until, pushes)
        assert all(window <= wait < 2 * window for wait in pushes), (until, pushes)
