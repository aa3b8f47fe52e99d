"""inbound_seen lease (claimed_until, claim_token) and callback_nonce (replayed signatures).

Revision ID: 0009_inbound_lease
Revises: 0007_merge_event_window
"""
from alembic import op
import sqlalchemy as sa
import bot.db

revision = "0009_inbound_lease"
down_revision = "0007_merge_event_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_seen") as batch:
        batch.add_column(sa.Column("claimed_until", bot.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.create_table(
        "callback_nonce",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.String(length=16), nullable=False),
        sa.Column("message_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", "timestamp"),
    )
    op.create_index("ix_callback_nonce_created_at", "callback_nonce", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_nonce_created_at", table_name="callback_nonce")
    op.drop_table("callback_nonce")
    with op.batch_alter_table("inbound_seen") as batch:
        batch.drop_column("claim_token")
        batch.drop_column("claimed_until")
