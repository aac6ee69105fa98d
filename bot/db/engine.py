"""Engine and session factory, tuned per backend (R13 for SQLite, R14 for PostgreSQL)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import Settings

log = logging.getLogger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]
# What a database call raises when the database, not the request, is the trouble: named
# here so that code above the services catches it without importing SQLAlchemy.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)

# Stated beside every durability figure in bench/: see _create_sqlite_engine.
SQLITE_SYNCHRONOUS = "NORMAL"
READ_CONNECTIONS = 1  # hot reads are batched (see CheckinService): one is enough


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL, or None for other backends."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    return Path(parsed.database).resolve()


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite"):
        return _create_sqlite_engine(url, settings.sqlite_busy_timeout_ms, reads_only=False)
    return _create_postgres_engine(url, settings)


def insert_for(session: AsyncSession) -> Any:
    """The dialect's own INSERT, for ON CONFLICT and RETURNING (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


async def checkpoint_log(sessions: SessionFactory) -> None:
    """SQLite: copy the write-ahead log into the database file and empty it (TRUNCATE). The
    log keeps every commit since the last checkpoint, in order, and a copy of the files
    (`cp muster.db*` while the bot runs) carries it: called right after the commits that
    write a named mentor request, so a later copy cannot tell which commits came just
    before it. Best effort: a reader still on an older snapshot makes it wait (the busy
    timeout), then give up for this time; nothing else depends on it. PostgreSQL: nothing."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            if driver is not None:  # aiosqlite's connection, outside any transaction
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                await cursor.close()
    except (SQLAlchemyError, OSError, sqlite3.Error) as error:
        log.warning("Could not checkpoint the write-ahead log (%s)", type(error).__name__)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    # Objects stay usable after commit: services hand out plain values, never live rows.
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_engine(engine: AsyncEngine, settings: Settings) -> AsyncEngine | None:
    """On SQLite, a second engine for reads that must never wait behind the writer: its
    transactions are plain (deferred) BEGIN, which under WAL read a snapshot without taking
    the write lock, and the connection refuses to write. None on PostgreSQL, whose MVCC
    reads never wait on writers in the first place."""
    url = engine.url
    if not url.drivername.startswith("sqlite"):
        return None
    return _create_sqlite_engine(url, settings.sqlite_busy_timeout_ms, reads_only=True)


def _create_sqlite_engine(url: URL, busy_timeout_ms: int, *, reads_only: bool) -> AsyncEngine:
    path = sqlite_path(url)
    if path is None:
        raise ValueError("Muster needs a SQLite file, not an in-memory database")
    path.parent.mkdir(parents=True, exist_ok=True)
    # One writing connection: several on one SQLite file only add lock waits. The reading
    # engine takes no lock, so its connection runs beside the writer's.
    engine = create_async_engine(
        url,
        pool_size=READ_CONNECTIONS if reads_only else 1,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"timeout": busy_timeout_ms / 1000},
        hide_parameters=True,  # a logged error never shows what a member wrote (R24)
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control so that every transaction can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # WAL with synchronous=NORMAL: a commit survives the process crashing, but the last
        # commits before a power loss or OS crash may be lost (FULL would fsync every commit).
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        # A deleted row's bytes are overwritten, not left in a free page of the file: a copy
        # of the files keeps no past time or value of a row that was sealed anew or removed
        # (many SQLite builds leave them by default).
        cursor.execute("PRAGMA secure_delete=ON")
        if reads_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers state their intent up front, so a transaction never fails half-way on lock
        # upgrade; readers BEGIN plainly and take no lock at all under WAL.
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


def _create_postgres_engine(url: URL, settings: Settings) -> AsyncEngine:
    server_settings = {
        "statement_timeout": str(settings.postgres_statement_timeout_ms),
        # Per schema, so that one deployment's connections can be told from another's on a
        # shared server (and a test that kills its own connections kills no one else's).
        "application_name": (
            f"muster-{settings.database_schema}" if settings.database_schema else "muster"
        ),
    }
    if settings.database_schema:
        server_settings["search_path"] = settings.database_schema
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=5,
        pool_recycle=1800,
        connect_args={"server_settings": server_settings, "command_timeout": 60},
        hide_parameters=True,  # a logged error never shows what a member wrote (R24)
    )
