import uuid

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_up import ActionFollowUp
from actions.greet import ActionGreet
from tests.actions.conftest import tracker

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def run(action, t):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}, events


async def test_yes_it_helped_is_recorded_and_asks_for_anything_else(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("says_the_answer_helped"))
    assert messages[0]["text"].endswith("Is there anything else I can help with?")
    assert slots == {"answer_helped": True, "awaiting_reply": None}


async def test_no_it_did_not_help_offers_the_next_candidate(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("says_the_answer_did_not_help"))
    assert messages[0]["text"] == "I'm sorry that didn't help. Perhaps you'd like to cancel your membership. Is that right?"
    assert slots["answer_helped"] is False and slots["kb_pending"] == "cancel_membership"
    assert slots["awaiting_reply"] == "paraphrase"


async def test_no_it_did_not_help_with_no_other_candidate_offers_a_person(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("says_the_answer_did_not_help_and_nothing_else_fits"))
    assert messages[0]["text"] == "I'm sorry that didn't help. Would you like me to connect you with a person from our team?"
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_human", "/deny"]
    assert slots["answer_helped"] is False and slots["awaiting_reply"] == "offer_person"


async def test_yes_to_the_paraphrase_answers_that_entry(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("confirms_the_paraphrase"))
    assert "locked" in messages[0]["text"].lower() and messages[0]["text"].endswith("Did that answer your question?")
    assert slots["kb_answered"] == "cant_log_in" and slots["awaiting_reply"] == "helped"


async def test_no_to_the_paraphrase_asks_what_they_meant(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("rejects_the_paraphrase"))
    assert messages[0]["text"].startswith("I'm sorry, I misunderstood. What did you mean?")
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    assert slots["kb_misses"] == 1 and slots["kb_pending"] is None


async def test_something_else_after_a_miss_offers_a_person_without_internal_names(services) -> None:
    messages, slots, _ = await run(ActionFollowUp(services), tracker("something_else_after_a_miss"))
    text = messages[0]["text"]
    assert text.endswith("Would you like me to connect you with a person from our team?")
    assert "_" not in text and "/" not in text
    assert slots["awaiting_reply"] == "offer_person" and slots["kb_offered"] is None


async def test_typed_yes_to_the_offer_of_a_person_hands_over(services) -> None:
    # No agent channel is configured here, so the hand-over gives the team's contact details instead of pausing.
    messages, slots, events = await run(ActionFollowUp(services), tracker("accepts_the_offer_of_a_person"))
    assert [m["text"] for m in messages] == ["Of course. You can reach S-Club's team by phone on +44 20 7946 0000 "
                                             "(Monday to Friday 8:00-20:00, weekends 9:00-17:00 (UK time)) or by email at "
                                             "support@s-club.example."]
    assert slots == {"awaiting_reply": None, "handoff_reason": None} and all(e["event"] == "slot" for e in events)


async def test_a_returning_customer_is_welcomed_back_by_name(services) -> None:
    sender = f"eve-{uuid.uuid4().hex[:8]}"
    first_session = tracker("greets_again_in_a_new_session", sender_id=sender)
    first_session.events = first_session.events[:1]
    first, slots, _ = await run(ActionGreet(services), first_session)
    assert first[0]["text"].startswith("Hi Eve! I'm Sam, S-Club's virtual assistant.")
    assert slots["customer_name"] == "Eve"
    again, _, _ = await run(ActionGreet(services), tracker("greets_again_in_a_new_session", sender_id=sender))
    assert again[0]["text"] == "Welcome back, Eve! I'm Sam, S-Club's virtual assistant. How can I help you today?"


async def test_hello_in_the_middle_of_a_conversation_does_not_reintroduce(services) -> None:
    t = tracker("greets_again_in_a_new_session", sender_id=f"eve-{uuid.uuid4().hex[:8]}")
    t.events = [e for e in t.events if e["event"] != "session_started"]
    messages, _, _ = await run(ActionGreet(services), t)
    assert messages[0]["text"] == "Hi again, Eve! What can I help you with?"


async def test_a_complaint_the_nlu_read_as_no_is_acknowledged_and_answered_not_closed(services) -> None:
    messages, slots, events = await run(ActionFollowUp(services), tracker("complains_with_sarcasm_the_nlu_read_as_no"))
    acknowledgements = services.responses.wordings("person.acknowledge") + services.responses.wordings("person.empathy")
    assert any(messages[0]["text"].startswith(a) for a in acknowledgements), messages[0]["text"]
    assert not any(e.get("name") == "action_close_conversation" for e in events)
    assert slots.get("kb_decision") in ("answer", "clarify", "fallback")


async def test_a_plain_no_to_anything_else_still_closes(services) -> None:
    _, _, events = await run(ActionFollowUp(services), tracker("says_no_to_anything_else"))
    assert [e.get("name") for e in events if e["event"] == "followup"] == ["action_close_conversation"]
