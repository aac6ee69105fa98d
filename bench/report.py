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

import anchors  # noqa: E402  # sibling scripts, importable once bench/ is on the path
import checkin_writes  # noqa: E402
import crisis_detection  # noqa: E402
import dm_fan_out  # noqa: E402
import interaction_path  # noqa: E402
import process  # noqa: E402
import resource_search  # noqa: E402
import scheduler  # noqa: E402

SERVER_COUNTS = (1, 1000, 5000)


def median_run(runs: list[Any]) -> Any:
    """Of several runs of the same benchmark, each figure's median, with every run kept: a
    noisy machine moves a single run's p99 by a factor of two or more."""
    if isinstance(runs[0], dict):
        return {key: median_run([run[key] for run in runs]) for key in runs[0]}
    if isinstance(runs[0], str):
        return runs[0]
    return statistics.median(runs)


async def repeated(times: int, run: Any) -> dict[str, Any]:
    runs = [await run() for _ in range(times)]
    return {**median_run(runs), "runs": runs}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    seconds = 2.0 if args.quick else 5.0
    times = 1 if args.quick else 3
    results: dict[str, Any] = {"load_before": load_average(), "runs": times}
    with tempfile.TemporaryDirectory(dir=HERE) as folder:  # on the disk the anchors measure
        where = Path(folder)
        results["anchors"] = anchors.run(where, 1.0 if args.quick else 3.0)
        results["search_sqlite"] = await resource_search.run(
            f"sqlite+aiosqlite:///{where / 'search.db'}", None
        )
        if args.postgres:
            results["search_postgresql"] = await resource_search.run(
                args.postgres, f"bench_{secrets.token_hex(4)}"
            )
        # The naive way drains for half a minute per path at 2,000/s: it runs once, in the
        # same run as the first of Muster's.
        first = await checkin_writes.run(checkin_writes.namespace(seconds))
        again = [
            await checkin_writes.run(checkin_writes.namespace(seconds, naive=False))
            for _ in range(times - 1)
        ]
        results["checkin_writes"] = {
            "durability": first["durability"],
            "muster": median_run([first["muster"]] + [run["muster"] for run in again]),
            "naive": first["naive"],
            "runs": [first, *again],
        }
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
        results["dm_fan_out"] = await dm_fan_out.run(200 if args.quick else 1000)
        results["process"] = [
            await process.run(1 if args.quick or servers > 1 else 3, servers)
            for servers in SERVER_COUNTS
        ]
    crisis = crisis_detection.run()
    results["crisis_detection"] = {key: value for key, value in crisis.items() if key != "misses"}
    results["load_after"] = load_average()
    return results


def row(what: str, target: str, muster: str, naive: str, met: bool | None) -> str:
    verdict = "" if met is None else ("met" if met else "**not met**")
    return f"| {what} | {target} | {muster} | {naive} | {verdict} |"


def _open_loop(figures: dict[str, Any]) -> str:
    return (
        f"p99 {figures['p99_ms']:.1f} ms, {figures['completed']:,} of {figures['offered']:,} in, "
        f"{figures['achieved_per_second']:,.0f}/s achieved"
    )


def _open_loop_met(figures: dict[str, Any]) -> bool:
    return figures["p99_ms"] <= 25 and figures["completed"] == figures["offered"]


PATH_WORDS = {
    "left_out": "share left out (last choice)",
    "private": "private",
    "anonymous": "anonymous",
    "named": "named",
}


