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
from datetime import UTC, datetime, timedelta
from importlib import resources as package_files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.config import load_settings
from bot.keys import Keyring
from bot.logsetup import configure_logging
from bot.runtime import Runtime, open_runtime
from bot.sandbox import Channel, Guild, InteractionResult, Member, Message, Role, Sandbox
from bot.scheduling import ClockAlarm


@dataclass
class DemoWorld:
    sandbox: Sandbox
    runtime: Runtime
    clock: FakeClock
    guild: Guild
    general: Channel
    meetings: Channel
    checkins: Channel
    mentors: Channel
    cohort: Role
    peer_mentors: Role
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
    imported = await sandbox.slash(coordinator, world.general, "resource-admin import", file=feed)
    show_reply(coordinator, "/resource-admin import file:district-meetings.json", imported)
    meetings = await sandbox.slash(member, world.general, "resource meetings", day=2, online=True)
    show_reply(member, "/resource meetings day:Tuesday online:True", meetings)
    show_channel(world, world.general)


async def fast_forward(world: DemoWorld, until: Callable[[], bool]) -> None:
    """Jump the demo's clock from one scheduled delivery to the next until `until` holds."""
    dispatcher = world.runtime.bot.dispatcher
    for _ in range(20):
        if until():
            return
        due = await world.runtime.services.scheduler.next_due()
        if due is None or dispatcher is None:
            break
        say(f"\n... the clock jumps ahead to {due:%a %d %b %H:%M} UTC ...")
        await world.clock.advance(max(due - world.clock.now(), timedelta(0)))
        async with asyncio.timeout(10):
            await dispatcher.ran_since(due)
    if not until():
        raise RuntimeError("the demo's next scene never arrived")


async def step_setup_and_meeting(world: DemoWorld) -> None:
    say("\n== A moderator sets up, and schedules the weekly meeting ==")
    sandbox, coordinator = world.sandbox, world.sandbox.owner_of(world.guild)
    started = await sandbox.slash(coordinator, world.general, "setup start")
    [editor] = started.messages
    await sandbox.click(coordinator, editor, "setup:meetings_channel", values=[world.meetings])
    await sandbox.click(coordinator, editor, "setup:checkin_channel", values=[world.checkins])
    await sandbox.click(coordinator, editor, "setup:mentors_channel", values=[world.mentors])
    form = await sandbox.click(coordinator, editor, "setup:limits")
    limits = {"setup:timezone": "Eastern", "setup:delay": "5", "setup:threshold": "5",
              "setup:retention": "180"}  # fmt: skip
    await sandbox.submit_modal(coordinator, form, limits)
    roles = await sandbox.click(coordinator, editor, "setup:to_roles")
    await sandbox.click(coordinator, editor, "setup:mentor_role", values=[world.peer_mentors])
    show_reply(
        coordinator,
        "/setup start, then picks #meetings, #check-ins, #mentors, the Eastern time zone "
        "and the Peer mentor role",
        roles,
    )
    requests = await sandbox.slash(coordinator, world.general, "setup mentor-requests", turn="on")
    show_reply(coordinator, "/setup mentor-requests turn:on (#mentors is private)", requests)
    local = world.clock.now().astimezone(ZoneInfo("America/New_York")) + timedelta(days=3)
    created = await sandbox.slash(
        coordinator, world.general, "meeting-admin create", title="Weekly check-in",
        starts=f"{local:%B %-d} 7pm", repeat="weekly", place="Vet Center, room 2",
        role=world.cohort,
    )  # fmt: skip
    show_reply(coordinator, "/meeting-admin create (weekly, pinging @Cohort)", created)
    await fast_forward(world, lambda: bool(sandbox.channel_messages(world.meetings)))
    [reminder] = sandbox.channel_messages(world.meetings)
    going = next(cid for cid in reminder.custom_ids() if cid.startswith("mtg:going:"))
    for who in (world.member, world.mentor):
        await sandbox.click(who, reminder, going)
    say(f"\n{world.member.name} and {world.mentor.name} press Going.")
    show_channel(world, world.meetings)
    pinged = reminder.pings()
    say(
        f"(It pinged the @Cohort role only: {len(pinged[0])} users, {len(pinged[1])} role, "
        f"everyone: {pinged[2]}.)"
    )


