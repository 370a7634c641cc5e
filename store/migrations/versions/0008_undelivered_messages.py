"""messages that arrived while the engine (or a component it needs) was down: kept, not lost

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "undelivered_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undelivered_messages")),
    )
    op.create_index(op.f("ix_undelivered_messages_session_id"), "undelivered_messages", ["session_id"])
    op.create_index(op.f("ix_undelivered_messages_received_at"), "undelivered_messages", ["received_at"])


def downgrade() -> None:
    op.drop_table("undelivered_messages")
