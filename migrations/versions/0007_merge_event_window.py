"""Merge the capability branches; follower.last_event_at (the one-minute window after a click).

Revision ID: 0007_merge_event_window
Revises: 0002_delivery, 0004_booking, 0005_jobs, 0006_admin
"""
from alembic import op
import sqlalchemy as sa
import bot.db

revision = "0007_merge_event_window"
down_revision = ("0002_delivery", "0004_booking", "0005_jobs", "0006_admin")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follower") as batch:
        batch.add_column(sa.Column("last_event_at", bot.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follower") as batch:
        batch.drop_column("last_event_at")
