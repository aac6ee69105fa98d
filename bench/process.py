"""Start-up time and idle memory of `python -m bot run`, against the sandbox on loopback.

    python bench/process.py [--runs 3] [--servers 1,1000,5000] [--json PATH]

For each number of (minimal) servers: answering is the time from starting the process to
its answer to a first `/about`; ready adds that every server is recorded in the database;
both on a database already migrated (a restart; a first start also runs the migrations,
which loads Alembic). Idle memory is the resident set size after 5 idle seconds. Beside
it, the floor: a bare discord.py client doing nothing but logging in, with the same servers.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.keys import Keyring
from bot.sandbox import Sandbox

BARE_CLIENT = """
import asyncio, os, discord, yarl
discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
client = discord.Client(intents=discord.Intents.none())
client.run(os.environ["DISCORD_TOKEN"], log_handler=None)
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def recorded_servers(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=0.1) as connection:
            return int(connection.execute("SELECT count(*) FROM guilds").fetchone()[0])
    except sqlite3.Error:  # not created or locked yet: try again
        return 0


async def one_start(sandbox: Sandbox, folder: Path, *, bare: bool) -> dict[str, float]:
    keys = folder / f"keys-{time.monotonic_ns()}.json"
    database = folder / f"{time.monotonic_ns()}.db"
    Keyring.generate().write(keys)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "DISCORD_TOKEN": sandbox.token,
        "DISCORD_API_BASE": sandbox.api_base,
        "DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "MUSTER_KEY_FILE": str(keys),
        "LOG_LEVEL": "WARNING",
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", ""),
        "DEV_GUILD_ID": str(next(iter(sandbox.guilds))),
    }
    guild = next(iter(sandbox.guilds.values()))
    member = next(iter(guild.members.values()))
    channel = next(iter(guild.channels.values()))
    if not bare:  # a restart, as in production: the schema is already up to date
        migrated = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "migrate", env=env, cwd=folder,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await migrated.wait()
    started = time.monotonic()
    command = ["-c", BARE_CLIENT] if bare else ["-m", "bot", "run"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=env, cwd=folder,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await sandbox.wait_until_connected(timeout=60)
        connected = time.monotonic() - started
        answered = connected
        if not bare:
            while True:
                try:
                    await sandbox.slash(member, channel, "about", timeout=2)
                    break
                except Exception:  # not listening yet: try again
                    await asyncio.sleep(0.05)
            answered = time.monotonic() - started
            while recorded_servers(database) < len(sandbox.guilds):  # noqa: ASYNC110  # another process
                await asyncio.sleep(0.02)
        ready = time.monotonic() - started
        await asyncio.sleep(5)
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        await process.wait()
        await sandbox.wait_for(lambda: sandbox.live_sessions() == 0, timeout=10, what="logout")
    return {
        "connected_s": connected, "answering_s": answered, "ready_s": ready, "idle_rss_mb": memory,
    }  # fmt: skip


async def run(runs: int, servers: int = 1) -> dict[str, Any]:
    sandbox = Sandbox(spec=None)
    await sandbox.start()
    for number in range(servers):
        guild = await sandbox.create_guild(f"Bench {number}")
        await sandbox.create_channel(guild, "general")
        if number == 0:
            await sandbox.create_member(guild, "Sam")
    results: dict[str, Any] = {"servers": servers}
    with tempfile.TemporaryDirectory() as folder:
        for name, bare in (("muster", False), ("bare_discord_py", True)):
            samples = [await one_start(sandbox, Path(folder), bare=bare) for _ in range(runs)]
            results[name] = {
                key: statistics.median(sample[key] for sample in samples) for key in samples[0]
            }
    await sandbox.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--servers", default="1,1000,5000", help="comma-separated counts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    every = []
    for servers in (int(count) for count in args.servers.split(",")):
        results = asyncio.run(run(args.runs, servers))
        every.append(results)
        muster, bare = results["muster"], results["bare_discord_py"]
        print(f"{servers} servers: Muster connected in {muster['connected_s']:.2f} s, answering "
              f"/about in {muster['answering_s']:.2f} s, every server recorded after "
              f"{muster['ready_s']:.2f} s, idle {muster['idle_rss_mb']:.0f} MB resident; bare "
              f"discord.py connected in {bare['connected_s']:.2f} s, idle "
              f"{bare['idle_rss_mb']:.0f} MB (median of {args.runs})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(every, indent=2))


if __name__ == "__main__":
    main()
