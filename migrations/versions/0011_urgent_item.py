"""urgent_item: distress messages and complaints staff follow up (issue 13).

Revision ID: 0011_urgent_item
Revises: 0007_merge_event_window
"""
from alembic import op
import sqlalchemy as sa
import bot.db

revision = "0011_urgent_item"
down_revision = "0007_merge_event_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "urgent_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("matched", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("action_taken", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_urgent_item_open", "urgent_item", ["handled_at", "priority"])
    op.create_index("ix_urgent_item_who", "urgent_item", ["openid", "category"])


def downgrade() -> None:
    op.drop_index("ix_urgent_item_who", table_name="urgent_item")
    op.drop_index("ix_urgent_item_open", table_name="urgent_item")
    op.drop_table("urgent_item")
