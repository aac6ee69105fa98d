"""Command line: `python -m bot [run|demo|migrate|check-config|sync-commands|generate-keys|
purge-guild|reencrypt|rotate-pseudonym-key]`.

With no command, Muster runs against Discord when DISCORD_TOKEN is set, and otherwise
runs the local sandbox demo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from bot.commandline import muster_command
from bot.config import Settings, load_settings
from bot.errors import TOKEN_REJECTED, ConfigError
from bot.keys import Keyring, looks_like_placeholder
from bot.logsetup import configure_logging

if TYPE_CHECKING:
    from bot.services.key_rotation import KeyRotation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="muster", description="Muster, a peer-support group bot.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="connect to Discord and serve (needs DISCORD_TOKEN)")
    demo = commands.add_parser("demo", help="walk through Muster against a local Discord stand-in")
    demo.add_argument(
        "--quiet-logs", action="store_true", help="hide log lines, show only the transcript"
    )
    demo.add_argument(
        "--html",
        type=Path,
        metavar="PATH",
        help="also write the walk-through as one web page, drawn like Discord, to PATH",
    )
    demo.add_argument(
        "--zone",
        type=_zone,
        metavar="ZONE",
        help="show times in this IANA time zone, e.g. Europe/London "
        "(default: the demo group's, America/New_York)",
    )
    commands.add_parser("migrate", help="apply pending database migrations, then exit")
    commands.add_parser("check-config", help="check settings, keys and database, then exit")
    sync = commands.add_parser("sync-commands", help="publish slash commands to Discord")
    sync.add_argument(
        "--guild", type=int, help="sync to one server only (instant) instead of globally"
    )
    purge = commands.add_parser(
        "purge-guild", help="delete everything Muster holds for one server, now"
    )
    purge.add_argument("guild_id", type=int)
    commands.add_parser(
        "reencrypt", help="rewrite stored text under the current key (after adding a new one)"
    )
    commands.add_parser(
        "rotate-pseudonym-key",
        help="replace the pseudonym key in MUSTER_KEY_FILE and re-tag the rows it finds",
    )
    keys = commands.add_parser(
        "generate-keys", help="write a new key file (keep it outside the repo)"
    )
    keys.add_argument("path", type=Path)
    args = parser.parse_args(argv)

    try:
        return _dispatch(args)
    except ConfigError as error:
        print(f"muster: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(
            f"muster: the database could not be used ({type(error).__name__}); check DATABASE_URL "
            "and that the database server is running.",
            file=sys.stderr,
        )
        return 1
    except aiohttp.ClientConnectionError:
        print(
            "muster: Discord could not be reached: check this machine's internet connection "
            "(or DISCORD_API_BASE).",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(
            f"muster: {error.strerror or error}; check the addresses and paths in your settings.",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "generate-keys":
        Keyring.generate().write(args.path)
        print(
            f"Wrote a new key file to {args.path} (readable by you only). "
            f"Set MUSTER_KEY_FILE={args.path} and keep a backup: "
            "without it, stored notes cannot be read."
        )
        return 0
    if command == "demo":
        return _demo(quiet_logs=args.quiet_logs, html=args.html, zone=args.zone)
    settings = load_settings()
    if command is None:
        if settings.discord_token is None:
            return _demo(quiet_logs=False)
        command = "run"
    configure_logging(settings.log_level)
    if command in ("run", "sync-commands"):
        _refuse_a_placeholder_token(settings)
    if command == "run":
        from bot.runtime import serve

        asyncio.run(serve(settings))
        return 0
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "check-config":
        return asyncio.run(_check_config(settings))
    if command == "sync-commands":
        return asyncio.run(_sync_commands(settings, args.guild))
    if command in ("purge-guild", "reencrypt", "rotate-pseudonym-key"):
        return asyncio.run(_maintenance(settings, command, getattr(args, "guild_id", None)))
    raise AssertionError(f"unhandled command {command}")


def _refuse_a_placeholder_token(settings: Settings) -> None:
    """Before anything is created: a token like `changeme` is a setting to fix (exit 2)."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if token and looks_like_placeholder(token):
        raise ConfigError(
            "DISCORD_TOKEN is a placeholder: copy your bot's token from the developer portal "
            "(Bot > Reset Token)."
        )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{name!r} is not a time zone I know; try one like America/Chicago or Europe/London"
        ) from None


def _demo(*, quiet_logs: bool, html: Path | None = None, zone: ZoneInfo | None = None) -> int:
    from bot.demo import run_demo  # imported late: only the demo needs the sandbox

    return asyncio.run(run_demo(show_logs=not quiet_logs, html=html, zone=zone))


