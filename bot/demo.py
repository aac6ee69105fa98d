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
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources as package_files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.config import load_settings
from bot.demo_page import (
    DemoPage,
    Names,
    control_labels,
    message_time,
    pdf_text,
    plain_text,
)
from bot.keys import Keyring
from bot.logsetup import configure_logging
from bot.runtime import Runtime, open_runtime
from bot.sandbox import Channel, Guild, InteractionResult, Member, Message, Role, Sandbox
from bot.sandbox import state as sandbox_state
from bot.scheduling.alarm import ClockAlarm


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


DEMO_ZONE = "America/New_York"  # the demo group's zone, set in /setup below


@dataclass
class Transcript:
    """How the demo shows what happened: times in one zone, and a web page when asked."""

    sandbox: Sandbox
    zone: ZoneInfo
    page: DemoPage | None = None

    def names(self) -> Names:
        return Names.from_sandbox(self.sandbox)


_transcript: ContextVar[Transcript | None] = ContextVar("demo_transcript", default=None)
_SCENE = re.compile(r"\n*== (.+) ==")
_CLOCK = re.compile(r"\n*\.\.\. (the clock jumps ahead to .+) \.\.\.")


def _page() -> DemoPage | None:
    """The web page being recorded, if `--html` asked for one."""
    current = _transcript.get()
    return current.page if current is not None else None


def say(text: str = "") -> None:
    """Print a line; on the page, '== Title ==' starts a scene and anything else is a note."""
    print(text, flush=True)
    page = _page()
    if page is None or not text.strip():
        return
    if scene := _SCENE.fullmatch(text):
        page.scene(scene[1])
    elif jump := _CLOCK.fullmatch(text):
        page.note(jump[1][0].upper() + jump[1][1:] + ".")
    else:
        page.note(text.strip())


def _zone() -> ZoneInfo:
    current = _transcript.get()
    return current.zone if current is not None else ZoneInfo(DEMO_ZONE)


def _readable(text: str, message: Message) -> str:
    """Mentions as names and <t:...> times in the chosen zone, as a reader there sees them."""
    current = _transcript.get()
    names = current.names() if current is not None else Names()
    return plain_text(text, names, _zone(), message_time(message.id))


def show_message(message: Message, prefix: str = "  | ") -> None:
    for line in _readable(message.text, message).splitlines() or [""]:
        print(textwrap.indent(line, prefix) if line else prefix.rstrip(), flush=True)
    for attachment in message.attachments:
        size = len(attachment.data)
        print(f"{prefix}[attachment: {attachment.filename}, {size} bytes]", flush=True)
    for row in control_labels(message):
        print(f"{prefix}{row}", flush=True)


def world_channels() -> dict[int, Channel]:
    current = _transcript.get()
    return current.sandbox.channels if current is not None else {}


def show_reply(who: Member, command: str, result: InteractionResult) -> None:
    print(f"\n> {who.name} runs {command}", flush=True)
    # A click answered by updating the message it was on shows that message, as it now reads.
    messages = result.messages or ([result.updated_message] if result.updated_message else [])
    for message in messages:
        where = f"only {who.name} sees this" if message.ephemeral else "posted in the channel"
        print(f"  ({where})", flush=True)
        show_message(message)
    if (page := _page()) is not None:
        channel = world_channels().get(result.channel_id)
        where = "Direct messages" if channel is None or channel.guild_id is None else channel.name
        page.reply(who.name, command, where, messages)


def show_channel(world: DemoWorld, channel: Channel) -> None:
    messages = world.sandbox.channel_messages(channel)
    print(f"\n# #{channel.name} shows {len(messages)} message(s)", flush=True)
    for message in messages:
        show_message(message)
    if (page := _page()) is not None:
        page.channel(channel.name, messages)


def show_dms(world: DemoWorld, member: Member) -> None:
    messages = world.sandbox.dms_to(member)
    print(f"\n@ {member.name}'s DMs from Muster: {len(messages)} message(s)", flush=True)
    for message in messages:
        show_message(message)
    if (page := _page()) is not None:
        page.dms(member.name, messages)


def show_dm(world: DemoWorld, member: Member, message: Message) -> None:
    """One DM as it arrives, without the ones before it."""
    print(f"\n@ {member.name} gets a DM from Muster", flush=True)
    show_message(message)
    if (page := _page()) is not None:
        page.dms(member.name, [message])


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
        say(f"\n... the clock jumps ahead to {due.astimezone(_zone()):%a %d %b %-I:%M %p %Z} ...")
        await world.clock.advance(max(due - world.clock.now(), timedelta(0)))
        async with asyncio.timeout(10):
            await dispatcher.ran_since(due)
    if not until():
        raise RuntimeError("the demo's next scene never arrived")


async def step_setup_and_meeting(world: DemoWorld) -> None:
    say("\n== A moderator sets up, and schedules the weekly meeting ==")
    sandbox, coordinator = world.sandbox, world.sandbox.owner_of(world.guild)
    started = await sandbox.slash(coordinator, world.general, "setup start")
    show_reply(coordinator, "/setup start", started)
    [plan] = started.messages
    await sandbox.click(coordinator, plan, "setup:zone", values=["America/New_York"])
    done = await sandbox.click(coordinator, plan, "setup:create")
    # The plan message, as it now reads: what was set up, and the checklist of what is left.
    show_reply(coordinator, "/setup start: Eastern time, then Create and save", done)
    requests = await sandbox.slash(coordinator, world.general, "setup mentor-requests", turn="on")
    show_reply(coordinator, "/setup mentor-requests turn:on (#mentors is private)", requests)
    local = world.clock.now().astimezone(ZoneInfo(DEMO_ZONE)) + timedelta(days=3)
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
    users, roles, everyone = reminder.pings()
    if not users and len(roles) == 1 and not everyone:
        say("(It pinged only @Cohort, not @everyone.)")
    else:
        say(f"(It pinged {len(users)} member(s), {len(roles)} role(s), everyone: {everyone}.)")


