"""The closing recap is built from what the tracker recorded, and is honest about what was not resolved."""

from bot.dialogue.closing import Covered, closing_message, covered, recap, topic
from bot.kb.entries import Entry
from bot.config.persona import Contact, Persona
from bot.responses import Responses
from tests.conftest import PROJECT_DIR

PERSONA = Persona("Sam", "S-Club", Contact("+44 20 7946 0000", "support@s-club.example", "https://www.s-club.example",
                                           "Monday to Friday 8:00-20:00"))
RESPONSES = Responses.load(PROJECT_DIR / "responses" / "en.yml", PERSONA, reload_interval_s=None)
VOICE = RESPONSES.voice("rest")


def entry(id: str, title: str, paraphrase: str | None = None) -> Entry:
    return Entry(id=id, title=title, questions=("q",), answer="a", path=f"{id}.md", paraphrase=paraphrase)


ENTRIES = {
    e.id: e
    for e in (
        entry("cancel_a_booking", "Cancel a class or court booking", "you'd like to cancel a booking"),
        entry("refund_policy", "Refunds on membership fees", "you'd like to know whether membership fees can be refunded"),
        entry("cant_log_in", "Can't log in", "you're having trouble logging in to your account"),
        entry("parking", "Parking"),
        entry("app", "S-Club app not working"),
    )
}


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


def user(text="hi"):
    return {"event": "user", "text": text}


def test_topics_come_from_paraphrases_or_titles() -> None:
    assert topic(ENTRIES["cancel_a_booking"]) == "how to cancel a booking"
    assert topic(ENTRIES["refund_policy"]) == "whether membership fees can be refunded"
    assert topic(ENTRIES["cant_log_in"]) == "trouble logging in to your account"
    assert topic(ENTRIES["parking"]) == "parking"
    assert topic(ENTRIES["app"]) == "S-Club app not working"


def test_recap_lists_each_answered_entry_once_in_order() -> None:
    events = [user(), slot("kb_answered", "cancel_a_booking"), user(), slot("kb_answered", None),
              user(), slot("kb_answered", "refund_policy"), user(), slot("kb_answered", "cancel_a_booking")]
    done = covered(events)
    assert done.answered == ["cancel_a_booking", "refund_policy"]
    assert recap(done, ENTRIES, VOICE) == (
        "To recap, we covered how to cancel a booking and whether membership fees can be refunded."
    )


def test_recap_is_honest_about_answers_that_did_not_help_and_unanswered_questions() -> None:
    events = [slot("kb_answered", "cant_log_in"), slot("answer_helped", False),
              slot("kb_answered", "parking"), slot("answer_helped", True), slot("kb_decision", "fallback")]
    text = recap(covered(events), ENTRIES, VOICE)
    assert text == ("To recap, we covered parking. I'm sorry I couldn't fully help with trouble logging in to your "
                    "account. I'm sorry I couldn't answer everything you asked.")


def test_nothing_resolved_says_so_and_points_to_the_team() -> None:
    done = covered([user("what's quantum chromodynamics"), slot("kb_decision", "fallback")])
    text = closing_message(RESPONSES.voice("telegram"), done, ENTRIES, "Ana")
    assert text.startswith("I'm sorry I couldn't find the answer to your question today. Thank you for contacting S-Club, Ana!")
    assert "Our team will be glad to help" in text and "+44 20 7946 0000" in text


def test_a_conversation_with_no_questions_gets_no_recap() -> None:
    assert recap(covered([user("hi")]), ENTRIES, VOICE) is None
    text = closing_message(VOICE, Covered(), ENTRIES, None)
    assert text.startswith("Thank you for contacting S-Club!") and "support@s-club.example" in text


def test_recap_covers_only_the_part_since_the_session_start_or_the_last_closing() -> None:
    events = [slot("kb_answered", "parking"), {"event": "session_started"}, slot("kb_answered", "cancel_a_booking"),
              {"event": "action", "name": "action_close_conversation"}, slot("kb_answered", "refund_policy")]
    assert covered(events).answered == ["refund_policy"]


def test_a_handoff_is_mentioned_and_sms_gets_the_short_contact_line() -> None:
    done = covered([slot("kb_answered", "parking"), slot("handoff_id", "abc")])
    text = closing_message(RESPONSES.voice("sms"), done, ENTRIES, None)
    assert "I also passed your conversation to our team." in text
    assert "Our team: +44 20 7946 0000 (Monday to Friday 8:00-20:00) or support@s-club.example." in text
    assert "https://" not in text


def test_entries_removed_since_they_were_answered_are_left_out() -> None:
    assert recap(covered([slot("kb_answered", "deleted_entry")]), ENTRIES, VOICE) is None


def test_no_means_done_only_after_anything_else_was_asked() -> None:
    from bot.dialogue.closing import asked_anything_else

    assert asked_anything_else([user(), {"event": "bot", "text": "Great! Is there anything else I can help with?"}, user("no")],
                               RESPONSES)
    assert not asked_anything_else([user(), {"event": "bot", "text": "Did that answer your question?"}, user("no")], RESPONSES)
    assert not asked_anything_else([user("no")], RESPONSES)


def test_the_customers_last_word_on_an_answer_decides_the_recap() -> None:
    said_no_then_fine = [user("how do I cancel a booking"), slot("kb_answered", "cancel_a_booking"), user("no"),
                         slot("answer_helped", False), user("No, that was actually fine. bye")]
    assert recap(covered(said_no_then_fine), ENTRIES, VOICE) == "To recap, we covered how to cancel a booking."
    fine_in_the_same_turn = [user("cancel booking"), slot("kb_answered", "cancel_a_booking"),
                             user("No, that was actually fine. bye"), slot("answer_helped", False)]
    assert covered(fine_in_the_same_turn).not_helped == set()
    still_not = [user("cancel booking"), slot("kb_answered", "cancel_a_booking"), user("that wasn't helpful, bye"),
                 slot("answer_helped", False)]
    assert covered(still_not).not_helped == {"cancel_a_booking"}


def test_a_yes_after_a_no_takes_the_no_back() -> None:
    events = [slot("kb_answered", "parking"), slot("answer_helped", False), slot("answer_helped", True)]
    assert covered(events).not_helped == set()
