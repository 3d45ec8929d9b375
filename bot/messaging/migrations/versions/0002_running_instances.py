"""running instances: frontdesk_instances, so a second instance without REDIS_URL can be refused

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 22:38:45.157727
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frontdesk_instances',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('shared_lock', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.Float(), nullable=False),
    sa.Column('seen_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('frontdesk_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frontdesk_instances_seen_at'), ['seen_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('frontdesk_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frontdesk_instances_seen_at'))

    op.drop_table('frontdesk_instances')
