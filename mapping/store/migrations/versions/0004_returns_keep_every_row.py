"""Households and lead organisation on activities, queued rows awaiting review, confirmed vocabulary aliases.

Revision ID: 0004
Revises: 0007
Create Date: 2026-11-30 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vocabulary_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=50), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.Column('alias_key', sa.String(length=300), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_aliases')),
    sa.UniqueConstraint('field', 'alias_key', name='uq_vocabulary_aliases_field_key')
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('targeted_hh', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('reached_hh', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('org_lead', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('queued', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('queue_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('queue_field', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('queue_value', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('queue_value')
        batch_op.drop_column('queue_field')
        batch_op.drop_column('queue_reason')
        batch_op.drop_column('queued')
        batch_op.drop_column('org_lead')
        batch_op.drop_column('reached_hh')
        batch_op.drop_column('targeted_hh')
    op.drop_table('vocabulary_aliases')
