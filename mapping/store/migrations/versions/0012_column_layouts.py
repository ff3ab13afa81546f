"""Column layouts confirmed once and applied to later files with the same headers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('column_layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_column_layouts_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_column_layouts')),
    sa.UniqueConstraint('scope_key', 'name_key', name='uq_column_layouts_scope_name')
    )
    with op.batch_alter_table('column_layouts', schema=None) as batch_op:
        batch_op.create_index('ix_column_layouts_signature', ['signature'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('column_layouts', schema=None) as batch_op:
        batch_op.drop_index('ix_column_layouts_signature')
    op.drop_table('column_layouts')
