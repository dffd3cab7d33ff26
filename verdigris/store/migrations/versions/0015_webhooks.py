"""Webhooks: subscriptions, the outbox written with each change, the delivery inbox

Revision ID: 0015_webhooks
Revises: 0014_people_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_webhooks"
down_revision = "0014_people_search"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("custom_field_computed_values", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("signing_secret", sa.String(64), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_webhook_subscriptions_topic", "webhook_subscriptions", ["account_id", "type", "event"]
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=True),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("delivery_id", sa.String(36), nullable=True),
        sa.Column("replay_of", sa.BigInteger(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_outbox_state", "webhook_outbox", ["state", "id"])
    op.create_index("ix_webhook_outbox_subscription", "webhook_outbox", ["subscription_id"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("request_headers", sa.Text(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("replay_of", sa.BigInteger(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_attempts_account", "webhook_attempts", ["account_id", "id"])
    op.create_table(
        "webhook_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_lease")
    op.drop_index("ix_webhook_attempts_account", "webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_outbox_subscription", "webhook_outbox")
    op.drop_index("ix_webhook_outbox_state", "webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_index("ix_webhook_subscriptions_topic", "webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
