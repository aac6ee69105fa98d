"""OwnSends: the bot's own messages as the gateway announced them, and when their absence
proves that Discord made nothing (bot/delivery.py). The attacks these answer are in
tests/attack/test_delivery_round4.py; these pin the rules for a gap in what was seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import discord

from bot.clock import FakeClock
from bot.delivery import OWN_SENDS_KEPT, OWN_SENDS_MOST, OwnSends

ME = 42
CHANNEL = 7
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


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


def _watching(clock: FakeClock) -> OwnSends:
    own = OwnSends(clock.now)
    own.session_started(0)
    return own


async def test_only_the_bots_own_messages_with_a_nonce_are_kept() -> None:
    clock = FakeClock(START)
    own = _watching(clock)
    await clock.advance(timedelta(minutes=1))
    own.saw(_message("muster-1"), ME)
    own.saw(_message("muster-2", author=99), ME)  # a member's message
    own.saw(_message(None), ME)  # an interaction's follow-up: no nonce
    assert own.sent(CHANNEL, "muster-1") is not None
    assert own.sent(CHANNEL, "muster-2") is None
    assert own.sent(CHANNEL + 1, "muster-1") is None  # same nonce, another channel


async def test_absence_proves_nothing_until_the_gateway_has_shown_a_nonce() -> None:
    clock = FakeClock(START)
    own = _watching(clock)
    await clock.advance(timedelta(minutes=5))
    attempt = clock.now() - timedelta(minutes=1)
    own.saw(_message(None), ME)  # a message of the bot's sent without one
    assert not own.watched(0, attempt)  # a gateway that never echoes nonces
    own.saw(_message("muster-1"), ME)
    assert own.watched(0, attempt)


async def test_a_new_session_or_an_open_gap_is_a_blind_spot_and_a_resume_is_not() -> None:
    clock = FakeClock(START)
    own = _watching(clock)
    own.saw(_message("muster-1"), ME)
    await clock.advance(timedelta(minutes=5))
    attempt = clock.now() - timedelta(minutes=1)
    assert own.watched(0, attempt)
    assert not own.watched(1, attempt)  # a shard this process never had
    own.disconnected(0)
    assert not own.watched(0, attempt)  # what the gap holds is not replayed yet
    own.resumed(0)
    assert own.watched(0, attempt)  # RESUMED comes after the replay
    own.session_started(0)  # a fresh IDENTIFY: the gap is lost for good
    assert not own.watched(0, attempt)
    await clock.advance(timedelta(minutes=5))
    assert own.watched(0, clock.now() - timedelta(minutes=1))


async def test_what_was_forgotten_or_is_too_old_proves_nothing() -> None:
    clock = FakeClock(START)
    own = _watching(clock)
    await clock.advance(timedelta(minutes=1))
    attempt = clock.now()
    await clock.advance(timedelta(seconds=1))
    for n in range(OWN_SENDS_MOST + 1):
        own.saw(_message(f"muster-{n}"), ME)
    assert own.sent(CHANNEL, "muster-0") is None  # the oldest went first
    assert own.sent(CHANNEL, f"muster-{OWN_SENDS_MOST}") is not None
    assert not own.watched(0, attempt)  # it may have been the one looked for
    await clock.advance(timedelta(seconds=1))
    later = clock.now()
    await clock.advance(timedelta(seconds=1))
    assert own.watched(0, later)
    await clock.advance(OWN_SENDS_KEPT)
    assert not own.watched(0, later)
