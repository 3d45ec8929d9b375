"""baseline: Frontdesk's tables as of December 2026 (what `open_database` created before migrations).

On a database made before migrations it creates only the tables, columns and indexes that are missing.

Revision ID: 0001
Revises: 
Create Date: 2026-12-06 22:12:51.608557
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _create_table(name: str, *items) -> None:
    """Create table `name`; on a database made before migrations, where it exists, add its missing nullable columns."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(name):
        op.create_table(name, *items)
        return
    present = {column["name"] for column in inspector.get_columns(name)}
    for item in items:
        if isinstance(item, sa.Column) and item.name not in present:
            if not item.nullable:
                raise RuntimeError(f"{name}.{item.name} is missing and cannot be added (not nullable)")
            op.add_column(name, item)


def _create_index(index: str, table: str, columns: list[str], unique: bool) -> None:
    if index not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(index, table, columns, unique=unique)


def upgrade() -> None:
    _create_table('frontdesk_agent_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('agent', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.String(length=128), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_agent_audit_at', 'frontdesk_agent_audit', ['at'], unique=False)
    _create_index('ix_frontdesk_agent_audit_handoff_id', 'frontdesk_agent_audit', ['handoff_id'], unique=False)

    _create_table('frontdesk_agent_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('agent', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('ended_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id_hash')
    )
    _create_index('ix_frontdesk_agent_sessions_agent', 'frontdesk_agent_sessions', ['agent'], unique=False)

    _create_table('frontdesk_agents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_key', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('token_issued_at', sa.Float(), nullable=False),
    sa.Column('revoked_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_id'),
    sa.UniqueConstraint('name_key')
    )
    _create_table('frontdesk_channel_state',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'recipient', 'key')
    )
    _create_table('frontdesk_crm_sync',
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hubspot_id', sa.String(length=64), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('attempted_at', sa.Float(), nullable=True),
    sa.Column('last_event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    _create_index('ix_frontdesk_crm_sync_conversation_id', 'frontdesk_crm_sync', ['conversation_id'], unique=False)
    _create_index('ix_frontdesk_crm_sync_status', 'frontdesk_crm_sync', ['status'], unique=False)

    _create_table('frontdesk_customers',
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=True),
    sa.Column('first_seen_at', sa.Float(), nullable=False),
    sa.Column('last_seen_at', sa.Float(), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id')
    )
    _create_table('frontdesk_daily_summary',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('handed_over', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('survey_answers', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'channel')
    )
    _create_table('frontdesk_delivery',
    sa.Column('provider_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('provider_id')
    )
    _create_table('frontdesk_erasures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('contact_hash', sa.String(length=64), nullable=True),
    sa.Column('handoff_ids', sa.Text(), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=False),
    sa.Column('hubspot_pending', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_erasures_at', 'frontdesk_erasures', ['at'], unique=False)
    _create_index('ix_frontdesk_erasures_contact_hash', 'frontdesk_erasures', ['contact_hash'], unique=False)

    _create_table('frontdesk_handoffs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=True),
    sa.Column('customer_name', sa.String(length=128), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('claimed_at', sa.Float(), nullable=True),
    sa.Column('first_agent_reply_at', sa.Float(), nullable=True),
    sa.Column('closed_at', sa.Float(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.Column('customer_updated_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_handoffs_conversation_id', 'frontdesk_handoffs', ['conversation_id'], unique=False)
    _create_index('ix_frontdesk_handoffs_created_at', 'frontdesk_handoffs', ['created_at'], unique=False)
    _create_index('ix_frontdesk_handoffs_status', 'frontdesk_handoffs', ['status'], unique=False)

    _create_table('frontdesk_inbox',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.Float(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('finished_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('channel', 'external_id')
    )
    _create_index('ix_frontdesk_inbox_next_attempt_at', 'frontdesk_inbox', ['next_attempt_at'], unique=False)
    _create_index('ix_frontdesk_inbox_sender', 'frontdesk_inbox', ['sender'], unique=False)
    _create_index('ix_frontdesk_inbox_status', 'frontdesk_inbox', ['status'], unique=False)

    _create_table('frontdesk_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.Float(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('provider_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('sent_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_outbox_next_attempt_at', 'frontdesk_outbox', ['next_attempt_at'], unique=False)
    _create_index('ix_frontdesk_outbox_status', 'frontdesk_outbox', ['status'], unique=False)

    _create_table('frontdesk_surveys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('handoff_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_surveys_conversation_id', 'frontdesk_surveys', ['conversation_id'], unique=False)
    _create_index('ix_frontdesk_surveys_created_at', 'frontdesk_surveys', ['created_at'], unique=False)

    _create_table('frontdesk_handoff_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('author', sa.String(length=16), nullable=False),
    sa.Column('agent', sa.String(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['handoff_id'], ['frontdesk_handoffs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    _create_index('ix_frontdesk_handoff_messages_handoff_id', 'frontdesk_handoff_messages', ['handoff_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_frontdesk_handoff_messages_handoff_id', table_name='frontdesk_handoff_messages')

    op.drop_table('frontdesk_handoff_messages')
    op.drop_index('ix_frontdesk_surveys_created_at', table_name='frontdesk_surveys')
    op.drop_index('ix_frontdesk_surveys_conversation_id', table_name='frontdesk_surveys')

    op.drop_table('frontdesk_surveys')
    op.drop_index('ix_frontdesk_outbox_status', table_name='frontdesk_outbox')
    op.drop_index('ix_frontdesk_outbox_next_attempt_at', table_name='frontdesk_outbox')

    op.drop_table('frontdesk_outbox')
    op.drop_index('ix_frontdesk_inbox_status', table_name='frontdesk_inbox')
    op.drop_index('ix_frontdesk_inbox_sender', table_name='frontdesk_inbox')
    op.drop_index('ix_frontdesk_inbox_next_attempt_at', table_name='frontdesk_inbox')

    op.drop_table('frontdesk_inbox')
    op.drop_index('ix_frontdesk_handoffs_status', table_name='frontdesk_handoffs')
    op.drop_index('ix_frontdesk_handoffs_created_at', table_name='frontdesk_handoffs')
    op.drop_index('ix_frontdesk_handoffs_conversation_id', table_name='frontdesk_handoffs')

    op.drop_table('frontdesk_handoffs')
    op.drop_index('ix_frontdesk_erasures_contact_hash', table_name='frontdesk_erasures')
    op.drop_index('ix_frontdesk_erasures_at', table_name='frontdesk_erasures')

    op.drop_table('frontdesk_erasures')
    op.drop_table('frontdesk_delivery')
    op.drop_table('frontdesk_daily_summary')
    op.drop_table('frontdesk_customers')
    op.drop_index('ix_frontdesk_crm_sync_status', table_name='frontdesk_crm_sync')
    op.drop_index('ix_frontdesk_crm_sync_conversation_id', table_name='frontdesk_crm_sync')

    op.drop_table('frontdesk_crm_sync')
    op.drop_table('frontdesk_channel_state')
    op.drop_table('frontdesk_agents')
    op.drop_index('ix_frontdesk_agent_sessions_agent', table_name='frontdesk_agent_sessions')

    op.drop_table('frontdesk_agent_sessions')
    op.drop_index('ix_frontdesk_agent_audit_handoff_id', table_name='frontdesk_agent_audit')
    op.drop_index('ix_frontdesk_agent_audit_at', table_name='frontdesk_agent_audit')

    op.drop_table('frontdesk_agent_audit')
