"""The interaction path through the sandbox: the real bot, `/checkin now` with the share left
out (each member's last choice), arriving open-loop, timed from each interaction's scheduled
moment to the member seeing the full answer (not only the defer).

    python bench/interaction_path.py [--seconds 5] [--json PATH]

Workloads: 100 and 300 interactions/s; then other members' `/checkin now` at 50/s while four
members' year-long reports render, with charts drawn in the drawing process (Muster) and,
beside it, the naive way (drawn in a thread of the bot's process, one shape per check-in,
tight_layout). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import load_settings
from bot.keys import Keyring
from bot.runtime import Runtime, open_runtime
from bot.sandbox import Channel, InteractionResult, Member, Sandbox
from bot.services.charts import daily_points, draw_chart
from bot.services.checkins import CheckinDraft, Entry, MedChange, Period

MEMBERS = 600
REPORTERS = 4
YEAR = 365
PER_DAY = 3  # check-ins a day in the reporters' year


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def wall_to_monotonic() -> float:
    return time.time() - time.monotonic()


async def drive(
    sandbox: Sandbox, members: Sequence[Member], channel: Channel, rate: float, seconds: float
) -> dict[str, float]:
    """`/checkin now` open-loop; latency from each one's scheduled moment."""
    offset = wall_to_monotonic()
    sent: list[tuple[float, InteractionResult]] = []
    start = time.monotonic()
    for index in range(int(rate * seconds)):
        due = start + index / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        record = await sandbox.slash(
            members[index % len(members)], channel, "checkin now", wait=False, mood=3,
            sleep="7", cravings="none", sober="yes",
        )  # fmt: skip
        sent.append((due, record))
    give_up = time.monotonic() + 30
    # Polled, not sandbox.wait_for: a waiter each would re-check every one on every change.
    while not all(record.done for _, record in sent) and time.monotonic() < give_up:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    full = [
        (record.messages[-1].received_at - offset - due) * 1000
        for due, record in sent
        if record.done and record.messages
    ]
    first = [
        (record.acknowledged_at - due) * 1000
        for due, record in sent
        if record.acknowledged_at is not None
    ]
    return {
        "interactions": len(sent),
        "answered": len(full),
        "full_answer_p50_ms": percentile(full, 0.5),
        "full_answer_p99_ms": percentile(full, 0.99),
        "full_answer_max_ms": max(full, default=float("nan")),
        "first_response_p99_ms": percentile(first, 0.99),
        "full_answer_over_3_s": sum(1 for value in full if value > 3000) + len(sent) - len(full),
    }


class ShiftedClock(SystemClock):
    """The system clock, set back by `behind`: lets the bench write a year of check-ins
    through the check-in service itself (only that service's clock is moved)."""

    def __init__(self) -> None:
        self.behind = timedelta(0)

    def now(self) -> datetime:
        return super().now() - self.behind


async def seed_year(runtime: Runtime, reporters: Sequence[Member]) -> None:
    """A year of private check-ins, three a day, for each reporter, through the service."""
    checkins = runtime.services.checkins
    clock = ShiftedClock()
    real, checkins._clock = checkins._clock, clock  # only this service's clock moves
    for n in range(YEAR * PER_DAY):
        clock.behind = timedelta(days=YEAR) - timedelta(hours=8 * n)
        await asyncio.gather(
            *(
                checkins.submit(
                    CheckinDraft(
                        user_id=member.id, guild_id=None, request_key=(number + 1) * 10_000 + n,
                        mood=1 + n % 5, sleep=str(6 + n % 3), cravings=("none", "mild", "strong")[n % 3],
                        sober="yes", note=None, share="private",
                    ),
                    None,
                )
                for number, member in enumerate(reporters)
            )
        )  # fmt: skip
    checkins._clock = real


def naive_chart(
    entries: Sequence[Entry], changes: Sequence[MedChange], *, title: str, first: date, last: date
) -> bytes:
    """The chart as Muster drew it before: a shape per check-in, tight_layout, in-process."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 9), dpi=100)
    mood, sleep, craving = figure.subplots(3, 1, sharex=True)
    when = [entry.local.replace(tzinfo=None) for entry in entries]
    mood.plot(when, [e.mood for e in entries], marker="o")
    sleep.bar(when, [e.sleep_hours or 0 for e in entries], width=0.6)
    craving.plot(when, [("none", "mild", "strong").index(e.cravings) for e in entries], "s")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def naive_period_chart(self: Period, title: str) -> bytes:
    return await asyncio.to_thread(
        naive_chart, self.entries, self.changes, title=title, first=self.first, last=self.today
    )


async def while_reports_render(
    sandbox: Sandbox, runtime: Runtime, members: Sequence[Member], channel: Channel,
    reporters: Sequence[Member], seconds: float,
) -> dict[str, float]:  # fmt: skip
    """Other members check in at 50/s while every reporter asks for a year's report."""
    offset = wall_to_monotonic()
    asked = time.monotonic()
    reports = [
        await sandbox.slash(member, channel, "checkin report", wait=False, days=YEAR)
        for member in reporters
    ]
    others = await drive(sandbox, members, channel, 50, seconds)
    await sandbox.wait_for(lambda: all(r.done for r in reports), timeout=120, what="reports")
    delivered = [
        max(m.received_at for m in sandbox.dms_to(member) if m.attachments) - offset - asked
        for member in reporters
    ]
    return {**others, "reports_delivered_max_s": max(delivered)}


