"""Check-in writes on SQLite: Muster's group-commit writer against one ORM session per
check-in on SQLAlchemy's default pool, the same workloads side by side.

    python bench/checkin_writes.py [--seconds 5] [--clients 200] [--json PATH]

Workloads: as fast as `--clients` members can submit (sustained throughput, and latency
from submit to durable commit), and a steady 100 check-ins a second (latency). Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Checkin
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins import CheckinDraft, CheckinService

Submit = Callable[[int], Awaitable[None]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def saturate(submit: Submit, clients: int, seconds: float) -> dict[str, float]:
    numbers = itertools.count(1)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await submit(next(numbers))
            except Exception:  # a failed write is counted, not fatal, for the comparison
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors,
    }


async def steady(submit: Submit, rate: float, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    tasks = []
    behind = 0.0

    async def one(number: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            await submit(number)
        except Exception:  # counted, as above
            errors += 1
            return
        latencies.append((time.perf_counter() - started) * 1000)

    start = time.perf_counter()
    for number in range(1, int(rate * seconds) + 1):
        # Start each submission at its scheduled moment (open loop), several per wake-up.
        wait = start + number / rate - time.perf_counter()
        if wait > 0.001:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(int(rate) * 10_000_000 + number)))
    behind = time.perf_counter() - start - seconds
    await asyncio.gather(*tasks)
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors,
        "achieved_per_second": len(latencies) / (seconds + max(behind, 0.0)),
    }


async def muster_path(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{folder / 'muster.db'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    clock = SystemClock()
    checkins = CheckinService(sessions, clock, Keyring.generate(), Scheduler(sessions, clock))

    async def submit(number: int) -> None:
        draft = CheckinDraft(
            user_id=number % 5000, guild_id=1, request_key=number, mood=3, sleep="7",
            cravings="none", sober="yes", note="a short note", share="private",
        )  # fmt: skip
        await checkins.submit(draft, None)

    result = {
        "saturated": await saturate(submit, args.clients, args.seconds),
        "steady_100": await steady(submit, 100, args.seconds),
        "steady_2000": await steady(submit, 2000, args.seconds),
    }
    await checkins.close()
    await engine.dispose()
    return result


async def naive_path(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{folder / 'naive.db'}"
    await migrate.upgrade(create_engine(load_settings(database_url=url)))
    engine = create_async_engine(url)  # SQLAlchemy's defaults: a pool of several connections
    sessions = async_sessionmaker(engine)
    keyring = Keyring.generate()
    from bot.services.crypto import encrypt  # only the naive path needs it

    async def submit(number: int) -> None:
        async with sessions.begin() as session:
            session.add(
                Checkin(
                    member_key=f"{number % 5000:064d}", guild_id=1, request_key=number, mood=3,
                    sleep_hours=7.0, sleep_quality=None, cravings="none", sober="yes",
                    note_encrypted=encrypt(keyring, "a short note", context=f"checkin:{number}"),
                    share="private", created_at=datetime.now(UTC),
                )
            )  # fmt: skip

    result = {
        "saturated": await saturate(submit, args.clients, args.seconds),
        "steady_100": await steady(submit, 100, args.seconds),
        "steady_2000": await steady(submit, 2000, args.seconds),
    }
    await engine.dispose()
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        return {
            "muster": await muster_path(Path(folder), args),
            "naive": await naive_path(Path(folder), args),
        }


def show(results: dict[str, Any], clients: int) -> None:
    for name, label in (("muster", "Muster (group commit)"), ("naive", "naive (session each)")):
        sat, calm, busy = (results[name][k] for k in ("saturated", "steady_100", "steady_2000"))
        print(f"{label}: at most {sat['per_second']:.0f} check-ins/s ({clients} members at once, "
              f"p99 {sat['p99_ms']:.1f} ms, {sat['errors']} errors); offered 2,000/s: p50 "
              f"{busy['p50_ms']:.1f} ms, p99 {busy['p99_ms']:.1f} ms, {busy['errors']} errors; "
              f"offered 100/s: p50 {calm['p50_ms']:.1f} ms, p99 {calm['p99_ms']:.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    show(results, args.clients)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
