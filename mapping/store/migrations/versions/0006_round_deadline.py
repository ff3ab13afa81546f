"""A deadline per reporting round: shown to focal points, used by the reminders.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.add_column(sa.Column('deadline', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.drop_column('deadline')
