"""Migrations: head matches the models (no drift), and the way down works too."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import create_engine


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_check_downgrade_upgrade(make_settings: Callable[..., Settings]) -> None:
    engine = create_engine(make_settings())
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.head_revision() == migrate.SCHEMA_HEAD  # bump it with each migration
        assert set(Base.metadata.tables) <= await table_names(engine)
        await migrate.check(engine)  # raises when models and migrations disagree

        await migrate.downgrade(engine, "base")
        assert await table_names(engine) <= {"alembic_version"}

        await migrate.upgrade(engine)
        await migrate.check(engine)
    finally:
        await engine.dispose()
