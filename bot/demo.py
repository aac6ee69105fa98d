"""`python -m bot demo`: the real bot against the local sandbox, with a scripted walk-through.

Everything is throwaway: a temporary SQLite database, keys made in memory, a Discord
stand-in on loopback. The transcript shows what the channel shows, what each member
sees privately, and the DMs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources as package_files
from pathlib import Path

from bot.config import load_settings
from bot.keys import Keyring
from bot.logsetup import configure_logging
from bot.runtime import Runtime, open_runtime
from bot.sandbox import Channel, Guild, InteractionResult, Member, Message, Sandbox


@dataclass
class DemoWorld:
    sandbox: Sandbox
    runtime: Runtime
    guild: Guild
    general: Channel
    member: Member
    mentor: Member


Step = Callable[[DemoWorld], Awaitable[None]]


def say(text: str = "") -> None:
    print(text, flush=True)


_TIMESTAMP = re.compile(r"<t:(\d+):([A-Za-z])>")


def _readable_times(text: str) -> str:
    """Discord renders <t:...> in each reader's zone; the transcript shows UTC."""

    def render(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match[1]), UTC)
        return "[relative time]" if match[2] == "R" else f"{moment:%a %d %b %Y %H:%M} UTC"

    return _TIMESTAMP.sub(render, text)


def show_message(message: Message, prefix: str = "  | ") -> None:
    for line in _readable_times(message.text).splitlines() or [""]:
        say(textwrap.indent(line, prefix) if line else prefix.rstrip())
    for attachment in message.attachments:
        say(f"{prefix}[attachment: {attachment.filename}, {len(attachment.data)} bytes]")
    for custom_id in message.custom_ids():
        say(f"{prefix}[control: {custom_id}]")


def show_reply(who: Member, command: str, result: InteractionResult) -> None:
    say(f"\n> {who.name} runs {command}")
    for message in result.messages:
        where = f"only {who.name} sees this" if message.ephemeral else "posted in the channel"
        say(f"  ({where})")
        show_message(message)


def show_channel(world: DemoWorld, channel: Channel) -> None:
    messages = world.sandbox.channel_messages(channel)
    say(f"\n# #{channel.name} shows {len(messages)} message(s)")
    for message in messages:
        show_message(message)


def show_dms(world: DemoWorld, member: Member) -> None:
    messages = world.sandbox.dms_to(member)
    say(f"\n@ {member.name}'s DMs from Muster: {len(messages)} message(s)")
    for message in messages:
        show_message(message)


async def step_about_and_help(world: DemoWorld) -> None:
    say("\n== Getting to know Muster ==")
    show_reply(
        world.member, "/about", await world.sandbox.slash(world.member, world.general, "about")
    )
    show_reply(
        world.member, "/help", await world.sandbox.slash(world.member, world.general, "help")
    )
    show_channel(world, world.general)
    show_dms(world, world.member)


async def step_resources(world: DemoWorld) -> None:
    say("\n== Finding help fast ==")
    sandbox, member = world.sandbox, world.member
    found = await sandbox.slash(member, world.general, "resource find", query="homless")
    show_reply(member, "/resource find query:homless  (a typo)", found)
    show_reply(member, "/crisis", await sandbox.slash(member, world.general, "crisis"))
    coordinator = sandbox.owner_of(world.guild)
    feed = sandbox.make_attachment(
        "district-meetings.json",
        package_files.files("bot.data").joinpath("demo_meeting_feed.json").read_bytes(),
    )
    imported = await sandbox.slash(coordinator, world.general, "resource-admin import", feed=feed)
    show_reply(coordinator, "/resource-admin import feed:district-meetings.json", imported)
    meetings = await sandbox.slash(member, world.general, "resource meetings", day=2, online=True)
    show_reply(member, "/resource meetings day:Tuesday online:True", meetings)
    show_channel(world, world.general)


# Each capability adds its scenes here, in the order a new group would meet them.
STEPS: tuple[Step, ...] = (step_about_and_help, step_resources)


async def run_demo(*, show_logs: bool = True) -> int:
    configure_logging("INFO" if show_logs else "ERROR")
    logging.getLogger("bot.sandbox").setLevel(logging.ERROR)
    sandbox = Sandbox()
    await sandbox.start()
    say("== Muster demo: the real bot, talking to a local stand-in for Discord ==")
    say(f"Sandbox listening on {sandbox.base_url}; nothing here reaches the internet.")
    guild = await sandbox.create_guild("Riverside VTC cohort", owner_name="Dana (coordinator)")
    general = await sandbox.create_channel(guild, "general")
    member = await sandbox.create_member(guild, "Alex")
    mentor = await sandbox.create_member(guild, "Jordan (peer mentor)")
    with tempfile.TemporaryDirectory(prefix="muster-demo-") as folder:
        settings = load_settings(
            discord_token=sandbox.token,
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}",
            dev_guild_id=guild.id,
            discord_api_base=sandbox.api_base,
            discord_gateway_url=sandbox.gateway_url,
        )
        try:
            async with open_runtime(
                settings, Keyring.generate(), guild_ready_timeout=0.05
            ) as runtime:
                bot_task = asyncio.create_task(runtime.bot.start(sandbox.token))
                await asyncio.wait_for(runtime.bot.wait_until_ready(), timeout=20)
                commands = sandbox.guild_commands.get(guild.id, [])
                say(
                    f"Muster logged in to the sandbox and synced {len(commands)} commands "
                    f"to '{guild.name}': " + ", ".join(f"/{c['name']}" for c in commands)
                )
                world = DemoWorld(sandbox, runtime, guild, general, member, mentor)
                for step in STEPS:
                    await step(world)
                await runtime.bot.close()
                await bot_task
        finally:
            await sandbox.stop()
    if sandbox.violations:
        say("\nThe sandbox saw requests Discord would refuse:")
        for problem in sandbox.violations:
            say(f"  - {problem}")
        return 1
    say(
        "\nDemo finished: the bot kept to Discord's rules throughout. "
        "Set DISCORD_TOKEN to run Muster for real."
    )
    return 0
