"""Handoff records on a real SQLite database: queue, claims, messages, closing, unclaimed updates."""

import pytest
import sqlalchemy as sa

from bot.handoff.store import HandoffError, HandoffStore, median_or_none
from bot.messaging.store import open_database


@pytest.fixture
def store(tmp_path) -> HandoffStore:
    return HandoffStore(open_database(f"sqlite:///{tmp_path / 'db.sqlite'}"))


def new(store: HandoffStore, conversation: str = "c1", at: float = 1000.0, ids: list[str] | None = None):
    handoff, created = store.create(conversation, "telegram", "42", "Ana", "request", {"message_ids": ids or []}, now=at)
    assert created
    return handoff


def test_a_conversation_has_at_most_one_open_handoff(store) -> None:
    first = new(store)
    again, created = store.create("c1", "telegram", "42", "Ana", "frustration", {}, now=2000.0)
    assert not created and again.id == first.id and again.reason == "request"
    store.close(first.id, "resolved")
    third, created = store.create("c1", "telegram", "42", "Ana", "failures", {}, now=3000.0)
    assert created and third.id != first.id


def test_claims_conflict_between_agents_but_not_for_the_same_agent(store) -> None:
    handoff = new(store)
    assert store.claim(handoff.id, "Bob", now=1010).agent == "Bob"
    assert store.claim(handoff.id, "Bob").claimed_at == 1010
    with pytest.raises(HandoffError) as error:
        store.claim(handoff.id, "Eve")
    assert error.value.status == 409 and "Bob" in str(error.value)
    with pytest.raises(HandoffError) as missing:
        store.claim("nope", "Bob")
    assert missing.value.status == 404


def test_closing_twice_is_a_conflict(store) -> None:
    handoff = new(store)
    assert store.close(handoff.id, "released").status == "released"
    with pytest.raises(HandoffError) as error:
        store.close(handoff.id, "resolved")
    assert error.value.status == 409
    assert store.open_for("c1") is None


def test_customer_messages_are_masked_stored_once_and_skip_the_trigger(store) -> None:
    handoff = new(store, ids=["trigger"])
    assert store.customer_message("c1", "the trigger", "trigger") is None
    stored = store.customer_message("c1", "my password is hunter2", "m2")
    assert stored.text == "my password is [password removed]"
    assert store.customer_message("c1", "my password is hunter2", "m2") is None
    assert [m.text for m in store.messages(handoff.id)] == ["my password is [password removed]"]
    assert store.customer_message("someone-else", "hi", "m3") is None


def test_customers_see_agent_and_notice_messages_after_a_position(store) -> None:
    handoff = new(store)
    store.append(handoff.id, "customer", "hello")
    first = store.append(handoff.id, "agent", "Hi, Bob here", agent="Bob")
    store.append(handoff.id, "system", "Resolved")
    assert [m.text for m in store.messages_for_customer("c1")] == ["Hi, Bob here", "Resolved"]
    assert [m.text for m in store.messages_for_customer("c1", first.id)] == ["Resolved"]
    assert store.messages_for_customer("c2") == []


def test_a_notice_keeps_the_buttons_it_offers_for_pages_that_poll(store) -> None:
    handoff = new(store)
    scale = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
    store.append(handoff.id, "system", "Resolved. How did we do?", buttons=scale)
    store.append(handoff.id, "agent", "Bye", agent="Bob")
    asked, bye = store.messages_for_customer("c1")
    assert asked.buttons == scale and asked.as_json()["buttons"] == scale
    assert bye.buttons is None and "buttons" not in bye.as_json()


def test_unclaimed_updates_are_taken_once_and_only_after_the_wait(store) -> None:
    old, recent = new(store, "c1", at=1000.0), new(store, "c2", at=1250.0)
    claimed = new(store, "c3", at=900.0)
    store.claim(claimed.id, "Bob")
    assert [h.id for h in store.take_unclaimed_update(300, now=1300.0)] == [old.id]
    assert store.take_unclaimed_update(300, now=1301.0) == []
    assert [h.id for h in store.take_unclaimed_update(300, now=1600.0)] == [recent.id]


def test_queue_position_and_handling_times(store) -> None:
    for index in range(4):
        handoff = new(store, f"done{index}", at=100.0 * index)
        store.claim(handoff.id, "Bob", now=100.0 * index + 10)
        store.close(handoff.id, "resolved", now=100.0 * index + 10 + 60 * (index + 1))
    waiting = [new(store, f"w{i}", at=1000.0 + i) for i in range(3)]
    assert store.waiting_before(waiting[2].created_at) == 2
    assert sorted(store.recent_handling_times()) == [60, 120, 180, 240]
    assert median_or_none(store.recent_handling_times()) == 150
    assert median_or_none([60.0, 120.0]) is None


def test_new_columns_are_added_to_an_older_database(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as db:
        db.execute(sa.text("CREATE TABLE frontdesk_handoff_messages (id INTEGER PRIMARY KEY, handoff_id VARCHAR(36) "
                           "NOT NULL, author VARCHAR(16) NOT NULL, agent VARCHAR(128), text TEXT NOT NULL, created_at FLOAT NOT NULL)"))
    store = HandoffStore(open_database(url))
    handoff = new(store, ids=[])
    assert store.customer_message("c1", "hello", "m1").text == "hello"
    assert store.append(handoff.id, "system", "Rate us", buttons=[{"title": "5", "payload": "5"}]).buttons == [
        {"title": "5", "payload": "5"}]  # the buttons column was added too
    assert handoff.customer_updated_at is None


def test_a_page_of_the_queue_is_the_longest_waiting_and_says_when_more_are_open(store) -> None:
    for number in range(5):
        store.create(f"played{number}", "rest", "x", None, "request", {"message_ids": [], "test": True}, now=float(number))
    for number in range(5):
        new(store, f"c{number}", at=100.0 + number)
    page, more = store.page(limit=3)
    assert [h.conversation_id for h in page] == ["c0", "c1", "c2"] and more  # test handoffs take no place
    assert store.page(limit=5) == (store.listing(limit=5), False)
    store.close(page[0].id, "resolved")
    store.close(page[1].id, "released")
    closed, more = store.page(("resolved", "released"), limit=1)
    assert [h.conversation_id for h in closed] == ["c1"] and more  # history: the newest first