async def step_court_date(world: DemoWorld) -> None:
    say("\n== A member's court date, with a plan to get there ==")
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "settings timezone", zone="America/New_York")
    local = world.clock.now().astimezone(ZoneInfo("America/New_York")) + timedelta(days=5)
    added = await sandbox.slash(member, world.general, "remind add", what="Court hearing, room 4B",
                                when=f"{local:%B %-d} 9am", kind="court")  # fmt: skip
    show_reply(member, "/remind add kind:Court date", added)
    # Three days before, then the day before (with the plan prompt).
    await fast_forward(world, lambda: len(sandbox.dms_to(member)) >= 2)
    day_before = sandbox.dms_to(member)[-1]
    leave = next(cid for cid in day_before.custom_ids() if cid.startswith("rem:leave:"))
    form = await sandbox.click(member, day_before, leave)
    planned = await sandbox.submit_modal(
        member, form, {"leave:when": "8:15am", "leave:plan": "Bus 12 from Main St"}
    )
    show_dms(world, member)
    show_reply(member, "Set a time-to-leave reminder: 8:15am, Bus 12 from Main St", planned)


async def step_checkins(world: DemoWorld) -> None:
    say("\n== Check-ins: privately, by name, anonymously; a crisis note; a milestone ==")
    sandbox, member, mentor = world.sandbox, world.member, world.mentor
    usual: dict[str, Any] = {"sleep": "6.5", "cravings": "mild", "sober": "yes"}
    private = await sandbox.slash(member, world.general, "checkin now", mood=3, share="private",
                                  **usual)  # fmt: skip
    show_reply(member, "/checkin now mood:3 sleep:6.5 cravings:mild sober:yes share:Only me",
               private)  # fmt: skip
    named = await sandbox.slash(mentor, world.general, "checkin now", mood=4, share="named",
                                sleep="8", cravings="none", sober="yes")  # fmt: skip
    show_reply(mentor, "/checkin now ... share:The group, with my name", named)
    await world.clock.advance(timedelta(minutes=15))  # shared posts are spaced out
    form = await sandbox.slash(member, world.general, "checkin now", mood=2, share="anonymous",
                               add_note=True, **usual)  # fmt: skip
    anonymous = await sandbox.submit_modal(
        member, form, {"checkin:note": "Hard week with the divorce papers. Still sober."}
    )
    show_reply(member, "/checkin now ... share:anonymously, with a note", anonymous)
    await fast_forward(world, lambda: len(sandbox.channel_messages(world.checkins)) >= 2)
    show_channel(world, world.checkins)

    logged = await sandbox.slash(member, world.general, "meds log", medication="Sertraline",
                                 dose="50 mg (down from 100)", date="yesterday")  # fmt: skip
    show_reply(member, "/meds log medication:Sertraline dose:50 mg date:yesterday", logged)
    counter = await sandbox.slash(member, world.general, "sobriety set", milestones="anonymous")
    show_reply(member, "/sobriety set milestones:Celebrate in the group anonymously", counter)
    await fast_forward(
        world, lambda: any("reached" in m.text for m in sandbox.channel_messages(world.checkins))
    )
    show_channel(world, world.checkins)
    report = await sandbox.slash(member, world.general, "checkin report")
    show_reply(member, "/checkin report", report)
    show_dms(world, member)


async def step_measures(world: DemoWorld) -> None:
    say("\n== An optional questionnaire: PHQ-8, prompted by DM, a score and not a diagnosis ==")
    sandbox, member = world.sandbox, world.member
    shown = await sandbox.slash(member, world.general, "measures")
    show_reply(member, "/measures", shown)
    turned_on = await sandbox.click(member, shown.messages[0], "measures:on:phq8")
    show_reply(member, "Turn PHQ-8 on", turned_on)
    before = len(sandbox.dms_to(member))
    await fast_forward(world, lambda: len(sandbox.dms_to(member)) > before)
    prompt = sandbox.dms_to(member)[-1]
    show_message(prompt)
    form = await sandbox.click(member, prompt, "measures:start:phq8")
    assert form.modal is not None  # noqa: S101  # the demo's own check of its script
    say(f"\n> {member.name} fills in the form {form.modal['title']!r}")
    answers = dict.fromkeys(
        (row["component"]["custom_id"] for row in form.modal["components"]), "1"
    )
    page = await sandbox.submit_modal(member, form, answers)
    show_reply(member, "(page 1 of 2, 'Several days' throughout)", page)
    next_id = next(c for c in page.messages[-1].custom_ids() if c.startswith("measures:next:"))
    form = await sandbox.click(member, page.messages[-1], next_id)
    assert form.modal is not None  # noqa: S101  # the demo's own check of its script
    answers = dict.fromkeys(
        (row["component"]["custom_id"] for row in form.modal["components"]), "0"
    )
    done = await sandbox.submit_modal(member, form, answers)
    show_reply(member, "(page 2 of 2, 'Not at all' throughout)", done)


