"""Names in returns marked as not a programme, so they leave the programme names queue.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('not_programme_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_not_programme_names')),
    sa.UniqueConstraint('name_key', name=op.f('uq_not_programme_names_name_key'))
    )


def downgrade() -> None:
    op.drop_table('not_programme_names')
