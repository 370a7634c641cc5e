"""partner registrations, withdrawal notes, erasure requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = ("nouvelle", "contactee", "entretien", "active", "retiree")


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="registrationstatus", native_enum=False, length=16, create_constraint=False),
            nullable=False,
        ),
        sa.Column("prenom", sa.String(length=50), nullable=False),
        sa.Column("nom", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("telephone", sa.String(length=20), nullable=True),
        sa.Column("profil", sa.String(length=16), nullable=False),
        sa.Column("domaines", sa.JSON(), nullable=False),
        sa.Column("experience", sa.Text(), nullable=True),
        sa.Column("disponibilites", sa.String(length=200), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_notice_version", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("session_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("reference", name=op.f("uq_registrations_reference")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_registrations_idempotency_key")),
        sa.UniqueConstraint("email_key", name=op.f("uq_registrations_email_key")),
    )
    op.create_table(
        "withdrawal_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_notes")),
    )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )


def downgrade() -> None:
    op.drop_table("erasure_requests")
    op.drop_table("withdrawal_notes")
    op.drop_table("registrations")
