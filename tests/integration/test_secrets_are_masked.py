"""A customer pastes a card number or a password: warned, and the secret is stored nowhere."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

CARD = "4111 1111 1111 1111"


@pytest.mark.parametrize("message, secret, kind", [
    (f"my card number is {CARD}, why was I charged twice?", "4111", "card number"),
    ("I can't log in, my password is Sunflower77!", "Sunflower77", "password"),
])
def test_secret_is_masked_before_the_tracker_and_the_customer_is_warned(assistant, message, secret, kind) -> None:
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    replies = assistant.say(sender, message)
    assert f"looked like a {kind}" in replies[0]["text"] and "will never ask you for them" in replies[0]["text"]
    assert len(replies) >= 2  # and the question itself is still answered
    tracker = assistant.tracker(sender)
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert secret not in " ".join(user_texts) and "removed]" in user_texts[0]
    assert tracker["events"][-len(replies) - 1:] and secret not in str(tracker)
    engine = sa.create_engine(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    with engine.connect() as db:
        stored = db.execute(sa.text("SELECT group_concat(data, ' ') FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    assert secret not in stored
    assert secret not in (assistant.state_dir / "logs" / "rasa.log").read_text()
