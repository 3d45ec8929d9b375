import uuid

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from tests.actions.conftest import tracker

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def slot_events(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run(action, t):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, slot_events(events)


async def test_a_first_question_gets_the_introduction_then_the_answer_and_a_check(services) -> None:
    messages, slots = await run(ActionAnswerFaq(services), tracker("asks_clear_question", sender_id=f"ana-{uuid.uuid4().hex}"))
    [message] = messages  # one message per turn, as SMS bills it
    assert message["text"].startswith("Hi Ana! I'm Sam, S-Club's virtual assistant.\n\n")
    assert "Forgot password" in message["text"]
    assert message["text"].endswith("Did that answer your question?")
    assert [b["title"] for b in message["buttons"]] == ["Yes", "No"]
    assert slots["kb_decision"] == "answer" and slots["kb_answered"] == "reset_password" and slots["kb_offered"] is None
    assert slots["awaiting_reply"] == "helped" and slots["customer_name"] == "Ana"


async def test_a_later_question_is_answered_without_introduction(services) -> None:
    t = tracker("asks_clear_question")
    t.events.insert(0, {"event": "bot", "text": "Hi Ana! ..."})
    messages, _ = await run(ActionAnswerFaq(services), t)
    assert len(messages) == 1 and "Forgot password" in messages[0]["text"]


async def test_sms_customers_get_the_short_variant_and_prompt(services) -> None:
    t = tracker("asks_clear_question", sender_id=f"ana-{uuid.uuid4().hex}")
    t.events[-1]["input_channel"] = "sms"
    messages, _ = await run(ActionAnswerFaq(services), t)
    answer = messages[-1]["text"]
    assert answer.endswith("Did that help?")
    assert answer.startswith("Hi Ana! I'm Sam") and len(answer) <= 320 and "**" not in answer


async def test_second_choice_in_words_answers_the_second_offered_entry(services) -> None:
    _, slots = await run(ActionAnswerFaq(services), tracker("picks_second_choice_in_words"))
    assert slots["kb_answered"] == "cancel_a_booking"
    assert slots["kb_next"] == ["cancel_membership"]  # offered if this answer does not help


async def test_button_payload_entity_wins_over_words(services) -> None:
    t = tracker("picks_second_choice_in_words")
    t.latest_message["entities"] = [{"entity": "kb_entry", "value": "cancel_membership"}]
    _, slots = await run(ActionAnswerFaq(services), t)
    assert slots["kb_answered"] == "cancel_membership"


async def test_a_problem_told_in_sentences_is_paraphrased_before_any_answer(services, responses) -> None:
    messages, slots = await run(ActionAnswerFaq(services), tracker("describes_a_problem_in_sentences"))
    paraphrase = messages[-1]["text"]
    assert "So what I'm hearing is that you're having trouble logging in" in paraphrase
    assert paraphrase.endswith("Is that right?")
    mirrored = {responses.say("listening.mirrored", term="account", seed=f"c:{turn}") for turn in range(40)}  # "my account"
    lead = paraphrase.split(" So what")[0].split("\n")[-1]
    acknowledged = next(a for a in responses.wordings("person.acknowledge") if lead.startswith(a))  # a reported problem
    assert lead[len(acknowledged):].strip() in mirrored
    assert slots["kb_answered"] is None and slots["kb_pending"] == "cant_log_in" and slots["awaiting_reply"] == "paraphrase"


async def test_acknowledgements_vary_between_conversations_but_repeat_for_the_same_one(services) -> None:
    leads = set()
    for sender in [f"c{i}" for i in range(8)]:
        messages, _ = await run(ActionAnswerFaq(services), tracker("describes_a_problem_in_sentences", sender_id=sender))
        leads.add(messages[-1]["text"].split(" So what")[0].split("\n")[-1])
    again, _ = await run(ActionAnswerFaq(services), tracker("describes_a_problem_in_sentences", sender_id="c0"))
    first, _ = await run(ActionAnswerFaq(services), tracker("describes_a_problem_in_sentences", sender_id="c0"))
    assert len(leads) >= 3
    assert again[-1]["text"] == first[-1]["text"]


async def test_a_second_unknown_question_in_a_row_offers_a_person(services) -> None:
    t = tracker("asks_clear_question", slots={"kb_misses": 1})
    t.latest_message["text"] = "what's the capital of France?"
    t.events.insert(0, {"event": "bot", "text": "I'm sorry, I don't know the answer to that one"})
    messages, slots = await run(ActionAnswerFaq(services), t)
    assert messages[-1]["text"].endswith("Would you like me to connect you with a person from our team?")
    assert messages[-1]["buttons"] == [{"title": "Yes", "payload": "/request_human"}, {"title": "No", "payload": "/deny"}]
    assert slots["kb_decision"] == "fallback" and slots["awaiting_reply"] == "offer_person"
