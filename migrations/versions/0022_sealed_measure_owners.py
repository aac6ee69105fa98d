"""Measure opt-ins found by a sealed owner (issue 14, R23)

`measure_optins.user_id` was in the clear: a dump listed every member who takes a
questionnaire, and how many. Each opt-in now carries `owner`, the member's identity sealed
with a fresh nonce and padded like every other member table's (bot/services/ownership.py),
and the service finds a member's opt-ins by opening those. Existing rows are converted: their
user id is read, sealed into `owner`, and the column dropped. The way down opens the owners
again, so it needs the same keys.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from bot.keys import Keyring

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_optins"
_meta = sa.MetaData()
OPTINS = sa.Table(
    TABLE, _meta,
    sa.Column("id", sa.Integer), sa.Column("user_id", sa.BigInteger),
    sa.Column("owner", sa.LargeBinary),
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
            f"Migration 0022 seals the owners of stored measure opt-ins and needs the keys: {error}"
        ) from None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.LargeBinary(), nullable=True))
    found = list(bind.execute(sa.select(OPTINS.c.id, OPTINS.c.user_id)))
    if found:
        from bot.services.ownership import Owners

        owners = Owners(_keyring())
        for optin_id, user_id in found:
            bind.execute(
                OPTINS.update()
                .where(OPTINS.c.id == optin_id)
                .values(owner=owners.seal_user(TABLE, int(user_id)))
            )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("owner", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_measure_optins_user_id"))
        batch_op.drop_column("user_id")


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
    found = list(bind.execute(sa.select(OPTINS.c.id, OPTINS.c.owner)))
    if found:
        from bot.services.ownership import Owners

        owners = Owners(_keyring())
        for optin_id, owner in found:
            identity = owners.identity_of(TABLE, owner) or ""
            if not identity.startswith("u:"):  # unreadable: nothing to prompt it for
                bind.execute(OPTINS.delete().where(OPTINS.c.id == optin_id))
                continue
            bind.execute(
                OPTINS.update().where(OPTINS.c.id == optin_id).values(user_id=int(identity[2:]))
            )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(batch_op.f("ix_measure_optins_user_id"), ["user_id"], unique=False)
        batch_op.drop_column("owner")
