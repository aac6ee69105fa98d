"""Resource search latency over 5,000 entries, on SQLite and (if given) PostgreSQL.

    python bench/resource_search.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Prints p50/p99 for ranked, typo-tolerant search and for autocomplete through the real
service (including its per-search directory-version check), and beside them the naive
way: a SQL LIKE '%word%' scan, which matches inside words and tolerates no typos.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, text

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import DirectoryVersion, GuildResource
from bot.services.resources import CATEGORIES, ResourceService

GUILD = 1
ENTRIES = 5_000
ROUNDS = 1_000
QUERIES = ["homless", "housing", "crysis", "lawyer", "court date", "drinking", "caregiver",
           "benefts", "food pantry", "riverside", "vetrans", "counseling", "shelter",
           "job training"]  # fmt: skip
PLACES = ["Riverside", "Lakeview", "Harbor", "Oak Hill", "Mesa", "Pine Ridge", "Cedar",
          "Summit", "Valley", "Northgate", "Eastside", "Westfield", "Bayview", "Granite",
          "Maple"]  # fmt: skip
SERVICES = ["Food Pantry", "Housing Coalition", "Legal Aid", "Recovery Center", "Counseling",
            "Job Training", "Family Support", "Shelter", "Transit Help", "Peer Group",
            "Veterans Post", "Clinic", "Outreach", "Day Center", "Warming Center"]  # fmt: skip


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(url: str, schema: str | None) -> dict[str, float]:
    settings = load_settings(database_url=url, database_schema=schema)
    engine = create_engine(settings)
    if schema:
        admin = create_engine(load_settings(database_url=url))
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows = [
        {
            "guild_id": GUILD,
            "name": f"{rng.choice(PLACES)} {rng.choice(SERVICES)} {n}",
            "category": rng.choice(list(CATEGORIES)),
            "phone": "1-555-010-0100",
            "details": "Open weekdays. Veterans and families welcome.",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(ENTRIES)
    ]
    async with sessions.begin() as session:
        await session.execute(insert(GuildResource), rows)
        session.add(DirectoryVersion(guild_id=GUILD, version=1))
    service = ResourceService(sessions, SystemClock())

    started = time.perf_counter()
    await service.search(GUILD, "housing")
    cold = (time.perf_counter() - started) * 1000

    search_ms, complete_ms, like_ms = [], [], []
    for round_number in range(ROUNDS):
        query = QUERIES[round_number % len(QUERIES)]
        started = time.perf_counter()
        await service.search(GUILD, query)
        search_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await service.autocomplete(GUILD, query[: 1 + round_number % len(query)])
        complete_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with sessions() as session:
            word = query.split()[0]
            await session.scalars(
                select(GuildResource.id)
                .where(GuildResource.guild_id == GUILD, GuildResource.name.ilike(f"%{word}%"))
                .limit(5)
            )
        like_ms.append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    if schema:
        admin = create_engine(load_settings(database_url=url))
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
    return {
        "index_build_ms": cold,
        "search_p50_ms": statistics.median(search_ms),
        "search_p99_ms": percentile(search_ms, 0.99),
        "autocomplete_p50_ms": statistics.median(complete_ms),
        "autocomplete_p99_ms": percentile(complete_ms, 0.99),
        "naive_like_p50_ms": statistics.median(like_ms),
        "naive_like_p99_ms": percentile(like_ms, 0.99),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", help="a postgresql+asyncpg:// URL to measure too")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", None)
    if args.postgres:
        results["postgresql"] = await run(args.postgres, f"bench_{secrets.token_hex(4)}")
    print(f"Resource search over {ENTRIES} entries, {ROUNDS} rounds of {len(QUERIES)} queries (ms)")
    names = list(next(iter(results.values())))
    print(f"{'':22}" + "".join(f"{backend:>12}" for backend in results))
    for name in names:
        print(f"{name:22}" + "".join(f"{results[backend][name]:12.2f}" for backend in results))
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
