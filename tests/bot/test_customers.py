"""frontdesk_customers: one row per sender, counted per session, for welcoming returning customers."""

import sqlalchemy as sa

from bot.messaging.store import customers, open_database, record_visit


def test_first_visit_inserts_and_later_visits_count_sessions_and_keep_the_name(tmp_path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert record_visit(engine, "ana", "whatsapp", "Ana", now=100.0) is None
    before = record_visit(engine, "ana", "rest", None, now=200.0)
    assert before["name"] == "Ana" and before["conversations"] == 1 and before["last_seen_at"] == 100.0
    with engine.connect() as db:
        row = db.execute(sa.select(customers).where(customers.c.conversation_id == "ana")).mappings().one()
    assert (row["name"], row["channel"], row["conversations"], row["first_seen_at"], row["last_seen_at"]) == \
        ("Ana", "rest", 2, 100.0, 200.0)
    assert record_visit(engine, "bob", "sms", None, now=300.0) is None
