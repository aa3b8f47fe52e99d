"""booking: assessment rounds, bookings, waitlist (上门评残)

Revision ID: 0004_booking
Revises: 0003_people
Create Date: 2026-11-28 17:20:00

The two partial unique indexes are the race guards (one active booking per resident; one open
waitlist entry per resident and round); the CHECK keeps `booked` within 0..capacity.
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0004_booking'
down_revision = '0003_people'
branch_labels = None
depends_on = None

_RESIDENT = [
    ('openid', sa.String(length=64), False), ('resident_key', sa.String(length=80), False),
    ('registration_id', sa.Integer(), True), ('name_enc', sa.Text(), True),
    ('id_masked', sa.String(length=32), True),
    ('phone_enc', sa.Text(), True), ('address_enc', sa.Text(), True), ('town', sa.String(length=32), True),
    ('category', sa.Integer(), True), ('reason', sa.String(length=16), False),
    ('reason_note', sa.String(length=200), True),
]


def _resident_columns():
    return [sa.Column(name, type_, nullable=nullable) for name, type_, nullable in _RESIDENT]


def upgrade() -> None:
    op.create_table('assessment_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('towns', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('team', sa.String(length=100), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('window_start', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name='ck_round_places'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_assessment_round_date', 'assessment_round', ['date'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    *_resident_columns(),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=200), nullable=True),
    sa.Column('marked_by', sa.String(length=64), nullable=True),
    sa.Column('marked_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('moved_from_round_id', sa.Integer(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_index('ix_booking_openid', 'booking', ['openid'], unique=False)
    op.create_index('ix_booking_resident_key', 'booking', ['resident_key'], unique=False)
    op.create_index('ix_booking_round_status', 'booking', ['round_id', 'status'], unique=False)
    op.create_index('uq_booking_active_resident', 'booking', ['resident_key'], unique=True,
                    sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))

    op.create_table('booking_waitlist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    *_resident_columns(),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('offered_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_booking_waitlist_openid', 'booking_waitlist', ['openid'], unique=False)
    op.create_index('ix_booking_waitlist_resident_key', 'booking_waitlist', ['resident_key'], unique=False)
    op.create_index('ix_booking_waitlist_round_id', 'booking_waitlist', ['round_id'], unique=False)
    op.create_index('uq_waitlist_active', 'booking_waitlist', ['round_id', 'resident_key'], unique=True,
                    sqlite_where=sa.text("status IN ('waiting', 'offered')"),
                    postgresql_where=sa.text("status IN ('waiting', 'offered')"))


def downgrade() -> None:
    op.drop_table('booking_waitlist')
    op.drop_table('booking')
    op.drop_index('ix_assessment_round_date', table_name='assessment_round')
    op.drop_table('assessment_round')