async def chart_alone(runs: int = 5) -> dict[str, float]:
    """A year drawn from one point per day in the drawing process, warm, one at a time; and
    the naive chart of the same year in the bot's own process."""
    today = date(2026, 11, 30)
    first = today - timedelta(days=YEAR - 1)
    start = datetime.combine(first, datetime.min.time(), UTC)
    entries = [
        Entry(at=at, local=at, mood=1 + n % 5, sleep_hours=6 + n % 3, sleep_quality=None,
              cravings="none", sober="yes", share="private", note=None)
        for n in range(YEAR * PER_DAY)
        for at in [start + timedelta(hours=15 + 8 * (n % PER_DAY), days=n // PER_DAY)]
    ]  # fmt: skip
    await draw_chart(daily_points(entries), [], title="warm-up", first=first, last=today)
    ours, naive = [], []
    for _ in range(runs):
        began = time.perf_counter()
        await draw_chart(daily_points(entries), [], title="A year", first=first, last=today)
        ours.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        naive_chart(entries, [], title="A year", first=first, last=today)
        naive.append((time.perf_counter() - began) * 1000)
    return {
        "year_chart_ms": sorted(ours)[runs // 2],
        "naive_year_chart_ms": sorted(naive)[runs // 2],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sandbox = Sandbox(spec=None)  # request validation is for tests; keep the path lean
    await sandbox.start()
    guild = await sandbox.create_guild("Bench")
    channel = await sandbox.create_channel(guild, "general")
    members = [await sandbox.create_member(guild, f"m{n}") for n in range(MEMBERS)]
    reporters = [await sandbox.create_member(guild, f"r{n}") for n in range(2 * REPORTERS + 1)]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
            discord_token=sandbox.token, dev_guild_id=guild.id,
            discord_api_base=sandbox.api_base, discord_gateway_url=sandbox.gateway_url,
            log_level="WARNING",
        )  # fmt: skip
        async with open_runtime(settings, Keyring.generate(), guild_ready_timeout=0.05) as runtime:
            task = asyncio.create_task(runtime.bot.start(sandbox.token))
            await sandbox.wait_until_connected(timeout=30)
            await runtime.bot.wait_until_ready()
            await seed_year(runtime, reporters)
            await drive(sandbox, members, channel, 20, 1)  # warm up
            results["at_100_per_second"] = await drive(sandbox, members, channel, 100, args.seconds)
            results["at_300_per_second"] = await drive(sandbox, members, channel, 300, args.seconds)
            # The drawing process starts on the first chart: start it before measuring.
            await sandbox.slash(reporters[-1], channel, "checkin report", days=YEAR, timeout=60)
            results["while_reports_render"] = await while_reports_render(
                sandbox, runtime, members, channel, reporters[:REPORTERS], args.seconds
            )
            original = Period.chart
            Period.chart = naive_period_chart  # type: ignore[method-assign]
            try:
                results["naive_while_reports_render"] = await while_reports_render(
                    sandbox, runtime, members, channel,
                    reporters[REPORTERS : 2 * REPORTERS], args.seconds,
                )  # fmt: skip
            finally:
                Period.chart = original  # type: ignore[method-assign]
            results["chart"] = await chart_alone()
            await runtime.bot.close()
            await task
    await sandbox.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    for label, figures in results.items():
        if label == "chart":
            print(f"a year's chart: {figures['year_chart_ms']:.0f} ms in the drawing process; "
                  f"naive {figures['naive_year_chart_ms']:.0f} ms")  # fmt: skip
            continue
        extra = ""
        if "reports_delivered_max_s" in figures:
            extra = f"; last report delivered after {figures['reports_delivered_max_s']:.2f} s"
        print(f"{label.replace('_', ' ')}: {figures['answered']} of {figures['interactions']} "
              f"answered; full answer p50 {figures['full_answer_p50_ms']:.1f} ms, p99 "
              f"{figures['full_answer_p99_ms']:.1f} ms, max {figures['full_answer_max_ms']:.0f} ms "
              f"from the scheduled time; over 3 s or lost: {figures['full_answer_over_3_s']}"
              f"{extra}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
