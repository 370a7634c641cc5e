"""messages received on messaging channels (WhatsApp first), stored before the webhook answers

One table for every channel (column ``channel``): a new channel needs no migration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATES = ("pending", "replying", "done", "failed")


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("replies", sa.Text(), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="inboundstate", native_enum=False, length=16, create_constraint=False),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_messages_message_key")),
    )
    op.create_index(op.f("ix_inbound_messages_session_id"), "inbound_messages", ["session_id"])
    op.create_index(op.f("ix_inbound_messages_state"), "inbound_messages", ["state"])
    op.create_index(op.f("ix_inbound_messages_received_at"), "inbound_messages", ["received_at"])


def downgrade() -> None:
    op.drop_table("inbound_messages")
