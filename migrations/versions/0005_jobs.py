"""jobs: postings, subscriptions, views, API tokens

Revision ID: 0005_jobs
Revises: 0001_core
Create Date: 2026-11-28 17:30:00
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0005_jobs'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash', name='uq_api_token_hash')
    )
    op.create_table('job_posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('employer', sa.String(length=100), nullable=False),
    sa.Column('town', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('positions', sa.Integer(), nullable=True),
    sa.Column('salary', sa.String(length=60), nullable=True),
    sa.Column('working_hours', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('requirements', sa.Text(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('announce_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', bot.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id', name='uq_job_posting_external_id')
    )
    op.create_index(op.f('ix_job_posting_announce_at'), 'job_posting', ['announce_at'], unique=False)
    op.create_index('ix_job_posting_open', 'job_posting', ['status', 'valid_until'], unique=False)
    op.create_table('job_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('town', sa.String(length=32), nullable=True),
    sa.Column('keywords', sa.String(length=100), nullable=False),
    sa.Column('notified_until', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_job_subscription_openid'), 'job_subscription', ['openid'], unique=False)
    op.create_table('job_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['job_posting.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_job_view_posting_id'), 'job_view', ['posting_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_view_posting_id'), table_name='job_view')
    op.drop_table('job_view')
    op.drop_index(op.f('ix_job_subscription_openid'), table_name='job_subscription')
    op.drop_table('job_subscription')
    op.drop_index('ix_job_posting_open', table_name='job_posting')
    op.drop_index(op.f('ix_job_posting_announce_at'), table_name='job_posting')
    op.drop_table('job_posting')
    op.drop_table('api_token')
