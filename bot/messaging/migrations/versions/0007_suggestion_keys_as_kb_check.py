"""suggestion wording keys fold as `frontdesk kb check` folds questions: words only ("top-up" == "top up")

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:20:00.000000

Data only: before, a key kept inner punctuation, so "When will my top-up go through?" and "When will my top up go
through?" were two suggestions for one entry, and applying both made `kb check` warn of a repeated question.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

suggestions = sa.table('frontdesk_kb_suggestions', sa.column('id', sa.Integer), sa.column('wording', sa.Text),
                       sa.column('wording_key', sa.String(255)))


def _rekey(fold) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(suggestions.c.id, suggestions.c.wording)).all():
        bind.execute(suggestions.update().where(suggestions.c.id == row.id).values(wording_key=fold(row.wording)))


def upgrade() -> None:
    _rekey(lambda text: " ".join(re.findall(r"\w+", text.lower()))[:255])


def downgrade() -> None:
    _rekey(lambda text: re.sub(r"\s+", " ", text.lower()).strip().rstrip(" ?!.")[:255])
