"""follow-ups and WhatsApp's window: scheduled messages, held outbox messages, notice buttons

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 23:58:35.166220
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frontdesk_scheduled',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=True),
    sa.Column('handoff_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.Float(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('sent_at', sa.Float(), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', sa.Float(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('frontdesk_scheduled', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frontdesk_scheduled_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_frontdesk_scheduled_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_frontdesk_scheduled_handoff_id'), ['handoff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_frontdesk_scheduled_status'), ['status'], unique=False)

    with op.batch_alter_table('frontdesk_handoff_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buttons', sa.JSON(), nullable=True))

    with op.batch_alter_table('frontdesk_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('held_at', sa.Float(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('frontdesk_outbox', schema=None) as batch_op:
        batch_op.drop_column('held_at')
        batch_op.drop_column('held_reason')

    with op.batch_alter_table('frontdesk_handoff_messages', schema=None) as batch_op:
        batch_op.drop_column('buttons')

    with op.batch_alter_table('frontdesk_scheduled', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frontdesk_scheduled_status'))
        batch_op.drop_index(batch_op.f('ix_frontdesk_scheduled_handoff_id'))
        batch_op.drop_index(batch_op.f('ix_frontdesk_scheduled_due_at'))
        batch_op.drop_index(batch_op.f('ix_frontdesk_scheduled_conversation_id'))

    op.drop_table('frontdesk_scheduled')
