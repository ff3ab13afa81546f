"""Organisation identity: IATI identifier, merged records and the reference (starter) list.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('iati_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reporting', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_organisations_merged_into_organisations'), 'organisations',
                                    ['merged_into'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisations_merged_into_organisations'), type_='foreignkey')
        batch_op.drop_column('reporting')
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_into')
        batch_op.drop_column('iati_id')
