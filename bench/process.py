"""Start-up time and idle memory of `python -m bot run`, against the sandbox on loopback.

    python bench/process.py [--runs 3] [--json PATH]

Ready means connected to the gateway and answering: the time from starting the process to
its answer to a first `/about`, on a database already migrated (a restart; a first start
also runs the migrations, which loads Alembic). Idle memory is the resident set size after 5 idle seconds.
Beside it, the floor: a bare discord.py client doing nothing but logging in. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


async def one_start(sandbox: Sandbox, folder: Path, *, bare: bool) -> dict[str, float]:
    keys = folder / f"keys-{time.monotonic_ns()}.json"
    Keyring.generate().write(keys)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "DISCORD_TOKEN": sandbox.token,
        "DISCORD_API_BASE": sandbox.api_base,
        "DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / f'{time.monotonic_ns()}.db'}",
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
        await asyncio.sleep(5)
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        await process.wait()
        await sandbox.wait_for(lambda: sandbox.live_sessions() == 0, timeout=10, what="logout")
    return {"connected_s": connected, "answering_s": answered, "idle_rss_mb": memory}


async def run(runs: int) -> dict[str, Any]:
    sandbox = Sandbox(spec=None)
    await sandbox.start()
    guild = await sandbox.create_guild("Bench")
    await sandbox.create_channel(guild, "general")
    await sandbox.create_member(guild, "Sam")
    results: dict[str, Any] = {}
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
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(run(args.runs))
    muster, bare = results["muster"], results["bare_discord_py"]
    print(f"Muster: connected in {muster['connected_s']:.2f} s, answering /about in "
          f"{muster['answering_s']:.2f} s, idle {muster['idle_rss_mb']:.0f} MB resident "
          f"(median of {args.runs})")  # fmt: skip
    print(f"bare discord.py client: connected in {bare['connected_s']:.2f} s, idle "
          f"{bare['idle_rss_mb']:.0f} MB resident")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
