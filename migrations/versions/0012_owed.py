"""owed messages and call tasks; one active booking per person (ID), identity-checked flag

Revision ID: 0012_owed
Revises: 0007_merge_event_window

Backfill: bookings and waitlist entries get the person key and the verified flag of their
registration. When one person already has two active bookings (made before this change), only the
oldest gets the key, so the unique index can be built; staff still see both with a warning
(bot.booking.staff finds duplicates through the registration too).
"""
import hashlib

from alembic import op
import sqlalchemy as sa
import bot.db

revision = "0012_owed"
down_revision = "0007_merge_event_window"
branch_labels = None
depends_on = None


def _key(id_hash: str) -> str:
    return hashlib.sha256(f"person:{id_hash}".encode()).hexdigest()[:24]


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("owed", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("owed_ref", sa.String(length=40), nullable=True))
    op.create_index("ix_outbox_owed_ref", "outbox", ["owed_ref"], unique=False)
    op.create_table(
        "call_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("ref", sa.String(length=40), nullable=True),
        sa.Column("what", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("handled_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id"),
    )
    op.create_index("ix_call_task_status", "call_task", ["status", "created_at"], unique=False)
    op.create_index("ix_call_task_openid", "call_task", ["openid"], unique=False)
    op.create_index("ix_call_task_ref", "call_task", ["ref"], unique=False)
    for table in ("booking", "booking_waitlist"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("person_key", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("id_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        _backfill(table)
    op.create_index("uq_booking_active_person", "booking", ["person_key"], unique=True,
                    sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))


def _backfill(table: str) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        f"SELECT t.id, t.status, r.id_hash, r.linked_at FROM {table} t "
        "JOIN registration r ON r.id = t.registration_id ORDER BY t.id")).all()
    seen: set[str] = set()
    for row_id, status, id_hash, linked_at in rows:
        key = _key(id_hash)
        if table == "booking" and status == "booked":
            if key in seen:
                key = None  # a duplicate from before: keep it visible, leave the index buildable
            else:
                seen.add(key)
        conn.execute(sa.text(f"UPDATE {table} SET person_key = :k, id_verified = :v WHERE id = :i"),
                     {"k": key, "v": linked_at is not None, "i": row_id})


def downgrade() -> None:
    op.drop_index("uq_booking_active_person", table_name="booking")
    for table in ("booking_waitlist", "booking"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("id_verified")
            batch.drop_column("person_key")
    op.drop_table("call_task")
    op.drop_index("ix_outbox_owed_ref", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("owed_ref")
        batch.drop_column("owed")
