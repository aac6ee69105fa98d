"""Apply and inspect Alembic migrations from inside the bot (and from tests).

Alembic costs about 12 MB of memory once imported, so it is imported only when there is
something to migrate: at start-up the schema's revision is read with one query and compared
with SCHEMA_HEAD (a test keeps that constant equal to the newest migration).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

    from bot.keys import Keyring

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_HEAD = "0027"


def alembic_config(connection: Connection | None = None, keyring: Keyring | None = None) -> Config:
    from alembic.config import Config  # see the module docstring

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    if keyring is not None:
        # Data migrations that re-encrypt (0007) use the bot's own keys.
        config.attributes["keyring"] = keyring
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory  # see the module docstring

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None for an empty database."""
    async with engine.connect() as connection:
        try:
            found = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except (OperationalError, ProgrammingError):  # no alembic_version table yet
            return None
        return None if found is None else str(found)


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, keyring: Keyring | None = None
) -> None:
    from alembic import command  # see the module docstring

    await _run(engine, lambda config: command.upgrade(config, revision), keyring)


async def downgrade(engine: AsyncEngine, revision: str, *, keyring: Keyring | None = None) -> None:
    from alembic import command  # see the module docstring

    await _run(engine, lambda config: command.downgrade(config, revision), keyring)


async def check(engine: AsyncEngine) -> None:
    """Raise if the models and the migrated schema differ."""
    from alembic import command  # see the module docstring

    await _run(engine, command.check)


# Several processes may start at once on PostgreSQL; only one migrates at a time.
MIGRATION_LOCK_KEY = 0x6D75737465720001


async def _run(
    engine: AsyncEngine, action: Callable[[Config], object], keyring: Keyring | None = None
) -> None:
    def run(connection: Connection) -> None:
        action(alembic_config(connection, keyring))

    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(run)
        await connection.commit()
