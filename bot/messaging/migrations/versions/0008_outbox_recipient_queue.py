"""outbox recipient queue: unsent rows per recipient in order (a claim reads each recipient's head)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UNSENT = "status IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table('frontdesk_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_outbox_recipient_queue', ['recipient', 'created_at', 'id'], unique=False,
                              sqlite_where=sa.text(UNSENT), postgresql_where=sa.text(UNSENT))


def downgrade() -> None:
    with op.batch_alter_table('frontdesk_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_frontdesk_outbox_recipient_queue', sqlite_where=sa.text(UNSENT),
                            postgresql_where=sa.text(UNSENT))
