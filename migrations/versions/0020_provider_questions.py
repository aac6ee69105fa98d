"""The member's "questions for my provider", for the visit packet (issue 14)

Each question is found by its sealed owner and its text is encrypted, like the medication log.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.LargeBinary(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("text_encrypted", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_questions")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_provider_questions_request_digest")),
    )


def downgrade() -> None:
    op.drop_table("provider_questions")
