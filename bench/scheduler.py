"""Scheduler benchmarks: start-up with 100,000 pending deliveries, memory per pending delivery,
and how late deliveries are when 1,000 fall due in the same second against the sandbox.

    python bench/scheduler.py [--pending 100000] [--burst 1000]

Beside each figure, the naive way: one APScheduler job per delivery, held in memory.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import insert

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Occurrence, Reminder
from bot.keys import Keyring
from bot.runtime import open_runtime
from bot.sandbox import Sandbox
from bot.scheduling import APSchedulerAlarm, Delivery, Dispatcher, Scheduler
from bot.services.crypto import encrypt


async def rehydration(pending: int, folder: Path) -> dict[str, float]:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{folder / 'rehydrate.db'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    rows = [
        {"source": f"reminder:{n}", "kind": "personal", "due_at": now + timedelta(minutes=10 + n),
         "available_at": now + timedelta(minutes=10 + n), "state": "pending", "attempts": 0, "payload": {}}
        for n in range(pending)
    ]  # fmt: skip
    async with sessions.begin() as session:
        await session.execute(insert(Occurrence), rows)

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    started = time.perf_counter()
    dispatcher = Dispatcher(Scheduler(sessions, SystemClock()), SystemClock(), APSchedulerAlarm())
    await dispatcher.start()
    ready_ms = (time.perf_counter() - started) * 1000
    held = sum(
        stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename")
    )
    await dispatcher.stop()

    naive = AsyncIOScheduler(timezone="UTC")
    naive.start()
    before = tracemalloc.take_snapshot()
    started = time.perf_counter()

    async def nothing() -> None:
        return None

    for row in rows:
        naive.add_job(nothing, "date", run_date=row["due_at"], id=row["source"])
    naive_ms = (time.perf_counter() - started) * 1000
    naive_held = sum(
        stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename")
    )
    naive.shutdown(wait=False)
    tracemalloc.stop()
    await engine.dispose()
    return {
        "ready_ms": ready_ms,
        "bytes_per_pending": held / pending,
        "naive_ready_ms": naive_ms,
        "naive_bytes_per_pending": naive_held / pending,
    }


async def handoff(count: int, folder: Path) -> dict[str, float]:
    """1,000 deliveries due in the same second, handed to a sender that returns at once:
    how long after the ring each one reaches it."""
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{folder / 'handoff.db'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    rows = [
        {"source": f"bench:{n}", "kind": "bench", "due_at": now, "available_at": now,
         "state": "pending", "attempts": 0, "payload": {}}
        for n in range(count)
    ]  # fmt: skip
    async with sessions.begin() as session:
        await session.execute(insert(Occurrence), rows)
    handed: list[float] = []

    class Sender:
        async def deliver(self, due: object, when: datetime) -> Delivery:
            handed.append(time.perf_counter())
            return Delivery("sent")

    scheduler = Scheduler(sessions, SystemClock())
    scheduler.register("bench", Sender())
    rang = time.perf_counter()
    await scheduler.run_due()
    await engine.dispose()
    waits = sorted((moment - rang) * 1000 for moment in handed)
    return {
        "handoff_p50_ms": statistics.median(waits),
        "handoff_p99_ms": waits[int(0.99 * (len(waits) - 1))],
        "handed": len(waits),
    }


async def burst(count: int, folder: Path) -> dict[str, float]:
    sandbox = Sandbox(spec=None)  # request validation is measured elsewhere; keep the path lean
    await sandbox.start()
    guild = await sandbox.create_guild("Bench")
    members = [await sandbox.create_member(guild, f"m{n}") for n in range(count)]
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'burst.db'}", discord_token=sandbox.token,
        discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
    )  # fmt: skip
    keyring = Keyring.generate()
    async with open_runtime(settings, keyring, guild_ready_timeout=0.05) as runtime:
        task = asyncio.create_task(runtime.bot.start(sandbox.token))
        await sandbox.wait_until_connected(timeout=30)
        await runtime.bot.wait_until_ready()
        due_at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
        sessions = create_session_factory(runtime.engine)
        async with sessions.begin() as session:
            for n, member in enumerate(members):
                reminder = Reminder(user_id=member.id, guild_id=guild.id, kind="other", text_encrypted=b"",
                                    event_at=due_at, timezone="UTC", lead_minutes=[0], status="active",
                                    created_at=datetime.now(UTC), interaction_id=n + 1)  # fmt: skip
                session.add(reminder)
                await session.flush()
                reminder.text_encrypted = encrypt(
                    keyring, "bench", context=f"reminder:{reminder.id}"
                )
                await Scheduler.add(session, source=f"reminder:{reminder.id}", kind="personal",
                                    due_at=due_at, payload={"lead": 0})  # fmt: skip
        await runtime.services.scheduler.scheduled(due_at)
        await sandbox.wait_for(
            lambda: sum(1 for m in sandbox.messages.values() if m.guild_id is None) >= count,
            timeout=300, what="the burst",
        )  # fmt: skip
        await runtime.bot.close()
        await task
    await sandbox.stop()
    late = sorted(
        m.received_at - due_at.timestamp() for m in sandbox.messages.values() if m.guild_id is None
    )
    return {
        "lateness_p50_s": statistics.median(late),
        "lateness_p99_s": late[min(len(late) - 1, int(0.99 * len(late)))],
        "last_s": late[-1],
        "per_second": count / max(late[-1] - late[0], 1e-9),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        start = await rehydration(args.pending, Path(folder))
        print(f"Start-up with {args.pending} pending deliveries (SQLite):")
        print(
            f"  ready in {start['ready_ms']:.1f} ms, {start['bytes_per_pending']:.2f} bytes held per pending delivery"
        )
        print(f"  naive, one APScheduler job each: {start['naive_ready_ms']:.0f} ms, "
              f"{start['naive_bytes_per_pending']:.0f} bytes per pending delivery")  # fmt: skip
        handed = await handoff(args.burst, Path(folder))
        print(f"{args.burst} deliveries due in the same second, handed to an instant sender: "
              f"p50 {handed['handoff_p50_ms']:.0f} ms, p99 {handed['handoff_p99_ms']:.0f} ms "
              f"after the ring ({handed['handed']:.0f} handed)")  # fmt: skip
        result = await burst(args.burst, Path(folder))
        print(f"{args.burst} reminders due in the same second, delivered by DM to the sandbox:")
        print(f"  lateness p50 {result['lateness_p50_s']:.2f} s, p99 {result['lateness_p99_s']:.2f} s, "
              f"last {result['last_s']:.2f} s, {result['per_second']:.0f} DMs/s")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
