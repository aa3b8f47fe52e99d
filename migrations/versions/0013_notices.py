"""notices: urgent flag and hold reason (quiet hours, quota), the residents each notice was sent to

Revision ID: 0013_notices
Revises: 0007_merge_event_window
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_notices"
down_revision = "0007_merge_event_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("hold_reason", sa.String(length=200), nullable=True))
    op.create_table(
        "notice_recipient",
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notice.id", ondelete="CASCADE"), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", "openid"),
    )
    op.create_index("ix_notice_recipient_openid", "notice_recipient", ["openid"])


def downgrade() -> None:
    op.drop_index("ix_notice_recipient_openid", table_name="notice_recipient")
    op.drop_table("notice_recipient")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("hold_reason")
        batch.drop_column("urgent")