async def _migrate(settings: Settings) -> int:
    from bot.db.engine import create_engine
    from bot.db.instance_lock import InstanceLock
    from bot.runtime import apply_migrations

    try:
        keyring: Keyring | None = Keyring.from_settings(settings)
    except ConfigError:
        keyring = None  # enough for an empty database; a migration that needs keys says so
    engine = create_engine(settings)
    lock = InstanceLock(settings, engine)
    try:
        await lock.acquire()
        await apply_migrations(engine, keyring)
    finally:
        await lock.release()
        await engine.dispose()
    print("Database is at the latest schema.")
    return 0


async def _maintenance(settings: Settings, command: str, guild_id: int | None) -> int:
    """Operator maintenance on a migrated database, under the instance lock."""
    from bot.clock import SystemClock
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.instance_lock import InstanceLock
    from bot.runtime import apply_migrations
    from bot.services import key_checks
    from bot.services.checkins import Spool, spool_folder
    from bot.services.key_rotation import KeyRotation
    from bot.services.retention import RetentionService

    keyring = Keyring.from_settings(settings)
    engine = create_engine(settings)
    lock = InstanceLock(settings, engine)
    try:
        await lock.acquire()
        await apply_migrations(engine, keyring)
        sessions = create_session_factory(engine)
        spool = Spool(spool_folder(settings), keyring)
        rotation = KeyRotation(sessions, SystemClock(), keyring, spool)
        if command == "purge-guild" and guild_id is not None:
            counts = await RetentionService(sessions, SystemClock(), keyring).purge_guild(guild_id)
            removed = ", ".join(f"{count} from {table}" for table, count in counts.items() if count)
            print(f"Purged server {guild_id}: {removed or 'nothing was stored'}.")
        elif command == "rotate-pseudonym-key":
            if settings.muster_key_file is None:
                raise ConfigError(
                    "rotate-pseudonym-key rewrites the key file, so it needs MUSTER_KEY_FILE "
                    "(keys from the environment: move them into a key file first)."
                )
            # The key being replaced must be the one the data was written with.
            await key_checks.verify_and_record(sessions, keyring, SystemClock(), spool)
            return await _rotate_pseudonym_key(settings.muster_key_file, rotation)
        else:
            # Rotation: the new current key is recorded, and a wrong key refused, first.
            await key_checks.verify_and_record(sessions, keyring, SystemClock(), spool)
            report = await rotation.reencrypt()
            if not report.unreadable:
                await key_checks.forget_retired(sessions, keyring)
            print(
                f"Re-encrypted {report.reencrypted} value(s) under key {keyring.current_key_id!r}; "
                f"{report.already_current} already were; {report.unreadable} could not be read "
                "with the configured keys."
            )
            if report.unreadable:
                return 1
            print("The older keys are no longer needed and can be removed from the key file.")
    finally:
        await lock.release()
        await engine.dispose()
    return 0


async def _rotate_pseudonym_key(path: Path, rotation: KeyRotation) -> int:
    """The new key file is written beside the old one first, then the database records it,
    then the new file takes the old one's place (the old is kept as .previous). Interrupted
    after the recording, the new key is in the .new file."""
    fresh = path.with_name(path.name + ".new")
    new = rotation.rotate_pseudonym_key()
    new.write(fresh)
    try:
        await rotation.apply_pseudonym_key(new)
    except BaseException:
        fresh.unlink()
        raise
    os.replace(path, path.with_name(path.name + ".previous"))
    os.replace(fresh, path)
    print(
        f"New pseudonym key in {path} (the old file is {path.name}.previous). "
        "Start Muster again with the new file, "
        "then delete the .previous file once you have a backup of the new one."
    )
    return 0


# check-config's exit statuses, as the README gives them.
SETTING_TO_FIX = 2  # a setting must change: a missing or refused token, missing or wrong keys
UNREACHABLE = 1  # something outside Muster could not be reached: the database, or Discord


async def _check_config(settings: Settings) -> int:
    """Check the token (asking Discord), the keys and the database; create nothing. Each
    problem is one sentence saying what to do; database and Discord failures differ."""
    problems: list[tuple[int, str]] = []
    token = problem_with_token = None
    if settings.discord_token is not None:
        token = settings.discord_token.get_secret_value().strip() or None
    if token is None:
        print("DISCORD_TOKEN: not set (only the demo can run)")
        problem_with_token = (
            SETTING_TO_FIX,
            "DISCORD_TOKEN is not set: `run` needs your bot's token from the developer portal.",
        )
    elif looks_like_placeholder(token):
        print("DISCORD_TOKEN: a placeholder, not a real token")
        problem_with_token = (
            SETTING_TO_FIX,
            "DISCORD_TOKEN is a placeholder: copy your bot's token from the developer portal "
            "(Bot > Reset Token).",
        )
    else:
        problem_with_token = await _check_token(settings, token)
    if problem_with_token is not None:
        problems.append(problem_with_token)
    keyring: Keyring | None = None
    try:
        keyring = Keyring.from_settings(settings)
        print(
            f"Keys: loaded; {len(keyring.encryption_keys)} encryption key(s), "
            f"new writes use {keyring.current_key_id!r}"
        )
    except ConfigError as error:
        problems.append((SETTING_TO_FIX, str(error)))
    problems += await _check_database(settings, keyring)
    for _, problem in problems:
        print(f"Problem: {problem}", file=sys.stderr)
    if not problems:
        print("Configuration OK.")
        return 0
    return max(code for code, _ in problems)


