"""The interaction path through the sandbox: the real bot, `/checkin now` arriving at a steady
rate, timed from the moment the sandbox sends the interaction.

    python bench/interaction_path.py [--seconds 5] [--json PATH]

At 100 interactions/s: the round trip (sent, deferred, check-in committed, answer shown).
At 300 interactions/s: the first response (defer) of every interaction, against Discord's
3-second limit. Beside it, the naive way: answering only after the database write, with no
defer. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.keys import Keyring
from bot.runtime import open_runtime
from bot.sandbox import InteractionResult, Sandbox

MEMBERS = 600


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def drive(
    sandbox: Sandbox, members: list[Any], channel: Any, rate: float, seconds: float
) -> dict[str, float]:
    records: list[tuple[float, InteractionResult]] = []
    round_trips: list[float] = []
    failures = 0

    async def one(index: int) -> None:
        nonlocal failures
        started = time.monotonic()
        try:
            result = await sandbox.slash(
                members[index % len(members)], channel, "checkin now", mood=3, sleep="7",
                cravings="none", sober="yes", share="private", timeout=30,
            )  # fmt: skip
        except Exception:  # a lost or late answer is what this measures
            failures += 1
            return
        round_trips.append((time.monotonic() - started) * 1000)
        records.append((started, result))

    tasks = []
    start = time.monotonic()
    for index in range(int(rate * seconds)):
        wait = start + index / rate - time.monotonic()
        if wait > 0.001:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    first = [
        (result.acknowledged_at - result.created) * 1000
        for _, result in records
        if result.acknowledged_at is not None
    ]
    return {
        "interactions": len(tasks),
        "round_trip_p50_ms": statistics.median(round_trips),
        "round_trip_p99_ms": percentile(round_trips, 0.99),
        "first_response_p99_ms": percentile(first, 0.99),
        "first_response_max_ms": max(first),
        "over_3_s": sum(1 for value in first if value > 3000) + failures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sandbox = Sandbox(spec=None)  # request validation is for tests; keep the path lean
    await sandbox.start()
    guild = await sandbox.create_guild("Bench")
    channel = await sandbox.create_channel(guild, "general")
    members = [await sandbox.create_member(guild, f"m{n}") for n in range(MEMBERS)]
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
            await drive(sandbox, members, channel, 20, 1)  # warm up
            results["at_100_per_second"] = await drive(sandbox, members, channel, 100, args.seconds)
            results["at_300_per_second"] = await drive(sandbox, members, channel, 300, args.seconds)
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
        print(f"{label.replace('_', ' ')}: {figures['interactions']} check-ins; round trip p50 "
              f"{figures['round_trip_p50_ms']:.1f} ms, p99 {figures['round_trip_p99_ms']:.1f} ms; "
              f"first response p99 {figures['first_response_p99_ms']:.1f} ms, max "
              f"{figures['first_response_max_ms']:.1f} ms; over 3 s or lost: {figures['over_3_s']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
