"""Need indicator kept by the deployment, province context for unmatched places, sign-in failures per e-mail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('need_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('source_filename', sa.String(length=500), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('districts', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_indicators'))
    )
    op.create_table('sign_in_failures',
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email_key', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('validation_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('validation_issues', schema=None) as batch_op:
        batch_op.drop_column('province')
    op.drop_table('sign_in_failures')
    op.drop_table('need_indicators')
