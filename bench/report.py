"""Run every benchmark and write the figures: bench/results.json and a one-page
bench/RESULTS.md table, each figure beside its target and the naive way.

    python bench/report.py [--postgres URL] [--quick]

`--quick` runs shorter workloads (for a smoke run); the committed report is a full run.
Benchmarks print figures; nothing here is a test and nothing fails on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import checkin_writes  # noqa: E402  # sibling scripts, importable once bench/ is on the path
import crisis_detection  # noqa: E402
import interaction_path  # noqa: E402
import process  # noqa: E402
import resource_search  # noqa: E402
import scheduler  # noqa: E402


def median_run(runs: list[Any]) -> Any:
    """Of several runs of the same benchmark, each figure's median, with every run kept: a
    noisy machine moves a single run's p99 by a factor of two or more."""
    if isinstance(runs[0], dict):
        return {key: median_run([run[key] for run in runs]) for key in runs[0]}
    return statistics.median(runs)


async def repeated(times: int, run: Any) -> dict[str, Any]:
    runs = [await run() for _ in range(times)]
    return {**median_run(runs), "runs": runs}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    seconds = 2.0 if args.quick else 5.0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        results["search_sqlite"] = await resource_search.run(
            f"sqlite+aiosqlite:///{where / 'search.db'}", None
        )
        if args.postgres:
            results["search_postgresql"] = await resource_search.run(
                args.postgres, f"bench_{secrets.token_hex(4)}"
            )
        times = 1 if args.quick else 3
        results["checkin_writes"] = await repeated(
            times, lambda: checkin_writes.run(argparse.Namespace(seconds=seconds, clients=200))
        )
        results["interaction_path"] = await repeated(
            times, lambda: interaction_path.run(argparse.Namespace(seconds=seconds))
        )
        pending = 20_000 if args.quick else 100_000
        results["scheduler_start"] = {
            "pending": pending,
            **await scheduler.rehydration(pending, where),
        }

        async def handoff() -> dict[str, float]:
            folder = Path(tempfile.mkdtemp(dir=where))
            return await scheduler.handoff(1000, folder)

        results["scheduler_handoff"] = await repeated(times, handoff)
        burst = 200 if args.quick else 1000
        results["dm_fan_out"] = {"reminders": burst, **await scheduler.burst(burst, where)}
        results["process"] = await process.run(1 if args.quick else 3)
    crisis = crisis_detection.run()
    results["crisis_detection"] = {key: value for key, value in crisis.items() if key != "misses"}
    return results


def row(what: str, target: str, muster: str, naive: str, met: bool | None) -> str:
    verdict = "" if met is None else ("met" if met else "**not met**")
    return f"| {what} | {target} | {muster} | {naive} | {verdict} |"


