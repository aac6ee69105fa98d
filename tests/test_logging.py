"""R17: no message content, option values, tokens or user ids in logs at INFO and above."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.logsetup import RedactingFormatter, configure_logging
from bot.runtime import Runtime
from bot.scheduling.alarm import APSchedulerAlarm
from tests.conftest import World
from tests.probe_cog import CANARY, ProbeCog


@pytest.fixture
def extra_cogs() -> list[Callable[[Any], Any]]:
    return [ProbeCog]


@pytest.fixture(autouse=True)
def debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)


async def test_a_session_full_of_canaries_leaves_none_in_the_logs(
    running: Runtime, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(world.member, world.general, "probe-post", text=f"{CANARY} posted")
    await sandbox.slash(world.member, world.general, "probe-fail", note=f"{CANARY} in an option")
    await sandbox.slash(world.member, world.general, "probe-dm")
    await sandbox.slash(world.member, world.general, "about")

    loud = [record for record in caplog.records if record.levelno >= logging.INFO]
    assert loud, "expected some INFO logs from start-up"
    text = "\n".join(record.getMessage() for record in loud)
    text += "\n".join(str(record.exc_info[1]) for record in loud if record.exc_info)
    assert CANARY not in text
    assert sandbox.token not in text
    for member in (world.member, world.other_member, world.moderator):
        assert str(member.id) not in text
    assert str(sandbox.bot_user.id) not in text


def test_discord_payload_loggers_are_capped_at_info() -> None:
    configure_logging("DEBUG")
    for name in ("discord.http", "discord.gateway"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO


def test_formatter_masks_tokens_and_snowflakes() -> None:
    formatter = RedactingFormatter("%(message)s")
    token = "MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.abcdefghijklmnopqrstuvwxyz012345"
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "user %s token %s", (1098765432109876543, token), None
    )
    line = formatter.format(record)
    assert "1098765432109876543" not in line
    assert token not in line
    assert line == "user [id] token [token]"


async def test_real_commands_keep_member_input_out_of_the_logs(
    running: Runtime, world: World, caplog: pytest.LogCaptureFixture, clock: Any
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(
        world.member, world.general, "remind add", what=f"{CANARY} court", when="in 1 hour"
    )
    await sandbox.slash(
        world.member, world.general, "remind add", what="x", when=f"{CANARY} o'clock"
    )
    await sandbox.slash(world.member, world.general, "resource find", query=CANARY)
    await sandbox.slash(world.member, world.general, "settings timezone", zone=CANARY)
    form = await sandbox.slash(
        world.moderator, world.general, "resource-admin add", category="local"
    )
    await sandbox.submit_modal(
        world.moderator, form, {"resource:name": CANARY, "resource:web": f"{CANARY}:bad"}
    )
    await sandbox.slash(world.member, world.general, "mydata export")
    await clock.advance(timedelta(hours=1))  # the reminder is delivered
    await sandbox.wait_for(lambda: len(sandbox.dms_to(world.member)) == 2, what="the reminder DM")

    loud = [record for record in caplog.records if record.levelno >= logging.INFO]
    text = "\n".join(record.getMessage() for record in loud)
    text += "\n".join(str(record.exc_info[1]) for record in loud if record.exc_info)
    assert CANARY not in text
    assert str(world.member.id) not in text
    assert str(world.moderator.id) not in text


async def _apscheduler_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Let APScheduler (the production alarm) ring once; what it logged at INFO or above."""
    caplog.clear()
    alarm = APSchedulerAlarm()
    rang = asyncio.Event()

    async def ring() -> None:
        rang.set()

    alarm.set(datetime.now(UTC), ring)
    await asyncio.wait_for(rang.wait(), timeout=5)
    await asyncio.sleep(0.05)  # the "executed successfully" line comes after the job
    await alarm.stop()
    return [
        record
        for record in caplog.records
        if record.name.startswith("apscheduler") and record.levelno >= logging.INFO
    ]


async def test_apscheduler_info_lines_are_capped(caplog: pytest.LogCaptureFixture) -> None:
    """The alarm rings at least every 30 s; APScheduler's "Running job" / "executed
    successfully" INFO lines for each would drown the operator's log."""
    logging.getLogger("apscheduler").setLevel(logging.NOTSET)
    assert await _apscheduler_lines(caplog), "control: uncapped, APScheduler logs at INFO"
    configure_logging("INFO")
    assert await _apscheduler_lines(caplog) == []
    configure_logging("DEBUG")
    assert await _apscheduler_lines(caplog) == []