async def step_court_date(world: DemoWorld) -> None:
    say("\n== A member's court date, with a plan to get there ==")
    sandbox, member = world.sandbox, world.member
    await sandbox.slash(member, world.general, "settings timezone", zone="America/New_York")
    local = world.clock.now().astimezone(ZoneInfo(DEMO_ZONE)) + timedelta(days=5)
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
    say("\n== Check-ins: privately, by name, anonymously; a milestone ==")
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

    counter = await sandbox.slash(member, world.general, "sobriety set", milestones="anonymous")
    show_reply(member, "/sobriety set milestones:Celebrate in the group anonymously", counter)
    await fast_forward(
        world, lambda: any("reached" in m.text for m in sandbox.channel_messages(world.checkins))
    )
    show_channel(world, world.checkins)


async def step_taper(world: DemoWorld) -> None:
    say("\n== A taper plan as the prescriber set it: a reminder on the day, a symptom check ==")
    sandbox, member = world.sandbox, world.member
    logged = await sandbox.slash(member, world.general, "meds log", medication="Sertraline",
                                 dose="50 mg (down from 100)", date="yesterday")  # fmt: skip
    show_reply(member, "/meds log medication:Sertraline dose:50 mg date:yesterday", logged)
    today = world.clock.now().astimezone(ZoneInfo(DEMO_ZONE)).date()
    first, second = today + timedelta(days=1), today + timedelta(days=15)
    form = await sandbox.slash(member, world.general, "meds plan add")
    steps = f"{first:%Y-%m-%d} 25 mg; with breakfast\n{second:%Y-%m-%d} 12.5 mg"
    typed = " and ".join(f"“{line}”" for line in steps.splitlines())
    say(f"\n> {member.name} opens the form and types the prescriber's two steps: {typed}")
    added = await sandbox.submit_modal(member, form, {"taper:steps": steps})
    show_reply(member, "/meds plan add (the form: one step a line)", added)

    def reminded() -> bool:
        return any("Today your plan says" in m.text for m in sandbox.dms_to(member))

    await fast_forward(world, reminded)
    show_dm(world, member, sandbox.dms_to(member)[-1])
    answer = await sandbox.slash(member, world.general, "checkin now", mood=3, sleep="5",
                                 cravings="mild", sober="yes", share="private")  # fmt: skip
    show_reply(member, "/checkin now mood:3 sleep:5 cravings:mild sober:yes share:Only me", answer)
    form = await sandbox.click(member, answer.messages[-1], "taper:symptoms")
    say(f"\n> {member.name} ticks Insomnia and Imbalance, and picks 1 · mild")
    checked = await sandbox.submit_modal(
        member, form, {"taper:groups": ["insomnia", "imbalance"], "taper:severity": "1"}
    )
    show_reply(member, "the button 'Symptom check (optional)', then the form", checked)


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
    show_dm(world, member, prompt)
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


async def step_packet(world: DemoWorld) -> None:
    say("\n== The visit packet: one page for the prescriber, with the member's own questions ==")
    sandbox, member = world.sandbox, world.member
    question = "Is the dizziness from the step down?"
    asked = await sandbox.slash(member, world.general, "checkin questions add", question=question)
    show_reply(member, f"/checkin questions add question:{question}", asked)
    # The chart and the PDF are drawn in a worker process; on a busy machine that is slow.
    report = await sandbox.slash(member, world.general, "checkin report", days=14, timeout=30)
    show_reply(member, "/checkin report days:14", report)
    sent = sandbox.dms_to(member)[-1]
    show_dm(world, member, sent)
    packet = next(a for a in sent.attachments if a.filename.endswith(".pdf"))
    print(f"  (the first page of {packet.filename} reads:)", flush=True)
    for line in pdf_text(packet.data).splitlines():
        if line.strip():
            print(f"  : {line.strip()}", flush=True)


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
    step_taper,
    step_measures,
    step_packet,
    step_crisis,
    step_privacy_and_audit,
)


async def run_demo(
    *, show_logs: bool = True, html: Path | None = None, zone: ZoneInfo | None = None
) -> int:
    """Walk through Muster; with `html`, also write the walk-through as a web page there."""
    configure_logging("INFO" if show_logs else "ERROR")
    logging.getLogger("bot.sandbox").setLevel(logging.ERROR)
    sandbox = Sandbox()
    await sandbox.start()
    page = DemoPage("Riverside VTC cohort") if html is not None else None
    transcript = Transcript(sandbox, zone or ZoneInfo(DEMO_ZONE), page)
    token = _transcript.set(transcript)
    try:
        code = await _walk_through(sandbox)
    finally:
        _transcript.reset(token)
    if page is not None and html is not None:
        text = page.render(transcript.names(), transcript.zone)
        await asyncio.to_thread(_write, html, text)
        print(f"Wrote the demo as a web page to {html}; open it in any browser.", flush=True)
    return code


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def _walk_through(sandbox: Sandbox) -> int:
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
    # Message ids tell the time on the same clock, as the page shows when each was sent.
    real_seconds = sandbox_state.clock_seconds
    sandbox_state.clock_seconds = lambda: clock.now().timestamp()
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
            sandbox_state.clock_seconds = real_seconds
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
