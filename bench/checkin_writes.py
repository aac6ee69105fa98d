"""Check-in writes on SQLite: Muster's check-in service (group-commit writer, read
connection, write-through choice cache) against the naive way, one session per check-in
doing the same work, on the same engine settings. Every share path is measured.

    python bench/checkin_writes.py [--seconds 5] [--clients 200] [--paths left_out,private]

How it is measured, so that it cannot flatter:
- Open loop: check-in i is due at start + i/rate whatever happened before it; its latency
  runs from that scheduled moment to its durable commit (so a generator that falls behind
  shows up as latency), and the achieved rate counts until the last one is committed (the
  drain is included, so it can fall below the rate offered).
- Paths: `private`, `anonymous`, `named`, and `left_out` (the member's last choice, read
  from the database once per member, then from memory). Before each path every member has
  checked in once, with a mix of last choices (70% private, 20% anonymous, 10% named);
  the choice cache then starts empty, as after a restart.
- Both sides use Muster's engine: one SQLite connection for writes, WAL with
  synchronous=NORMAL, BEGIN IMMEDIATE. "Durable" here means it survives the process
  crashing; with NORMAL, a power loss may lose the last commits (FULL would not).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import (
    SQLITE_SYNCHRONOUS,
    create_engine,
    create_read_engine,
    create_session_factory,
)
from bot.db.models import AnonymousBlock, AnonymousPost, Checkin
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins import (
    CheckinDraft,
    CheckinService,
    Content,
    Share,
    StoredCheckin,
    book_release,
    storage_week,
    week_label,
)
from bot.services.checkins.ids import fresh_ids
from bot.services.checkins.service import latest_asks
from bot.services.guild_settings import GuildConfig
from bot.services.ownership import Owners, post_context, request_digest

MEMBERS = 5000
GUILD = 1
CONFIG = GuildConfig(GUILD, checkin_channel_id=10)
PATHS = ("left_out", "private", "anonymous", "named")
# The last choices members have made, before the measured runs: (share, one in how many).
CHOICE_MIX: tuple[Share, ...] = ("private",) * 7 + ("anonymous",) * 2 + ("named",)
DURABILITY = (
    f"WAL, synchronous={SQLITE_SYNCHRONOUS}: survives a process crash; a power loss may lose "
    "the last commits"
)

Submit = Callable[[CheckinDraft], Awaitable[None]]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def draft_for(number: int, path: str) -> CheckinDraft:
    share: Share | None = None if path == "left_out" else path  # type: ignore[assignment]
    return CheckinDraft(
        user_id=number % MEMBERS, guild_id=GUILD, request_key=number, mood=3, sleep="7",
        cravings="none", sober="yes", note="a short note", share=share,
    )  # fmt: skip


async def open_loop(
    submit: Submit, path: str, rate: float, seconds: float, first: int
) -> dict[str, float]:
    """`rate * seconds` check-ins, each due at its own moment; timed from that moment."""
    count = int(rate * seconds)
    latencies: list[float] = []
    errors = 0

    async def one(number: int, due: float) -> None:
        nonlocal errors
        try:
            await submit(draft_for(number, path))
        except Exception:  # a failed write is counted, not fatal, for the comparison
            errors += 1
            return
        latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    start = time.perf_counter()
    for index in range(count):
        due = start + index / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(first + index, due)))
    await asyncio.gather(*tasks)
    finished = time.perf_counter()
    return {
        "offered_per_second": rate,
        "offered": count,
        "completed": len(latencies),
        "errors": errors,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
        # Until the last commit: the drain counts, so this can fall below the offered rate.
        "achieved_per_second": len(latencies) / (finished - start),
        "drain_s": max(0.0, finished - (start + seconds)),
    }


async def saturate(
    submit: Submit, path: str, clients: int, seconds: float, first: int
) -> dict[str, float]:
    """Closed loop: `clients` members submitting back to back; latency from each submit."""
    numbers = itertools.count(first)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await submit(draft_for(next(numbers), path))
            except Exception:  # counted, as above
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started  # the last in-flight check-ins are inside
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors,
    }


async def workloads(
    submit: Submit, seed: Callable[[], Awaitable[None]], args: argparse.Namespace
) -> dict[str, Any]:
    """Every path: saturated, then 2,000/s offered; and 100/s with the share left out."""
    results: dict[str, Any] = {}
    block = itertools.count(1)
    for path in args.paths:
        await seed()
        results[path] = {
            "saturated": await saturate(
                submit, path, args.clients, args.seconds, next(block) * 10_000_000
            ),
            "at_2000": await open_loop(submit, path, 2000, args.seconds, next(block) * 10_000_000),
        }
    await seed()
    results["at_100_left_out"] = await open_loop(
        submit, "left_out", 100, args.seconds, next(block) * 10_000_000
    )
    return results


def last_choices() -> list[CheckinDraft]:
    return [
        replace(draft_for(900_000_000 + m, "private"), share=CHOICE_MIX[m % len(CHOICE_MIX)])
        for m in range(MEMBERS)
    ]


async def muster_path(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{folder / 'muster.db'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    read_engine = create_read_engine(engine, settings)
    assert read_engine is not None  # noqa: S101  # SQLite, always
    sessions = create_session_factory(engine)
    clock = SystemClock()
    keyring = Keyring.generate()

    def started() -> CheckinService:
        return CheckinService(
            sessions, clock, keyring, Scheduler(sessions, clock),
            reads=create_session_factory(read_engine),
        )  # fmt: skip

    running = [started()]
    seeded = itertools.count()

    async def seed() -> None:
        # Every member's last choice is stored; then a new service, with nothing in memory,
        # as after a restart.
        batch = next(seeded) * MEMBERS
        await asyncio.gather(
            *(
                running[0].submit(replace(d, request_key=d.request_key + batch), CONFIG)
                for d in last_choices()
            )
        )
        await running[0].close()
        running[0] = started()

    async def submit(draft: CheckinDraft) -> None:
        await running[0].submit(draft, CONFIG)

    result = await workloads(submit, seed, args)
    await running[0].close()
    await read_engine.dispose()
    await engine.dispose()
    return result


async def naive_path(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The same decisions and rows, one transaction per check-in, on Muster's engine. It
    keeps the same memory of last choices (each server's check-ins read once, then updated
    as members check in), so what differs is the batching, not the caching."""
    engine = create_engine(load_settings(database_url=f"sqlite+aiosqlite:///{folder / 'n.db'}"))
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    keyring = Keyring.generate()
    clock = SystemClock()
    seeded = itertools.count()
    owners = Owners(keyring)
    asked: dict[str, Share] | None = None  # identity -> the share its latest check-in asked
    loading = asyncio.Lock()

    async def submit(draft: CheckinDraft) -> None:
        """The same stored form and checks as Muster's path, a session for each check-in."""
        nonlocal asked
        now = clock.now()
        digest = request_digest(keyring, draft.request_key)
        identity = f"u:{draft.user_id}"
        async with sessions.begin() as session:
            requested = draft.share
            if requested is None:
                async with loading:  # one read after a restart, not one per waiting check-in
                    if asked is None:
                        latest = await latest_asks(session, keyring, owners, GUILD)
                        asked = {key: choice for key, (_, choice) in latest.items()}
                requested = asked.get(identity, "private")
            share = requested
            if requested == "anonymous":
                blocks = await session.execute(
                    select(AnonymousBlock.owner, AnonymousBlock.until).where(
                        AnonymousBlock.guild_id == GUILD
                    )
                )
                table = AnonymousBlock.__tablename__
                if any(
                    owners.identity_of(table, owner) == identity and until > now
                    for owner, until in blocks
                ):
                    share = "private"
            content = Content(draft.mood, 7.0, None, draft.cravings, draft.sober, draft.note)
            stored = StoredCheckin(0, GUILD, now, share, content, asked=requested)
            data, note = stored.sealed(keyring, digest)
            [checkin_id] = await fresh_ids(session, Checkin.id, 1)
            session.add(Checkin(
                id=checkin_id, guild_id=GUILD, week=storage_week(now), request_digest=digest,
                data=data, note=note, owner=owners.seal_user("checkins", draft.user_id),
            ))  # fmt: skip
            if share == "anonymous":
                [post_id] = await fresh_ids(session, AnonymousPost.id, 1)
                post = AnonymousPost(
                    id=post_id, guild_id=GUILD, channel_id=10, week=week_label(now, "UTC"),
                    owner=owners.seal_user("anonymous_posts", draft.user_id),
                    pseudonym="Quiet Heron 42", state="pending",
                    post_after=now + timedelta(minutes=5),
                    content=content.sealed(keyring, context=post_context(GUILD)),
                )  # fmt: skip
                session.add(post)
                await session.flush()
                await book_release(session, keyring, GUILD, now + timedelta(minutes=5), post.id)
        if asked is not None:
            asked[identity] = requested

    async def seed() -> None:
        nonlocal asked
        batch = next(seeded) * MEMBERS
        for d in last_choices():
            await submit(replace(d, request_key=d.request_key + batch))
        asked = None  # memory emptied, as after a restart

    result = await workloads(submit, seed, args)
    await engine.dispose()
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        results = {"durability": DURABILITY, "muster": await muster_path(Path(folder), args)}
        if args.naive:
            results["naive"] = await naive_path(Path(folder), args)
        return results


