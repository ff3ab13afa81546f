"""Programmes as records: provinces, type, target groups, benefit, eligibility, districts, beneficiaries, links.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30 12:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = lambda: (  # noqa: E731 - fresh Column objects for each use
    sa.Column('provinces', sa.JSON(), nullable=True),
    sa.Column('programme_type', sa.String(length=200), nullable=True),
    sa.Column('target_groups', sa.JSON(), nullable=True),
    sa.Column('benefit', sa.String(length=300), nullable=True),
    sa.Column('benefit_amount', sa.Float(), nullable=True),
    sa.Column('benefit_currency', sa.String(length=10), nullable=True),
    sa.Column('benefit_frequency', sa.String(length=60), nullable=True),
    sa.Column('eligibility', sa.Text(), nullable=True),
    sa.Column('districts', sa.JSON(), nullable=True),
    sa.Column('beneficiaries', sa.Integer(), nullable=True),
    sa.Column('beneficiaries_date', sa.Date(), nullable=True),
    sa.Column('beneficiaries_source', sa.String(length=300), nullable=True),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
)


def upgrade() -> None:
    with op.batch_alter_table('programmes') as batch:
        for column in COLUMNS():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table('programmes') as batch:
        for column in reversed(COLUMNS()):
            batch.drop_column(column.name)
