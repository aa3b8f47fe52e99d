"""people: certificate registry records, WeChat registrations, failed identity checks

Revision ID: 0003_people
Revises: 0001_core
Create Date: 2026-11-29 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0003_people'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cert_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('business_type', sa.String(length=8), nullable=False),
    sa.Column('id_enc', sa.Text(), nullable=False),
    sa.Column('cert_enc', sa.Text(), nullable=True),
    sa.Column('name_enc', sa.Text(), nullable=False),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('name_hash', sa.String(length=64), nullable=False),
    sa.Column('id_tail', sa.String(length=4), nullable=False),
    sa.Column('cert_tail', sa.String(length=4), nullable=True),
    sa.Column('category', sa.SmallInteger(), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=True),
    sa.Column('step', sa.String(length=8), nullable=False),
    sa.Column('step_date', sa.Date(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('town', sa.String(length=32), nullable=True),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id_hash', 'business_type', name='uq_cert_record_person_business')
    )
    with op.batch_alter_table('cert_record', schema=None) as batch_op:
        batch_op.create_index('ix_cert_record_name_hash', ['name_hash'], unique=False)
        batch_op.create_index('ix_cert_record_id_tail', ['id_tail'], unique=False)
    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_enc', sa.Text(), nullable=False),
    sa.Column('cert_enc', sa.Text(), nullable=True),
    sa.Column('name_enc', sa.Text(), nullable=False),
    sa.Column('phone_enc', sa.Text(), nullable=False),
    sa.Column('town', sa.String(length=32), nullable=True),
    sa.Column('address_enc', sa.Text(), nullable=True),
    sa.Column('linked_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('openid')
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_id_hash'), ['id_hash'], unique=False)

    op.create_table('registration_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registration_failure', schema=None) as batch_op:
        batch_op.create_index('ix_registration_failure_openid_at', ['openid', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registration_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_failure_openid_at')
    op.drop_table('registration_failure')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_id_hash'))
    op.drop_table('registration')
    with op.batch_alter_table('cert_record', schema=None) as batch_op:
        batch_op.drop_index('ix_cert_record_id_tail')
        batch_op.drop_index('ix_cert_record_name_hash')
    op.drop_table('cert_record')
