"""DM fan-out against the sandbox: a burst of reminder DMs to members Muster has not written
to before, then, after a restart, a second burst to the same members.

    python bench/dm_fan_out.py [--members 1000] [--json PATH]

The first burst costs two requests per DM (open the DM channel, send): the naive figure,
and what every burst cost before DM channel ids were kept. The second, after a restart,
finds each member's DM channel id in the database: one request per DM. Every request goes
through the bot's own limiter (40/s by default); the sandbox counts Discord's 429s. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.db.engine import create_session_factory
from bot.db.models import Reminder
from bot.keys import Keyring
from bot.runtime import open_runtime
from bot.sandbox import Member, Sandbox
from bot.scheduling import Scheduler
from bot.services.crypto import encrypt

OPEN_DM = ("POST", "/users/@me/channels")


async def one_burst(
    sandbox: Sandbox, settings: Any, keyring: Keyring, members: list[Member], round_: int
) -> dict[str, float]:
    """Start the bot, book a reminder DM for every member a few seconds ahead, time them."""
    guild_id = next(iter(sandbox.guilds))
    sent_before = sum(1 for m in sandbox.messages.values() if m.guild_id is None)
    requests_before, opened_before = len(sandbox.requests), sandbox.requests.count(OPEN_DM)
    async with open_runtime(settings, keyring, guild_ready_timeout=0.05) as runtime:
        task = asyncio.create_task(runtime.bot.start(sandbox.token))
        await sandbox.wait_until_connected(timeout=30)
        await runtime.bot.wait_until_ready()
        due_at = (datetime.now(UTC) + timedelta(seconds=5)).replace(microsecond=0)
        sessions = create_session_factory(runtime.engine)
        async with sessions.begin() as session:
            for n, member in enumerate(members):
                reminder = Reminder(user_id=member.id, guild_id=guild_id, kind="other",
                                    text_encrypted=b"", event_at=due_at, timezone="UTC",
                                    lead_minutes=[0], status="active", created_at=datetime.now(UTC),
                                    interaction_id=round_ * 1_000_000 + n + 1)  # fmt: skip
                session.add(reminder)
                await session.flush()
                reminder.text_encrypted = encrypt(
                    keyring, "bench", context=f"reminder:{reminder.id}"
                )
                await Scheduler.add(session, source=f"reminder:{reminder.id}", kind="personal",
                                    due_at=due_at, payload={"lead": 0})  # fmt: skip
        await runtime.services.scheduler.scheduled(due_at)
        await sandbox.wait_for(
            lambda: sum(1 for m in sandbox.messages.values() if m.guild_id is None)
            >= sent_before + len(members),
            timeout=600, what="the burst",
        )  # fmt: skip
        await runtime.bot.close()
        await task
    arrived = sorted(
        m.received_at - due_at.timestamp()
        for m in sandbox.messages.values()
        if m.guild_id is None and m.received_at >= due_at.timestamp() - 1
    )
    requests = len(sandbox.requests) - requests_before  # log-in and gateway requests included
    return {
        "dms": len(members),
        "last_s": arrived[-1],
        "per_second": len(members) / max(arrived[-1], 1e-9),
        "opened_dm_channels": sandbox.requests.count(OPEN_DM) - opened_before,
        "requests_per_dm": requests / len(members),
    }


async def run(count: int) -> dict[str, Any]:
    sandbox = Sandbox(spec=None)  # request validation is measured elsewhere; keep the path lean
    await sandbox.start()
    guild = await sandbox.create_guild("Bench")
    members = [await sandbox.create_member(guild, f"m{n}") for n in range(count)]
    keyring = Keyring.generate()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'dm.db'}",
            discord_token=sandbox.token, discord_api_base=sandbox.api_base,
            discord_gateway_url=sandbox.gateway_url, log_level="WARNING",
        )  # fmt: skip
        first = await one_burst(sandbox, settings, keyring, members, 1)
        after_restart = await one_burst(sandbox, settings, keyring, members, 2)
    await sandbox.stop()
    return {"first": first, "after_restart": after_restart, "global_429s": sandbox.global_429s}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(run(args.members))
    for label in ("first", "after_restart"):
        f = results[label]
        print(f"{label.replace('_', ' ')}: {f['dms']} DMs, the last after {f['last_s']:.1f} s "
              f"({f['per_second']:.1f}/s), {f['requests_per_dm']:.2f} requests per DM, "
              f"{f['opened_dm_channels']} DM channels opened")  # fmt: skip
    print(f"429s from the sandbox: {results['global_429s']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
