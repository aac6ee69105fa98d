"""OwnSends: the bot's own messages as the gateway announced them, and when their absence
proves that Discord made nothing (bot/delivery.py). The attacks these answer are in
tests/attack/test_delivery_round4.py and round5; these pin the rules for a gap in what was
seen. Times are the monotonic clock's (Clock.elapsed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import discord

from bot.clock import FakeClock
from bot.delivery import OWN_SENDS_KEPT_SECONDS, OWN_SENDS_MOST, OwnSends

ME = 42
CHANNEL = 7
DELIVERY = 1
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# When the delivery came into doubt (its claim, before this process tried it).
DOUBT = START + timedelta(seconds=30)


def _message(nonce: str | None, *, author: int = ME, channel: int = CHANNEL) -> discord.Message:
    return cast(
        discord.Message,
        SimpleNamespace(
            id=hash((nonce, channel)) & 0xFFFF,
            nonce=nonce,
            author=SimpleNamespace(id=author),
            channel=SimpleNamespace(id=channel),
        ),
    )


async def _watching(clock: FakeClock) -> OwnSends:
    """Shard 0 connected, then a minute later the delivery tried."""
    own = OwnSends(clock.now, clock.elapsed)
    own.session_started(0)
    await clock.advance(timedelta(minutes=1))
    own.trying(DELIVERY)
    return own


async def test_only_the_bots_own_messages_with_a_nonce_are_kept() -> None:
    own = await _watching(FakeClock(START))
    own.saw(_message("muster-1"), ME)
    own.saw(_message("muster-2", author=99), ME)  # a member's message
    own.saw(_message(None), ME)  # an interaction's follow-up: no nonce
    assert own.sent(CHANNEL, "muster-1") is not None
    assert own.sent(CHANNEL, "muster-2") is None
    assert own.sent(CHANNEL + 1, "muster-1") is None  # same nonce, another channel
    assert own.sent_for_another(_message("muster-1"), "muster-3")
    assert not own.sent_for_another(_message("muster-1"), "muster-1")


async def test_absence_proves_nothing_until_the_gateway_has_shown_a_nonce() -> None:
    own = await _watching(FakeClock(START))
    own.saw(_message(None), ME)  # a message of the bot's sent without one
    assert not own.watched(0, DELIVERY, DOUBT)  # a gateway that never echoes nonces
    own.saw(_message("muster-9"), ME)
    assert own.watched(0, DELIVERY, DOUBT)
    assert not own.watched(0, DELIVERY + 1, DOUBT)  # a delivery this process never tried


async def test_a_new_session_or_an_open_gap_is_a_blind_spot_and_a_resume_is_not() -> None:
    clock = FakeClock(START)
    own = await _watching(clock)
    own.saw(_message("muster-9"), ME)
    assert own.watched(0, DELIVERY, DOUBT)
    assert not own.watched(1, DELIVERY, DOUBT)  # a shard this process never had
    own.disconnected(0)
    assert not own.watched(0, DELIVERY, DOUBT)  # what the gap holds is not replayed yet
    own.resumed(0)
    assert own.watched(0, DELIVERY, DOUBT)  # RESUMED comes after the replay
    await clock.advance(timedelta(seconds=1))
    own.session_started(0)  # a fresh IDENTIFY: the gap is lost for good
    assert not own.watched(0, DELIVERY, DOUBT)


async def test_a_wall_clock_put_back_moves_nothing() -> None:
    clock = FakeClock(START)
    own = await _watching(clock)
    own.saw(_message("muster-9"), ME)
    await clock.advance(timedelta(minutes=2))
    await clock.step(timedelta(minutes=-3))  # NTP sets the host's clock back
    assert own.tried_long_ago(DELIVERY)  # two minutes have still passed
    assert own.first_tried_at(DELIVERY) == clock.now() - timedelta(minutes=2)
    await clock.advance(timedelta(seconds=1))
    own.session_started(0)  # after the attempt, whatever the wall clock says
    assert not own.watched(0, DELIVERY, DOUBT)


async def test_what_was_forgotten_or_is_too_old_proves_nothing() -> None:
    clock = FakeClock(START)
    own = await _watching(clock)
    await clock.advance(timedelta(seconds=1))
    for n in range(OWN_SENDS_MOST + 1):
        own.saw(_message(f"muster-{n}"), ME)
    assert own.sent(CHANNEL, "muster-0") is None  # the oldest went first
    assert own.sent(CHANNEL, f"muster-{OWN_SENDS_MOST}") is not None
    assert not own.watched(0, DELIVERY, DOUBT)  # it may have been the one looked for
    await clock.advance(timedelta(seconds=1))
    own.trying(DELIVERY + 1)
    await clock.advance(timedelta(seconds=1))
    assert own.watched(0, DELIVERY + 1, DOUBT)
    await clock.advance(timedelta(seconds=OWN_SENDS_KEPT_SECONDS))
    assert not own.watched(0, DELIVERY + 1, DOUBT)


async def test_a_doubt_older_than_the_watch_proves_nothing() -> None:
    """The doubt began under an earlier process (before this one's session): that
    process's try was not watched here, however gap-free the watch since."""
    own = await _watching(FakeClock(START))
    own.saw(_message("muster-9"), ME)
    assert own.watched(0, DELIVERY, DOUBT)
    assert not own.watched(0, DELIVERY, START - timedelta(minutes=5))
