"""A taper step's date, sealed (issue 14)

`taper_steps.step_on` kept each step's date in the clear beside its sealed dose: a dump
read the plan's schedule without any key. Each step now keeps its date in `day`, encrypted
and padded to one length; the service opens a member's steps (at most 60) and filters them
by date. Existing rows are converted: their date is read, sealed into `day`, and the column
dropped. The way down opens the dates again, so it needs the same keys; a step no key
opens cannot be given its date back and is left out.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import context, op

from bot.keys import Keyring

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "taper_steps"
KEEP = {"sqlite_autoincrement": True}  # a step's id is never reused (see 0018)
_meta = sa.MetaData()
STEPS = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer), sa.Column("request_digest", sa.String),
    sa.Column("step_on", sa.Date), sa.Column("day", sa.LargeBinary),
)  # fmt: skip


def _keyring() -> Keyring:
    given = context.config.attributes.get("keyring")
    if isinstance(given, Keyring):
        return given
    from bot.config import load_settings
    from bot.errors import ConfigError

    try:
        return Keyring.from_settings(load_settings())
    except ConfigError as error:
        raise RuntimeError(
            f"Migration 0023 seals the dates of stored taper steps and needs the keys: {error}"
        ) from None


def _context(digest: str) -> str:
    return f"taper-day:{digest}"  # bot.services.taper.service.day_context, as of 0023


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column("day", sa.LargeBinary(), nullable=True))
    found = list(bind.execute(sa.select(STEPS.c.id, STEPS.c.request_digest, STEPS.c.step_on)))
    if found:
        from bot.services.crypto import seal

        keyring = _keyring()
        for step_id, digest, on in found:
            day = on if isinstance(on, date) else date.fromisoformat(str(on))
            bind.execute(
                STEPS.update()
                .where(STEPS.c.id == step_id)
                .values(day=seal(keyring, day.isoformat(), context=_context(digest), sizes=(16,)))
            )
    with op.batch_alter_table(TABLE, schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.alter_column("day", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_taper_steps_step_on"))
        batch_op.drop_column("step_on")


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column("step_on", sa.Date(), nullable=True))
    found = list(bind.execute(sa.select(STEPS.c.id, STEPS.c.request_digest, STEPS.c.day)))
    if found:
        from bot.services.crypto import UnreadableError, unseal

        keyring = _keyring()
        for step_id, digest, sealed in found:
            try:
                on = date.fromisoformat(unseal(keyring, sealed, context=_context(digest)))
            except (UnreadableError, ValueError):
                bind.execute(STEPS.delete().where(STEPS.c.id == step_id))
                continue
            bind.execute(STEPS.update().where(STEPS.c.id == step_id).values(step_on=on))
    with op.batch_alter_table(TABLE, schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.alter_column("step_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f("ix_taper_steps_step_on"), ["step_on"], unique=False)
        batch_op.drop_column("day")