def namespace(
    seconds: float, clients: int = 200, paths: tuple[str, ...] = PATHS, *, naive: bool = True
) -> Any:
    return argparse.Namespace(seconds=seconds, clients=clients, paths=paths, naive=naive)


def show(results: dict[str, Any]) -> None:
    print(f"Durability: {results['durability']}.")
    for name, label in (("muster", "Muster"), ("naive", "naive (a session each)")):
        for path, figures in results.get(name, {}).items():
            if path == "at_100_left_out":
                f = figures
                print(f"{label}, share left out, 100/s offered: p50 {f['p50_ms']:.1f} ms, "
                      f"p99 {f['p99_ms']:.1f} ms from the scheduled time")  # fmt: skip
                continue
            sat, busy = figures["saturated"], figures["at_2000"]
            print(f"{label}, {path}: at most {sat['per_second']:.0f}/s (p99 {sat['p99_ms']:.1f} ms, "
                  f"{sat['errors']} errors); 2,000/s offered: {busy['completed']} of "
                  f"{busy['offered']} in, {busy['achieved_per_second']:.0f}/s achieved (drain "
                  f"{busy['drain_s']:.1f} s), p99 {busy['p99_ms']:.1f} ms, max {busy['max_ms']:.0f} ms "
                  "from the scheduled time")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated share paths")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(run(namespace(args.seconds, args.clients, tuple(args.paths.split(",")))))
    show(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
