"""People in two programmes: named programmes, keyed-hash lists per programme and round, consents per pair.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'],
                            name=op.f('fk_programmes_owner_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('name', name=op.f('uq_programmes_name'))
    )
    op.create_table('people_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('pcodes', sa.JSON(), nullable=False),
    sa.Column('hashes', sa.LargeBinary(), nullable=False),
    sa.Column('districts', sa.LargeBinary(), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'],
                            name=op.f('fk_people_lists_programme_id_programmes')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_people_lists_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people_lists')),
    sa.UniqueConstraint('programme_id', 'round_id', name='uq_people_lists_programme_round')
    )
    op.create_table('people_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['programmes.id'], name=op.f('fk_people_consents_other_id_programmes')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'],
                            name=op.f('fk_people_consents_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people_consents')),
    sa.UniqueConstraint('programme_id', 'other_id', name='uq_people_consents_programme_other')
    )


def downgrade() -> None:
    op.drop_table('people_consents')
    op.drop_table('people_lists')
    op.drop_table('programmes')
