"""Every app command serialises within Discord's limits, and no two share a name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from discord import app_commands

from bot.app import MusterBot, build_cogs
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.keys import Keyring
from bot.sandbox import limits
from bot.services import build_services


@pytest.fixture
async def offline_bot(make_settings: Callable[..., Settings]) -> AsyncIterator[MusterBot]:
    settings = make_settings()
    engine = create_engine(settings)
    services = build_services(create_session_factory(engine), Keyring.generate(), SystemClock())
    bot = MusterBot(settings=settings, services=services)
    for cog in build_cogs(bot):
        await bot.add_cog(cog)
    yield bot
    await bot.close()
    await engine.dispose()


def test_commands_fit_discords_limits(offline_bot: MusterBot) -> None:
    payloads = [command.to_dict(offline_bot.tree) for command in offline_bot.tree.get_commands()]
    assert payloads, "no commands registered"
    assert limits.check_commands(payloads, global_scope=True) == []


def test_command_names_are_unique(offline_bot: MusterBot) -> None:
    names = [command.qualified_name for command in offline_bot.tree.walk_commands()]
    assert len(names) == len(set(names))


def test_every_command_has_a_member_facing_description(offline_bot: MusterBot) -> None:
    for command in offline_bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            assert command.description, command.qualified_name
            assert command.description != "…", command.qualified_name
            assert len(command.description) <= 100


def test_the_limit_checker_catches_what_discord_refuses() -> None:
    bad = [
        {"name": "Bad Name", "description": "x", "type": 1},
        {"name": "ok", "description": "", "type": 1},
        {
            "name": "opts",
            "description": "x",
            "type": 1,
            "options": [
                {"name": "a", "description": "x", "type": 3},
                {"name": "b", "description": "x", "type": 3, "required": True},
            ],
        },
        {
            "name": "many",
            "description": "x",
            "type": 1,
            "options": [
                {
                    "name": "c",
                    "description": "x",
                    "type": 3,
                    "choices": [{"name": str(n), "value": str(n)} for n in range(26)],
                }
            ],
        },
    ]
    problems = " | ".join(limits.check_commands(bad, global_scope=True))
    assert "name 'Bad Name'" in problems
    assert "description must be 1 to 100" in problems
    assert "required option follows an optional one" in problems
    assert "26 choices" in problems


def test_every_command_says_where_it_installs_and_works(offline_bot: MusterBot) -> None:
    """What sync-commands publishes: each top-level command carries integration_types (0 a
    server install, 1 a user install) and contexts (0 servers, 1 Muster's DM, 2 other DMs and
    group DMs). A member's own tools reach every conversation; a group's stay in servers."""
    payloads = {c.name: c.to_dict(offline_bot.tree) for c in offline_bot.tree.get_commands()}
    anywhere = {"about", "help", "crisis", "privacy", "mydata", "checkin", "meds", "sobriety"}
    anywhere |= {"remind", "settings", "resource", "measures"}
    for name, payload in payloads.items():
        where = (payload["integration_types"], payload["contexts"])
        if name in anywhere:
            assert where == ([0, 1], [0, 1, 2]), name
        else:  # setup, mod, the admin commands, meetings
            assert where == ([0], [0]), name
            assert payload["dm_permission"] is False, name
    assert anywhere <= set(payloads)
    assert {"setup", "mod", "meeting", "meeting-admin", "resource-admin"} <= set(payloads)
