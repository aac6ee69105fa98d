"""Assembles a running Muster: lock, migrations, engine, services and bot, torn down in reverse."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import discord
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import MusterBot, point_discord_at
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import (
    SessionFactory,
    create_engine,
    create_read_engine,
    create_session_factory,
)
from bot.db.instance_lock import InstanceLock
from bot.errors import TOKEN_REJECTED, ConfigError
from bot.keys import Keyring
from bot.scheduling.alarm import Alarm, APSchedulerAlarm
from bot.scheduling.dispatcher import Dispatcher
from bot.scheduling.runner import Scheduler
from bot.scheduling.store import new_worker_id
from bot.services import KINDS, Services, build_services, key_checks
from bot.services.checkins import Spool, spool_folder

log = logging.getLogger(__name__)

# How often a PostgreSQL process checks that it still holds its shard lock (R22).
LOCK_CHECK_SECONDS = 10.0


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    services: Services
    bot: MusterBot
    # Sessions on the primary database, for what reads back the stored state (tests, tools).
    sessions: SessionFactory


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    keyring: Keyring,
    *,
    clock: Clock | None = None,
    alarm: Alarm | None = None,
    guild_ready_timeout: float = 2.0,
) -> AsyncIterator[Runtime]:
    """Take the instance lock, apply migrations, then build the bot. Everything stops on exit."""
    point_discord_at(settings)
    engine = create_engine(settings)
    read_engine = create_read_engine(engine, settings)
    worker_id = new_worker_id()
    lock = InstanceLock(settings, engine, worker_id=worker_id)
    try:
        await lock.acquire()
        await apply_migrations(engine, keyring)
        clock = clock or SystemClock()
        sessions = create_session_factory(engine)
        spool = Spool(spool_folder(settings), keyring)
        await key_checks.verify_and_record(sessions, keyring, clock, spool)  # R28, before use
        spool.open()
        services = build_services(
            sessions,
            keyring,
            clock,
            lease=timedelta(seconds=settings.scheduler_lease_seconds),
            worker_id=worker_id,
            spool=spool,
            reads=sessions if read_engine is None else create_session_factory(read_engine),
        )
        services.checkins.replay_held()  # R29: what a stopped or crashed process held
        scheduler = services.scheduler
        await scheduler.check_clock(force=True)
        await take_up_orphans(scheduler, lock)
        dispatcher = Dispatcher(services.scheduler, clock, alarm or APSchedulerAlarm(), kinds=KINDS)
        health = None
        if settings.health_port is not None:
            from bot.health import Health  # only operators who ask load it

            health = Health(engine, clock)
        bot = MusterBot(
            settings=settings,
            services=services,
            dispatcher=dispatcher,
            health=health,
            guild_ready_timeout=guild_ready_timeout,
        )
        if health is not None and settings.health_port is not None:
            health.bot = bot
            bot.limiter.on_wait = health.rate_limit_waits.observe
            await health.start(settings.health_host, settings.health_port)
            log.info("Health and metrics on http://%s:%d/", settings.health_host, health.port)
        # On PostgreSQL a process that dies beside this one leaves claims too: each check of
        # the lock also takes those up (they would otherwise wait out their lease).
        watcher = asyncio.get_running_loop().create_task(
            lock.watch(
                bot.close,
                LOCK_CHECK_SECONDS,
                then=None if settings.is_sqlite else lambda: take_up_orphans(scheduler, lock),
            )
        )
        try:
            yield Runtime(settings, engine, services, bot, sessions)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            if not bot.is_closed():
                await bot.close()
            if health is not None:
                await health.stop()
    finally:
        await lock.release()
        if read_engine is not None:
            await read_engine.dispose()
        await engine.dispose()


async def take_up_orphans(scheduler: Scheduler, lock: InstanceLock) -> int:
    """Deliveries claimed by a process that is gone are made claimable now, not after their
    lease, so a re-send falls well inside Discord's few-minute nonce window."""
    orphans = await scheduler.release_orphans(await lock.dead_workers(await scheduler.claimants()))
    if orphans:
        log.info("Took up %d deliveries left claimed by a stopped process", orphans)
    return orphans


async def apply_migrations(engine: AsyncEngine, keyring: Keyring | None = None) -> None:
    before = await migrate.current_revision(engine)
    head = migrate.SCHEMA_HEAD
    if before == head:
        log.info("Database schema is up to date (%s)", head)
        return
    log.info("Applying database migrations: %s -> %s", before or "empty", head)
    await migrate.upgrade(engine, keyring=keyring)
    log.info("Migrations applied")


async def serve(settings: Settings) -> None:
    """`run`: connect to Discord (or whatever DISCORD_API_BASE points at) until SIGTERM/SIGINT."""
    token = settings.require_token()
    keyring = Keyring.from_settings(settings)
    async with open_runtime(settings, keyring) as runtime:
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task[None]] = []

        def request_stop(signame: str) -> None:
            log.info("Received %s; shutting down", signame)
            if not stopping:
                stopping.append(loop.create_task(runtime.bot.close()))

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, request_stop, sig.name)
        try:
            await runtime.bot.start(token)
        except discord.LoginFailure:
            raise ConfigError(TOKEN_REJECTED) from None
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            if stopping:
                await stopping[0]
    log.info("Muster stopped")
