"""entitlement_shown: how often each benefit of the "我能领什么" check was shown, per day (issue 17).

Revision ID: 0016_entitlement_shown
Revises: 0014_merge_wave1
"""
from alembic import op
import sqlalchemy as sa

revision = "0016_entitlement_shown"
down_revision = "0014_merge_wave1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entitlement_shown",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("benefit_id", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "benefit_id"),
    )


def downgrade() -> None:
    op.drop_table("entitlement_shown")
