"""inbox queue indexes: unfinished rows in arrival order, overall and per sender (a claim reads only the queue's head)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 02:01:50.638115
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('frontdesk_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_inbox_queue', ['channel', 'received_at', 'external_id'], unique=False, sqlite_where=sa.text("status IN ('pending', 'working')"), postgresql_where=sa.text("status IN ('pending', 'working')"))
        batch_op.create_index('ix_frontdesk_inbox_sender_queue', ['sender', 'received_at', 'external_id'], unique=False, sqlite_where=sa.text("status IN ('pending', 'working')"), postgresql_where=sa.text("status IN ('pending', 'working')"))



def downgrade() -> None:
    with op.batch_alter_table('frontdesk_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_frontdesk_inbox_sender_queue', sqlite_where=sa.text("status IN ('pending', 'working')"), postgresql_where=sa.text("status IN ('pending', 'working')"))
        batch_op.drop_index('ix_frontdesk_inbox_queue', sqlite_where=sa.text("status IN ('pending', 'working')"), postgresql_where=sa.text("status IN ('pending', 'working')"))

