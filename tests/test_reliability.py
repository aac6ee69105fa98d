"""R1: answers that must come at once still do while the database is stalled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FakeClock
from bot.config import Settings
from bot.runtime import Runtime
from tests.conftest import TEST_DATABASE_URL, World, database_unavailable, only_postgres, start_bot


async def test_forms_open_at_once_with_the_database_stalled(
    running: Runtime, world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    await sandbox.slash(
        world.member, world.general, "remind add", what="Court", when="in 2 days", kind="court"
    )
    await clock.advance(timedelta(days=1))  # the day-before reminder, with its plan button
    await sandbox.wait_for(lambda: len(sandbox.dms_to(world.member)) == 1, what="the DM")
    [dm] = sandbox.dms_to(world.member)
    leave = next(cid for cid in dm.custom_ids() if cid.startswith("rem:leave:"))
    editor = (await sandbox.slash(world.moderator, world.general, "setup start")).messages[0]
    await sandbox.click(world.moderator, editor, "setup:choose")  # the editor, with its form

    async with database_unavailable(bot_settings):
        plan = await sandbox.click(world.member, dm, leave, timeout=2)
        assert plan.modal is not None
        limits = await sandbox.click(world.moderator, editor, "setup:limits", timeout=2)
        assert limits.modal is not None
        crisis = await sandbox.slash(world.member, world.general, "crisis", timeout=2)
        assert "988" in crisis.text

    answered = await sandbox.submit_modal(world.member, plan, {"leave:when": "8am"})
    assert "time to leave" in answered.text


async def test_an_empty_cache_never_prefills_defaults(
    world: World, bot_settings: Settings, clock: FakeClock, running: Runtime
) -> None:
    settings = running.services.guild_settings
    await settings.set_limits(
        world.guild.id, world.moderator.id, timezone="Pacific",
        anonymous_delay_minutes="15", summary_threshold="7", retention_days="90",
    )  # fmt: skip
    editor = (await world.sandbox.slash(world.moderator, world.general, "setup start")).messages[0]
    await world.sandbox.click(world.moderator, editor, "setup:choose")  # the editor, with its form
    settings.forget(world.guild.id)  # as after a restart: nothing known in memory
    form = await world.sandbox.click(world.moderator, editor, "setup:limits")
    assert form.modal is not None
    values = [row["components"][0].get("value") for row in form.modal["components"]]
    assert values == [None, None, None, None, None]


async def test_a_long_database_lock_gets_a_kind_answer_and_changes_nothing(
    world: World, make_settings: Any, clock: FakeClock
) -> None:
    settings = make_settings(
        discord_token=world.sandbox.token, dev_guild_id=world.guild.id,
        discord_api_base=world.sandbox.api_base, discord_gateway_url=world.sandbox.gateway_url,
        sqlite_busy_timeout_ms=300, postgres_statement_timeout_ms=300,
    )  # fmt: skip
    async with start_bot(settings, clock) as runtime:
        async with database_unavailable(settings):
            result = await world.sandbox.slash(
                world.member,
                world.general,
                "remind add",
                what="Court",
                when="in 2 days",
                timeout=10,
            )
        assert result.response_type == 5  # deferred at once, answered when the wait ran out
        assert result.text.startswith("I'm having trouble saving things right now")
        assert "error id" not in result.text
        assert await runtime.services.reminders.list(world.member.id) == []
        again = await world.sandbox.slash(
            world.member, world.general, "remind add", what="Court", when="in 2 days"
        )
        assert again.text.startswith("Got it.")


@only_postgres
async def test_terminated_postgres_connections_are_replaced(running: Runtime, world: World) -> None:
    await world.sandbox.slash(
        world.member, world.general, "remind add", what="First", when="in 2 days"
    )
    admin = create_async_engine(TEST_DATABASE_URL)
    async with admin.begin() as connection:
        # Only this test's bot (its schema): other suites may share the server.
        killed = await connection.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND pid <> pg_backend_pid()"
        ), {"name": f"muster-{running.settings.database_schema}"})  # fmt: skip
    await admin.dispose()
    assert killed >= 1
    after = await world.sandbox.slash(
        world.member, world.general, "remind add", what="Second", when="in 3 days"
    )
    assert after.text.startswith("Got it.")
    assert [view.text for view in await running.services.reminders.list(world.member.id)] == [
        "First",
        "Second",
    ]