async def step_privacy_and_audit(world: DemoWorld) -> None:
    say("\n== A member takes their data, then erases it; the moderators' audit log ==")
    sandbox, member = world.sandbox, world.member
    show_reply(member, "/privacy", await sandbox.slash(member, world.general, "privacy"))
    exported = await sandbox.slash(member, world.general, "mydata export")
    show_reply(member, "/mydata export", exported)
    files = sandbox.dms_to(member)[-1].attachments
    say(
        "  (the DM carries "
        + " and ".join(f"{a.filename}, {len(a.data)} bytes" for a in files)
        + ")"
    )
    asked = await sandbox.slash(member, world.general, "mydata delete")
    await sandbox.click(member, asked.messages[0], "mydata:confirm")
    show_reply(member, "/mydata delete, then presses Yes", asked)
    coordinator = sandbox.owner_of(world.guild)
    show_reply(
        coordinator, "/mod audit", await sandbox.slash(coordinator, world.general, "mod audit")
    )


async def step_crisis(world: DemoWorld) -> None:
    say("\n== A crisis note is held back, never broadcast; a mentor claims the request ==")
    sandbox, mentor = world.sandbox, world.mentor
    riley = await sandbox.create_member(world.guild, "Riley", roles=[world.cohort])
    form = await sandbox.slash(
        riley, world.general, "checkin now", mood=1, share="named", add_note=True,
        sleep="poor", cravings="strong", sober="no",
    )  # fmt: skip
    crisis = await sandbox.submit_modal(
        riley, form, {"checkin:note": "I don't see the point. I want to die."}
    )
    await sandbox.wait_for(lambda: len(crisis.messages) >= 2, what="the choice")
    show_reply(riley, "/checkin now share:with my name, and a note with crisis words", crisis)
    say("\nNothing has been posted yet; #check-ins still shows only the earlier posts.")
    choice = crisis.messages[1]
    bare = next(cid for cid in choice.custom_ids() if cid.endswith(":bare"))
    shared = await sandbox.click(riley, choice, bare)
    show_reply(riley, "the button 'Share without my note'", shared)
    show_channel(world, world.checkins)

    who = await sandbox.click(riley, crisis.messages[0], "crisis:mentor")
    show_reply(riley, "the button 'Ask a peer mentor to reach out'", who)
    sent = await sandbox.click(riley, who.messages[0], "crisis:mentor:send")
    show_reply(riley, "the button 'Yes, ask a mentor'; only now does their name go out", sent)
    request = sandbox.channel_messages(world.mentors)[-1]
    [claim] = request.custom_ids()
    claimed = await sandbox.click(mentor, request, claim)
    show_reply(mentor, "the button 'I'm reaching out' on the request", claimed)
    show_channel(world, world.mentors)
    show_dms(world, riley)


# Each capability adds its scenes here, in the order a new group would meet them.
STEPS: tuple[Step, ...] = (
    step_about_and_help,
    step_resources,
    step_setup_and_meeting,
    step_court_date,
    step_checkins,
    step_measures,
    step_crisis,
    step_privacy_and_audit,
)


async def run_demo(*, show_logs: bool = True) -> int:
    configure_logging("INFO" if show_logs else "ERROR")
    logging.getLogger("bot.sandbox").setLevel(logging.ERROR)
    sandbox = Sandbox()
    await sandbox.start()
    say("== Muster demo: the real bot, talking to a local stand-in for Discord ==")
    say(f"Sandbox listening on {sandbox.base_url}; nothing here reaches the internet.")
    guild = await sandbox.create_guild("Riverside VTC cohort", owner_name="Dana (coordinator)")
    general = await sandbox.create_channel(guild, "general")
    meetings = await sandbox.create_channel(guild, "meetings")
    checkins = await sandbox.create_channel(guild, "check-ins")
    cohort = await sandbox.create_role(guild, "Cohort")
    peer_mentors = await sandbox.create_role(guild, "Peer mentor")
    # Only peer mentors (and Muster) can read #mentors: named requests are safe there.
    mentors = await sandbox.create_channel(guild, "mentors", private_to=[peer_mentors])
    member = await sandbox.create_member(guild, "Alex", roles=[cohort])
    mentor = await sandbox.create_member(
        guild, "Jordan (peer mentor)", roles=[cohort, peer_mentors]
    )
    # An accelerated clock: the walk-through jumps to each reminder instead of waiting days.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
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
                settings,
                Keyring.generate(),
                clock=clock,
                alarm=ClockAlarm(clock),
                guild_ready_timeout=0.05,
            ) as runtime:
                bot_task = asyncio.create_task(runtime.bot.start(sandbox.token))
                await asyncio.wait_for(runtime.bot.wait_until_ready(), timeout=20)
                commands = sandbox.guild_commands.get(guild.id, [])
                say(
                    f"Muster logged in to the sandbox and synced {len(commands)} commands "
                    f"to '{guild.name}': " + ", ".join(f"/{c['name']}" for c in commands)
                )
                world = DemoWorld(
                    sandbox,
                    runtime,
                    clock,
                    guild,
                    general,
                    meetings,
                    checkins,
                    mentors,
                    cohort,
                    peer_mentors,
                    member,
                    mentor,
                )
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