async def _check_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """Ask Discord (or DISCORD_API_BASE) whether the token is a bot's, as `run` would log in."""
    import aiohttp
    import discord

    from bot.app import point_discord_at

    point_discord_at(settings)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        async with asyncio.timeout(20):
            await http.static_login(token)
            application = await http.application_info()
    except discord.LoginFailure:
        print("DISCORD_TOKEN: refused by Discord")
        return (
            SETTING_TO_FIX,
            "Discord says DISCORD_TOKEN is not valid: copy it again from the developer portal "
            "(Bot > Reset Token).",
        )
    except (aiohttp.ClientError, OSError, TimeoutError, discord.HTTPException) as error:
        print("DISCORD_TOKEN: not checked (Discord could not be reached)")
        return (
            UNREACHABLE,
            f"Discord could not be reached ({type(error).__name__}), so the token was not "
            "checked: check this machine's internet connection (or DISCORD_API_BASE, if set).",
        )
    finally:
        await http.close()
    print(f"DISCORD_TOKEN: valid (application {application['id']}, {application['name']})")
    return None


async def _check_database(settings: Settings, keyring: Keyring | None) -> list[tuple[int, str]]:
    """Look at the database without creating it: a SQLite file that isn't there yet is fine
    (`migrate` or `run` makes it) and stays not there."""
    from bot.db import migrate
    from bot.db.engine import create_engine, create_session_factory, sqlite_path
    from bot.services import key_checks
    from bot.services.checkins import Spool, spool_folder

    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        print(
            f"Database: {path} doesn't exist yet; `{muster_command('migrate')}` (or `run`) "
            "creates it"
        )
        return []
    problems: list[tuple[int, str]] = []
    engine = create_engine(settings)
    try:
        current = await migrate.current_revision(engine)
        head = migrate.head_revision()
        if current == head:
            state = "schema up to date"
        elif current is None:
            state = f"no tables yet (run `{muster_command('migrate')}`)"
        else:
            state = f"schema at {current}, {head} is newer (run `{muster_command('migrate')}`)"
        print(f"Database: reachable ({engine.dialect.name}); {state}")
        if keyring is not None and current == head:
            async with create_session_factory(engine)() as session:
                stored = await key_checks.stored_checks(session)
            folder = spool_folder(settings)
            mismatched = key_checks.mismatches(stored, key_checks.configured_checks(keyring))
            if folder.exists():  # looking must not make the folder
                mismatched += key_checks.spool_mismatches(Spool(folder, keyring), keyring)
            if mismatched:
                problems.append((SETTING_TO_FIX, key_checks.refusal(mismatched)))
            elif stored:
                print("Keys: match the ones the stored data was written with")
            else:
                print("Keys: not recorded yet; the first start records their check values")
    except (SQLAlchemyError, OSError) as error:
        problems.append(
            (
                UNREACHABLE,
                f"The database could not be reached ({type(error).__name__}): check "
                "DATABASE_URL and that the database server is running.",
            )
        )
    finally:
        await engine.dispose()
    return problems


async def _sync_commands(settings: Settings, guild_id: int | None) -> int:
    import discord

    from bot.app import MusterBot, point_discord_at
    from bot.clock import SystemClock
    from bot.db.engine import create_engine, create_session_factory
    from bot.services import build_services

    token = settings.require_token()
    point_discord_at(settings)
    engine = create_engine(settings)
    # Publishing commands reads no member data, so throwaway keys are enough here.
    services = build_services(create_session_factory(engine), Keyring.generate(), SystemClock())
    bot = MusterBot(settings=settings, services=services)
    try:
        await bot.login(token)
        if guild_id is not None:
            target = discord.Object(guild_id)
            bot.tree.copy_global_to(guild=target)
            synced = await bot.tree.sync(guild=target)
            print(f"Synced {len(synced)} commands to that server; they are usable now.")
        else:
            synced = await bot.tree.sync()
            print(
                f"Synced {len(synced)} global commands; "
                "Discord may take up to an hour to show them."
            )
    except discord.LoginFailure:
        raise ConfigError(TOKEN_REJECTED) from None
    finally:
        await bot.close()
        await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
