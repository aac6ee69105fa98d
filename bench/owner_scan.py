"""What unlinkable storage costs: a member's rows are found by opening the sealed owners of
every candidate row (bot/services/ownership.py), not by an index on a member key.

Fills a SQLite database with check-ins from many members over 30 days, then times one
member's `/checkin history` (30 days), a 365-day report window and `/mydata export`.

    python bench/owner_scan.py --checkins 20000 --members 500
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import create_engine, create_session_factory
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins import CheckinDraft, CheckinService
from bot.services.features import feature_hooks
from bot.services.privacy import PrivacyService


async def run(checkins: int, members: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'scan.db'}"
        engine = create_engine(load_settings(database_url=url))
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
        keyring = Keyring.generate()
        service = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock))
        per_day = max(checkins // 30, 1)
        for first in range(0, checkins, per_day):  # a day's check-ins, all at once
            await asyncio.gather(*(
                service.submit(CheckinDraft(
                    user_id=1 + number % members, guild_id=1, request_key=number + 1, mood=3,
                    sleep="7", cravings="none", sober="yes", note="a short note",
                    share="private",
                ), None)
                for number in range(first, min(first + per_day, checkins))
            ))  # fmt: skip
            await clock.advance(timedelta(days=1))
        await service.close()
        privacy = PrivacyService(sessions, clock, feature_hooks(keyring))
        figures = {}
        for name, call in (
            ("history_30_days_ms", lambda: service.entries(1, "UTC", 30)),
            ("report_365_days_ms", lambda: service.entries(1, "UTC", 365)),
            ("mydata_export_ms", lambda: privacy.export(1)),
        ):
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                await call()
                times.append((time.perf_counter() - started) * 1000)
            figures[name] = statistics.median(times)
        await engine.dispose()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(run(args.checkins, args.members, args.repeats))
    print(f"{args.checkins:,} check-ins from {args.members:,} members over 30 days (SQLite):")
    for name, value in figures.items():
        print(f"  {name}: {value:.0f} ms (median of {args.repeats})")


if __name__ == "__main__":
    main()
