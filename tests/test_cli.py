"""The command line as an operator meets it, run as real processes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.commandline import muster_command
from bot.config import Settings
from bot.db.engine import create_engine
from bot.db.instance_lock import InstanceLock
from bot.invite import INVITE_PERMISSIONS
from bot.keys import Keyring
from bot.sandbox import Sandbox
from tests.conftest import World, only_sqlite

pytestmark = pytest.mark.slow


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DISCORD_", "MUSTER_", "DATABASE_", "SHARD_", "DEV_GUILD", "LOG_LEVEL")
        )
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env.update(extra)
    return env


def database_env(database: dict[str, Any]) -> dict[str, str]:
    return {key.upper(): str(value) for key, value in database.items()}


async def muster(
    tmp_path: Path, *args: str, env: dict[str, str], timeout: float = 60
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,  # no stray .env from the developer's checkout
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_run_without_token_says_what_to_set(tmp_path: Path) -> None:
    code, out, err = await muster(tmp_path, "run", env=clean_env(tmp_path))
    assert code == 2
    assert err.strip().startswith("muster: DISCORD_TOKEN is not set")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


async def test_run_without_keys_says_how_to_make_them(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DISCORD_TOKEN="some-token")
    code, _, err = await muster(tmp_path, "run", env=env)
    assert code == 2
    assert "generate-keys" in err
    assert "Traceback" not in err


async def test_bad_setting_is_one_sentence(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL="mysql://nowhere/db")
    code, _, err = await muster(tmp_path, "check-config", env=env)
    assert code == 2
    assert "DATABASE_URL: must start with" in err
    assert "Traceback" not in err


def sandbox_env(tmp_path: Path, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return clean_env(
        tmp_path,
        DISCORD_TOKEN=sandbox.token,
        DISCORD_API_BASE=sandbox.api_base,
        DISCORD_GATEWAY_URL=sandbox.gateway_url,
        **extra,
    )


async def test_generate_keys_migrate_and_check_config(tmp_path: Path, sandbox: Sandbox) -> None:
    key_file = tmp_path / "secrets" / "muster.keys.json"
    env = sandbox_env(tmp_path, sandbox, MUSTER_KEY_FILE=str(key_file))
    code, out, _ = await muster(tmp_path, "generate-keys", str(key_file), env=env)
    assert code == 0
    assert key_file.stat().st_mode & 0o777 == 0o600

    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 0, err
    assert "doesn't exist yet" in out  # `migrate` or `run` creates it; check-config doesn't
    assert f"DISCORD_TOKEN: valid (application {sandbox.application_id}," in out
    assert not (tmp_path / "cli.db").exists()
    assert not (tmp_path / "data").exists()
    assert os.listdir(tmp_path) == ["secrets"]

    code, out, err = await muster(tmp_path, "migrate", env=env)
    assert code == 0, err
    assert "latest schema" in out

    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 0, err
    assert "schema up to date" in out
    assert "Configuration OK." in out
    assert sandbox.token not in out + err
    key_text = key_file.read_text()
    assert Keyring.from_file(key_file).pseudonym_key
    assert all(line.strip() not in out + err for line in key_text.splitlines() if len(line) > 40)


async def test_check_config_reports_an_unreachable_database(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = sandbox_env(
        tmp_path, sandbox, DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    env["MUSTER_ENCRYPTION_KEYS"], env["MUSTER_PSEUDONYM_KEY"] = generated_keys()
    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 1  # the README: 1 when something outside Muster could not be reached
    assert "The database could not be reached" in err
    assert "Discord" not in err
    assert "DISCORD_TOKEN: valid" in out
    assert "Traceback" not in err


def readme() -> str:
    return (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def generated_keys() -> tuple[str, str]:
    keyring = Keyring.generate()
    encoded = ",".join(
        f"{key_id}:{base64.b64encode(key).decode()}"
        for key_id, key in keyring.encryption_keys.items()
    )
    return encoded, base64.b64encode(keyring.pseudonym_key).decode()


@pytest.mark.parametrize(
    ("token", "reachable", "code", "sentence"),
    [
        ("changeme", True, 2, "DISCORD_TOKEN is a placeholder"),
        ("not-the-real-token", True, 2, "Discord says DISCORD_TOKEN is not valid"),
        (None, False, 1, "Discord could not be reached"),
        ("", True, 2, "DISCORD_TOKEN is not set"),
    ],
)
async def test_check_config_asks_discord_about_the_token(
    tmp_path: Path, sandbox: Sandbox, token: str | None, reachable: bool, code: int, sentence: str
) -> None:
    env = sandbox_env(tmp_path, sandbox)
    env["MUSTER_ENCRYPTION_KEYS"], env["MUSTER_PSEUDONYM_KEY"] = generated_keys()
    if token is not None:
        env["DISCORD_TOKEN"] = token
    if not reachable:
        env["DISCORD_API_BASE"] = "http://127.0.0.1:1/api/v10"  # nothing listens there
    status, out, err = await muster(tmp_path, "check-config", env=env)
    assert status == code, out + err
    assert sentence in err
    assert "Configuration OK" not in out
    assert "database" not in err.lower()  # a Discord problem is never told as a database one
    assert "Traceback" not in out + err
    assert os.listdir(tmp_path) == []  # no database, no folder
    assert f"exits with status {code}" in readme().split("## The command line", 1)[1]


@pytest.mark.parametrize("command", ["run", "sync-commands"])
async def test_a_placeholder_token_stops_run_before_anything_is_made(
    tmp_path: Path, sandbox: Sandbox, command: str
) -> None:
    env = sandbox_env(tmp_path, sandbox)
    env["MUSTER_ENCRYPTION_KEYS"], env["MUSTER_PSEUDONYM_KEY"] = generated_keys()
    env["DISCORD_TOKEN"] = "changeme"
    status, out, err = await muster(tmp_path, command, env=env)
    assert status == 2, out + err  # a setting to fix, as for check-config
    assert "DISCORD_TOKEN is a placeholder" in err
    assert "Traceback" not in out + err
    assert os.listdir(tmp_path) == []  # no database made first


def test_hints_name_the_python_that_runs_muster(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare `python -m bot ...` fails outside the virtual environment: hints name this one."""
    monkeypatch.setattr(sys, "executable", str(Path.cwd() / ".venv" / "bin" / "python"))
    assert muster_command("migrate") == os.path.join(".venv", "bin", "python") + " -m bot migrate"
    monkeypatch.setattr(sys, "executable", "/usr/local/bin/python3")
    assert muster_command("demo") == "/usr/local/bin/python3 -m bot demo"


