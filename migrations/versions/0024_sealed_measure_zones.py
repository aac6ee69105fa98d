"""A measure opt-in's zone, sealed (issue 14)

`measure_optins.timezone` was in the clear, and member_settings ties a zone in the clear to
a user id: wherever members' zones differ, an opt-in's zone named its member, and its
prompts' spacing which questionnaire they take. Each opt-in now keeps its zone in `zone`,
encrypted and padded to one length. Existing rows are converted; the way down opens the
zones again, so it needs the same keys (one no key opens goes back as UTC).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from bot.keys import Keyring

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_optins"
CONTEXT, SIZES = "measure-optin-zone", (64,)  # bot/services/measures/service.py, as of 0024
_meta = sa.MetaData()
OPTINS = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer), sa.Column("timezone", sa.String),
    sa.Column("zone", sa.LargeBinary),
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
            f"Migration 0024 seals the zones of stored measure opt-ins and needs the keys: {error}"
        ) from None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("zone", sa.LargeBinary(), nullable=True))
    found = list(bind.execute(sa.select(OPTINS.c.id, OPTINS.c.timezone)))
    if found:
        from bot.services.crypto import seal

        keyring = _keyring()
        for optin_id, zone in found:
            sealed = seal(keyring, str(zone), context=CONTEXT, sizes=SIZES)
            bind.execute(OPTINS.update().where(OPTINS.c.id == optin_id).values(zone=sealed))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("zone", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("timezone")


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    found = list(bind.execute(sa.select(OPTINS.c.id, OPTINS.c.zone)))
    if found:
        from bot.services.crypto import UnreadableError, unseal

        keyring = _keyring()
        for optin_id, sealed in found:
            try:
                zone = unseal(keyring, sealed, context=CONTEXT)
            except UnreadableError:
                zone = "UTC"
            bind.execute(OPTINS.update().where(OPTINS.c.id == optin_id).values(timezone=zone))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("zone")