def markdown(results: dict[str, Any], machine: str) -> str:
    writes = results["checkin_writes"]
    ours, naive = writes["muster"], writes["naive"]
    path = results["interaction_path"]
    start, handoff = results["scheduler_start"], results["scheduler_handoff"]
    fan, search, anchor = results["dm_fan_out"], results["search_sqlite"], results["anchors"]
    crisis = results["crisis_detection"]
    unseen = crisis_detection.first_runs_pooled()
    by_servers = {entry["servers"]: entry for entry in results["process"]}
    one, thousand, most = (by_servers[count] for count in SERVER_COUNTS)
    per_server_kb = (
        (most["muster"]["idle_rss_mb"] - one["muster"]["idle_rss_mb"])
        * 1024
        / (SERVER_COUNTS[2] - 1)
    )
    lines = [
        "# Muster benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, by `python bench/report.py`.",
        f"Load average (1, 5, 15 min) before the run: {results['load_before']}; after: "
        f"{results['load_after']}. The machine is shared, so figures move from run to run;",
        f"Muster's check-in writes, the interaction path and the hand-off are the median of "
        f"{results['runs']} run(s); the naive check-in figures come from the first of them (each",
        "run is in `bench/results.json`). Goals are printed here, never asserted in tests.",
        "",
        "How the figures are taken, so that they cannot flatter:",
        "- Open loop: each check-in or interaction is due at its own scheduled moment, and its",
        "  latency runs from that moment (not from when its task started) to the durable commit",
        "  (check-ins) or to the member seeing the full answer (interactions, not the defer).",
        "- Achieved rates count until the last item is done: the drain is included.",
        "- Every share path is measured. Before each, every one of 5,000 members has checked in",
        "  once (70% private, 20% anonymous, 10% named) and the choice cache starts empty.",
        "- The naive way does the same work (same reads, rows and decisions), one transaction",
        "  per check-in, on the same engine settings as Muster.",
        f"- Durability: {writes['durability']}.",
        "",
        "| what | goal | Muster | naive way, same run | |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, words in PATH_WORDS.items():
        lines.append(row(f"check-ins on SQLite, 2,000/s offered, {words}",
                         "p99 ≤ 25 ms from the scheduled time, all in",
                         _open_loop(ours[name]["at_2000"]), _open_loop(naive[name]["at_2000"]),
                         _open_loop_met(ours[name]["at_2000"])))  # fmt: skip
    for name, words in PATH_WORDS.items():
        lines.append(row(f"check-ins, most per second (200 members at once), {words}",
                         "≥ 10,000/s" if name == "left_out" else "",
                         f"{ours[name]['saturated']['per_second']:,.0f}/s",
                         f"{naive[name]['saturated']['per_second']:,.0f}/s",
                         ours[name]["saturated"]["per_second"] >= 10_000 if name == "left_out" else None))  # fmt: skip
    lines += [
        row("check-ins at 100/s offered, share left out: p99", "",
            f"{ours['at_100_left_out']['p99_ms']:.1f} ms", f"{naive['at_100_left_out']['p99_ms']:.1f} ms", None),
        row("`/checkin now` through the sandbox at 300/s, full answer: p99", "≤ 50 ms",
            f"{path['at_300_per_second']['full_answer_p99_ms']:.0f} ms "
            f"({path['at_300_per_second']['full_answer_over_3_s']:.0f} over 3 s or lost)", "",
            path["at_300_per_second"]["full_answer_p99_ms"] <= 50),
        row("`/checkin now` at 100/s, full answer: p99", "",
            f"{path['at_100_per_second']['full_answer_p99_ms']:.0f} ms", "", None),
        row("a year's chart (365 days, 3 check-ins a day)", "≤ 150 ms",
            f"{path['chart']['year_chart_ms']:.0f} ms", f"{path['chart']['naive_year_chart_ms']:.0f} ms "
            "(a shape per check-in, tight_layout)", path["chart"]["year_chart_ms"] <= 150),
        row("other members' `/checkin now` (50/s) while four year reports render: p99", "≤ 20 ms",
            f"{path['while_reports_render']['full_answer_p99_ms']:.0f} ms",
            f"{path['naive_while_reports_render']['full_answer_p99_ms']:.0f} ms (charts in a thread)",
            path["while_reports_render"]["full_answer_p99_ms"] <= 20),
        row("idle memory (resident) at 1,000 servers", "≤ 100 MB",
            f"{thousand['muster']['idle_rss_mb']:.0f} MB (1 server: {one['muster']['idle_rss_mb']:.0f} MB; "
            f"5,000: {most['muster']['idle_rss_mb']:.0f} MB, ~{per_server_kb:.1f} KB a server)",
            f"{thousand['bare_discord_py']['idle_rss_mb']:.0f} MB (bare discord.py)",
            thousand["muster"]["idle_rss_mb"] <= 100),
        row("start-up to ready (every server recorded) with 5,000 servers", "≤ 3 s",
            f"{most['muster']['ready_s']:.2f} s (answering /about after {most['muster']['answering_s']:.2f} s)",
            f"{most['bare_discord_py']['connected_s']:.2f} s (bare discord.py, connected)",
            most["muster"]["ready_s"] <= 3),
        row(f"{fan['after_restart']['dms']:,} DMs to members written to before, after a restart",
            "≤ 25 s, zero 429s",
            f"last after {fan['after_restart']['last_s']:.1f} s, {fan['after_restart']['requests_per_dm']:.2f} "
            f"requests per DM, {fan['global_429s']} 429s",
            f"first burst: last after {fan['first']['last_s']:.1f} s, {fan['first']['requests_per_dm']:.2f} "
            "requests per DM", fan["after_restart"]["last_s"] <= 25 and fan["global_429s"] == 0),
        row(f"start-up with {start['pending']:,} pending reminders", "≤ 0.5 s",
            f"{start['ready_ms']:.0f} ms", f"{start['naive_ready_ms'] / 1000:.1f} s (a job each)",
            start["ready_ms"] <= 500),
        row("memory per pending reminder", "small constant",
            f"{start['bytes_per_pending']:.1f} bytes", f"{start['naive_bytes_per_pending']:.0f} bytes", None),
        row("1,000 due in one second, handed to the sender: p99", "≤ 100 ms",
            f"{handoff['handoff_p99_ms']:.0f} ms", "", handoff["handoff_p99_ms"] <= 100),
        row("resource search over 5,000 entries: p99", "≤ 5 ms", f"{search['search_p99_ms']:.1f} ms",
            f"{search['naive_like_p99_ms']:.1f} ms (LIKE)", search["search_p99_ms"] <= 5),
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
        "Physical anchors, plain sqlite3 (no asyncio, no SQLAlchemy) on the same disk, same run:",
        f"- {anchor['commits_per_second_normal']:,.0f} commits/s, one row each, WAL and "
        "synchronous=NORMAL (Muster's setting: survives a process crash, not a power loss);",
        f"- {anchor['commits_per_second_full']:,.0f} commits/s, one row each, WAL and "
        "synchronous=FULL (survives a power loss too);",
        f"- {anchor['batched_rows_per_second']:,.0f} rows/s in transactions of "
        f"{anchors.BATCH} rows (executemany), WAL and NORMAL;",
        f"- {anchor['checkin_rows_per_second']:,.0f} rows/s the same way with rows shaped as "
        "Muster's check-ins (the real table and indexes, random ids, sealed values of their "
        "stored lengths, about 5 KB a row): the most the check-in writer could reach here.",
        "",
        "Notes:",
        "- The interaction path runs the sandbox in the same process and event loop as the",
        "  bot, so its own work (HTTP, gateway, JSON) is inside these figures.",
        "- The first DM burst opens each member's DM channel (two requests per DM); the ids",
        "  are then kept in the database, so after the restart each DM is one request.",
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