@pytest.mark.empty_database
async def test_run_in_no_server_prints_the_invite_link(
    tmp_path: Path, sandbox: Sandbox, database: dict[str, Any]
) -> None:
    key_file = tmp_path / "muster.keys.json"
    Keyring.generate().write(key_file)
    env = sandbox_env(tmp_path, sandbox, **database_env(database), MUSTER_KEY_FILE=str(key_file))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    line = ""
    try:
        await sandbox.wait_until_connected(timeout=30)
        assert process.stdout is not None
        with contextlib.suppress(TimeoutError):  # then the assertion shows the output
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        process.send_signal(signal.SIGTERM)
        rest, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "isn't in any server yet" in line, rest.decode() + stderr.decode()
    assert (
        f"https://discord.com/oauth2/authorize?client_id={sandbox.application_id}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}"
    ) in line
    assert (  # and the link that adds Muster to a member's own account (a user install)
        f"https://discord.com/oauth2/authorize?client_id={sandbox.application_id}"
        "&scope=applications.commands&integration_type=1"
    ) in line
    assert process.returncode == 0


@only_sqlite
async def test_second_process_on_the_same_sqlite_file_is_refused(
    tmp_path: Path, make_settings: Callable[..., Settings], database: dict[str, Any]
) -> None:
    settings = make_settings()
    engine = create_engine(settings)
    holder = InstanceLock(settings, engine)
    await holder.acquire()
    try:
        code, _, err = await muster(
            tmp_path, "migrate", env=clean_env(tmp_path, **database_env(database))
        )
    finally:
        await holder.release()
        await engine.dispose()
    assert code == 2
    assert "Another Muster process is already using" in err


@pytest.mark.empty_database
async def test_run_serves_the_sandbox_and_stops_cleanly_on_sigterm(
    tmp_path: Path, world: World, database: dict[str, Any]
) -> None:
    key_file = tmp_path / "muster.keys.json"
    Keyring.generate().write(key_file)
    env = clean_env(
        tmp_path,
        **database_env(database),
        DISCORD_TOKEN=world.sandbox.token,
        DISCORD_API_BASE=world.sandbox.api_base,
        DISCORD_GATEWAY_URL=world.sandbox.gateway_url,
        DEV_GUILD_ID=str(world.guild.id),
        MUSTER_KEY_FILE=str(key_file),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await world.sandbox.wait_until_connected(timeout=30)
        await world.sandbox.wait_for(
            lambda: bool(world.sandbox.guild_commands.get(world.guild.id)),
            timeout=30,
            what="command sync",
        )
        result = await world.sandbox.slash(world.member, world.general, "about", timeout=10)
        assert "Veterans Crisis Line" in result.text
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert "oauth2/authorize" not in stdout.decode() + log  # it is in a server: no invite
    assert process.returncode == 0, log
    assert "Applying database migrations" in log
    assert "Received SIGTERM; shutting down" in log
    assert "Muster stopped" in log
    assert "Traceback" not in log
    assert world.sandbox.token not in log


async def test_no_command_and_no_token_runs_the_demo(tmp_path: Path) -> None:
    code, out, err = await muster(tmp_path, env=clean_env(tmp_path), timeout=90)
    assert code == 0, err
    assert "Muster demo" in out
    assert "> Alex runs /about" in out
    assert "Dial 988 then press 1" in out
    assert "> Alex runs /help" in out
    assert "Call 1-877-424-3838" in out  # found despite the typo "homless"
    assert "Imported district-meetings.json: 4 new" in out
    assert "Veterans Online Recovery" in out
    assert "(It pinged only @Cohort, not @everyone.)" in out
    assert "Going: 2 · Maybe: 0 · Can't make it: 0" in out
    assert "Court date: 1 day to go" in out
    assert "Make a plan" in out
    assert "Added 2 step(s), as your prescriber set it" in out  # the taper scene
    assert "Today your plan says: 25 mg, as your prescriber set it." in out
    assert "[Symptom check (optional)] [Skip]" in out
    assert "Saved, privately: Insomnia or vivid dreams, Imbalance or dizziness" in out
    assert "**PHQ-8** (depression): **5** out of 24, in the published band **mild**." in out
    assert "[attachment: visit-packet.pdf" in out  # the packet scene
    assert "  : Visit summary: A." in out
    assert "  : 1. Is the dizziness from the step down?" in out
    assert "Demo finished" in out
    assert "Traceback" not in out + err
    assert not (tmp_path / "data").exists(), "the demo must not leave a database behind"