def markdown(results: dict[str, Any], machine: str) -> str:
    writes = results["checkin_writes"]
    ours, naive = writes["muster"], writes["naive"]
    path = results["interaction_path"]
    start, handoff = results["scheduler_start"], results["scheduler_handoff"]
    fan, proc = results["dm_fan_out"], results["process"]
    search = results["search_sqlite"]
    crisis = results["crisis_detection"]
    unseen = crisis_detection.first_runs_pooled()
    lines = [
        "# Muster benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, by `python bench/report.py`.",
        "Every figure comes from the scripts in `bench/`; check-in writes, the interaction path",
        "and the hand-off are the median of three runs (each run is in `bench/results.json`).",
        "Latencies run from submit to durable commit (check-ins), or from the moment the",
        "sandbox sends the interaction (interaction path).",
        "",
        "| what | target | Muster | naive way | |",
        "| --- | --- | --- | --- | --- |",
        row("check-ins/s on SQLite, offered 2,000/s: p99", "≥ 2,000/s, p99 ≤ 25 ms",
            f"{ours['steady_2000']['achieved_per_second']:.0f}/s, p99 {ours['steady_2000']['p99_ms']:.1f} ms",
            f"p99 {naive['steady_2000']['p99_ms']:.0f} ms ({naive['steady_2000']['errors']} errors)",
            ours["steady_2000"]["p99_ms"] <= 25 and ours["steady_2000"]["achieved_per_second"] >= 1900),
        row("check-ins at 100/s: p99", "≤ 15 ms", f"{ours['steady_100']['p99_ms']:.1f} ms",
            f"{naive['steady_100']['p99_ms']:.1f} ms", ours["steady_100"]["p99_ms"] <= 15),
        row("check-ins, most per second (200 members at once)", "", f"{ours['saturated']['per_second']:.0f}/s",
            f"{naive['saturated']['per_second']:.0f}/s", None),
        row("`/checkin` round trip at 100/s: p99", "≤ 20 ms",
            f"{path['at_100_per_second']['round_trip_p99_ms']:.1f} ms", "",
            path["at_100_per_second"]["round_trip_p99_ms"] <= 20),
        row("interactions at 300/s answered or deferred within 3 s", "all",
            f"{path['at_300_per_second']['interactions'] - path['at_300_per_second']['over_3_s']} of "
            f"{path['at_300_per_second']['interactions']} (first answer p99 "
            f"{path['at_300_per_second']['first_response_p99_ms']:.0f} ms)", "",
            path["at_300_per_second"]["over_3_s"] == 0),
        row(f"start-up with {start['pending']:,} pending reminders", "≤ 0.5 s",
            f"{start['ready_ms']:.0f} ms", f"{start['naive_ready_ms'] / 1000:.1f} s (a job each)",
            start["ready_ms"] <= 500),
        row("memory per pending reminder", "small constant",
            f"{start['bytes_per_pending']:.1f} bytes", f"{start['naive_bytes_per_pending']:.0f} bytes", None),
        row("1,000 due in one second, handed to the sender: p99", "≤ 100 ms",
            f"{handoff['handoff_p99_ms']:.0f} ms", "", handoff["handoff_p99_ms"] <= 100),
        row(f"{fan['reminders']:,} DM reminders at once, against the sandbox", "about 1,000/45 s, no 429",
            f"last after {fan['last_s']:.1f} s ({fan['per_second']:.0f} DMs/s, 2 requests each)", "",
            None),
        row("resource search over 5,000 entries: p99", "≤ 5 ms", f"{search['search_p99_ms']:.1f} ms",
            f"{search['naive_like_p99_ms']:.1f} ms (LIKE)", search["search_p99_ms"] <= 5),
        row("process ready (answering `/about`)", "≤ 2 s", f"{proc['muster']['answering_s']:.2f} s",
            f"{proc['bare_discord_py']['connected_s']:.2f} s (bare discord.py)",
            proc["muster"]["answering_s"] <= 2),
        row("idle memory (resident)", "≤ 100 MB", f"{proc['muster']['idle_rss_mb']:.0f} MB",
            f"{proc['bare_discord_py']['idle_rss_mb']:.0f} MB (bare discord.py)",
            proc["muster"]["idle_rss_mb"] <= 100),
        row("crisis notes caught / everyday notes flagged, held-out notes at their first run", "≥ 95% / ≤ 5%",
            f"{100 * unseen['recall']:.1f}% / {100 * unseen['false_alarm_rate']:.1f}% "
            f"(of {unseen['crisis_notes']} / {unseen['calm_notes']})", "",
            unseen["recall"] >= 0.95 and unseen["false_alarm_rate"] <= 0.05),
        row("crisis check, time per note: p99 CPU time (wall clock, other processes too)", "< 1 ms",
            f"{crisis['time_per_note']['cpu_p99_ms']:.2f} ms ({crisis['time_per_note']['p99_ms']:.2f} ms)", "",
            crisis["time_per_note"]["cpu_p99_ms"] < 1),
    ]  # fmt: skip
    if "search_postgresql" in results:
        pg = results["search_postgresql"]
        lines.append(row("resource search on PostgreSQL: p99", "≤ 5 ms", f"{pg['search_p99_ms']:.1f} ms",
                         f"{pg['naive_like_p99_ms']:.1f} ms (ILIKE)", pg["search_p99_ms"] <= 5))  # fmt: skip
    lines += [
        "",
        "Notes:",
        "- DMs to members Muster has not written to before cost two requests (open the DM",
        "  channel, then send), so at the 45 requests/s the bot allows itself, about 22 new",
        "  DMs go out per second; the limit is Discord's, not Muster's.",
        "- The interaction path runs the sandbox in the same process and event loop as the",
        "  bot, so its own work (HTTP, gateway, JSON) is inside these figures.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", help="a postgresql+asyncpg:// URL to measure search on too")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the two files")
    args = parser.parse_args()
    results = asyncio.run(measure(args))
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    results["machine"] = machine
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    page = markdown(results, machine)
    (args.out / "RESULTS.md").write_text(page)
    print(page)


if __name__ == "__main__":
    main()
