"""aid_station, aid_stock, aid_loan, aid_wait: borrowing assistive devices (共享辅具驿站, issue 18).

Revision ID: 0017_aids
Revises: 0016_entitlement_shown
"""
from alembic import op
import sqlalchemy as sa
import bot.db

revision = "0017_aids"
down_revision = "0016_entitlement_shown"
branch_labels = None
depends_on = None

HOLDING = sa.text("status IN ('reserved', 'picked_up')")
WAITING = sa.text("status IN ('waiting', 'offered')")


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, bot.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "aid_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("town", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("hours", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        _when("created_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_aid_station_town", "aid_station", ["town"])
    op.create_table(
        "aid_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("aid_station.id"), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=200), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("available >= 0 AND available <= count", name="ck_aid_stock_available"),
        sa.UniqueConstraint("station_id", "device", name="uq_aid_stock_device"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "aid_loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False, unique=True),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("resident_key", sa.String(length=80), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("aid_station.id"), nullable=False),
        sa.Column("stock_id", sa.Integer(), sa.ForeignKey("aid_stock.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pickup_by", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        _when("picked_up_at"),
        _when("ended_at"),
        sa.Column("extended", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("marked_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _when("created_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_aid_loan_openid", "aid_loan", ["openid"])
    op.create_index("ix_aid_loan_status", "aid_loan", ["status"])
    op.create_index("uq_aid_loan_active", "aid_loan", ["resident_key", "device"], unique=True,
                    sqlite_where=HOLDING, postgresql_where=HOLDING)
    op.create_table(
        "aid_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("resident_key", sa.String(length=80), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("town", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("offered_at"),
        _when("created_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_aid_wait_openid", "aid_wait", ["openid"])
    op.create_index("uq_aid_wait_active", "aid_wait", ["resident_key", "device"], unique=True,
                    sqlite_where=WAITING, postgresql_where=WAITING)


def downgrade() -> None:
    op.drop_table("aid_wait")
    op.drop_table("aid_loan")
    op.drop_table("aid_stock")
    op.drop_index("ix_aid_station_town", table_name="aid_station")
    op.drop_table("aid_station")
