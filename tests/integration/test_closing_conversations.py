"""Closing, the feedback survey and boundaries, end to end: real Rasa server, action server and database."""

import itertools

import sqlalchemy as sa

from bot.config import AssistantConfig
from bot.dialogue.feedback import nps_due
from bot.messaging.store import surveys


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def buttons(replies: list[dict]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons") or []]


def survey_rows(assistant, conversation_id: str) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    try:
        with engine.connect() as db:
            query = sa.select(surveys.c.kind, surveys.c.score, surveys.c.comment, surveys.c.channel)
            return [tuple(r) for r in db.execute(query.where(surveys.c.conversation_id == conversation_id).order_by(surveys.c.id))]
    finally:
        engine.dispose()


def sender(prefix: str, wants_nps: bool, assistant) -> str:
    rate = AssistantConfig.load(assistant.state_dir.parent / "assistant.yml").feedback.nps_rate
    return next(s for s in (f"{prefix}-{i}" for i in itertools.count()) if nps_due(s, rate) == wants_nps)


def test_customer_done_after_an_answer_gets_a_recap_and_rates_the_chat(assistant) -> None:
    ana = sender("closing-ana", wants_nps=False, assistant=assistant)
    assistant.say(ana, "hi", name="Ana")
    assistant.say(ana, "how do I cancel my spin class booking?", name="Ana")
    closing = assistant.say(ana, "no, that's all thanks", name="Ana")
    said = texts(closing)
    assert "To recap, we covered how to cancel a booking." in said
    assert "Thank you for contacting S-Club, Ana!" in said and "+44 20 7946 0000" in said
    assert "from 1 (poor) to 5 (excellent)" in said and buttons(closing) == ["1", "2", "3", "4", "5"]

    assert "Anything you'd like to tell us?" in texts(assistant.say(ana, "4/5", name="Ana"))
    done = assistant.say(ana, "great, but card 4111 1111 1111 1111 got charged twice", name="Ana")
    assert "Thank you for your feedback" in texts(done)

    slots = assistant.tracker(ana)["slots"]
    assert slots["csat"] == 4 and slots["conversation_closed"] is True and slots["nps"] is None
    assert survey_rows(assistant, ana) == [("csat", 4, "great, but card [card number removed] got charged twice", "rest")]


def test_unclear_answers_are_asked_again_once_then_skipped_and_nps_is_asked_when_sampled(assistant) -> None:
    bob = sender("closing-bob", wants_nps=True, assistant=assistant)
    assistant.say(bob, "bye")
    assert "didn't catch a rating" in texts(assistant.say(bob, "banana"))
    moved_on = texts(assistant.say(bob, "purple"))
    assert "No problem, let's move on." in moved_on and "recommend S-Club" in moved_on
    assert "Anything you'd like to tell us?" in texts(assistant.say(bob, "eight"))
    assert "No problem" not in texts(assistant.say(bob, "skip"))  # an NPS score was given: thanks for feedback
    assert survey_rows(assistant, bob) == [("csat", None, None, "rest"), ("nps", 8, None, "rest")]
    assert assistant.tracker(bob)["slots"]["nps"] == 8

    # After the survey the assistant is back to normal, and a second goodbye does not survey again.
    assert "S-Club app" in texts(assistant.say(bob, "how do I book a class?"))
    again = assistant.say(bob, "thanks, bye")
    assert "To recap, we covered how to book a class." in texts(again) and "rate" not in texts(again)


def test_abuse_gets_a_boundary_then_the_chat_is_ended_and_flagged(assistant) -> None:
    first = texts(assistant.say("rude-1", "you're a useless idiot"))
    assert "keep our conversation respectful" in first
    assert assistant.tracker("rude-1")["slots"]["abuse_flagged"] is None
    assert "end our chat here" in texts(assistant.say("rude-1", "shut up you stupid bot"))
    slots = assistant.tracker("rude-1")["slots"]
    assert slots["abuse_flagged"] is True  # handed over (here: no agent channel, so the contact details are given)


def test_questions_outside_s_clubs_services_are_admitted_and_a_bot_offers_a_person(assistant) -> None:
    for number, question in enumerate(("what's the weather like in Leeds tomorrow?", "tell me a joke",
                                       "who won the match last night?")):
        said = texts(assistant.say(f"scope-{number}", question))
        assert "outside what I can help with" in said and "memberships" in said, question
    # a second question outside S-Club in a row is a second miss: a person is offered
    again = assistant.say("scope-0", "can you order me a pizza")
    assert "outside what I can help with too" in texts(again) and buttons(again) == ["Yes", "No"]
    honest = assistant.say("scope-1", "am I talking to a real person?")
    assert "virtual assistant" in texts(honest) and buttons(honest) == ["Talk to a person"]


def test_frustrated_questions_are_not_mistaken_for_abuse_or_out_of_scope(assistant) -> None:
    for question in ("this stupid app won't let me log in", "the instructor was rude to me",
                     "what a load of rubbish, my payment failed again"):
        said = texts(assistant.say("not-abuse-1", question))
        assert "respectful" not in said and "outside what I can help with" not in said, question
    assert assistant.tracker("not-abuse-1")["slots"]["abuse_flagged"] is None
