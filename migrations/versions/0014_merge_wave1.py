"""Merge the safety branches: secrets and sessions, inbound leases, urgent items, call tasks, notices.

Revision ID: 0014_merge_wave1
Revises: 0008_secure_config, 0009_inbound_lease, 0011_urgent_item, 0012_owed, 0013_notices
"""

revision = "0014_merge_wave1"
down_revision = ("0008_secure_config", "0009_inbound_lease", "0011_urgent_item", "0012_owed", "0013_notices")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the branches touch different tables; nothing to reconcile


def downgrade() -> None:
    pass
