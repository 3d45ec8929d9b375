"""The context summary from tracker events: masking, reasons, what the assistant understood, mood."""

import json

from bot.handoff.summary import build_summary, lexicon_frustration, mask_contact, summary_text, ticket_text


def user(text, intent="faq", message_id=None, at=0.0):
    return {"event": "user", "text": text, "timestamp": at, "message_id": message_id,
            "parse_data": {"intent": {"name": intent}}}


def bot(text, at=0.0, **metadata):
    return {"event": "bot", "text": text, "timestamp": at, "metadata": metadata}


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


EVENTS = [
    user("an old session", at=1.0), {"event": "session_started", "timestamp": 5.0},
    user("hi", "greet", "m1", 10.0), bot("Hi!", 11.0),
    user("my password is hunter2 and I can't log in", "faq", "m2", 20.0), bot("Here's how to reset it", 21.0),
    slot("kb_decision", "answer"), slot("kb_answered", "reset_password"), slot("kb_offered", None),
    slot("answer_helped", False),
    user("I cancelled but was charged again", "faq", "m3", 30.0), bot("Which one do you mean?", 31.0),
    slot("kb_decision", "clarify"), slot("kb_answered", None), slot("kb_offered", ["cancel_membership", "payments"]),
    user("THIS IS RIDICULOUS, STILL CHARGED!!!", "faq", "m4", 40.0), bot("Sorry", 41.0),
    slot("kb_decision", "fallback"), slot("kb_answered", None), slot("kb_offered", None),
    user("card 4111-1111-1111-1111, get me a person", "request_human", "m5", 50.0),
]
INFO = {"reset_password": {"title": "Reset your password", "paraphrase": "you'd like to reset your password"},
        "cancel_membership": {"title": "Cancel your membership", "paraphrase": None}}


def summary(reason="request", **kwargs):
    return build_summary(EVENTS, conversation_id="c1", channel="whatsapp", recipient="whatsapp:+447700900123",
                         customer_name="Ana", reason=reason, handed_over_at=60.0, entry_info=INFO.get, **kwargs)


def test_secrets_and_the_contact_are_masked_everywhere() -> None:
    text = json.dumps(summary())
    assert "hunter2" not in text and "4111" not in text and "900123" not in text
    assert "[password removed]" in text and "[card number removed]" in text
    assert summary()["customer"] == {"name": "Ana", "channel": "whatsapp", "contact": "+44•••••••123"}


def test_only_the_current_session_counts_and_key_messages_are_the_customers_words() -> None:
    result = summary()
    assert result["started_at"] == 5.0 and result["message_ids"] == ["m1", "m2", "m3", "m4", "m5"]
    assert result["key_messages"] == ["my password is [password removed] and I can't log in",
                                      "I cancelled but was charged again", "THIS IS RIDICULOUS, STILL CHARGED!!!"]
    assert [t["author"] for t in result["transcript"]][:2] == ["customer", "bot"]
    assert len(result["transcript"]) == 9


def test_what_the_assistant_understood_and_whether_it_helped() -> None:
    understood = summary()["understood"]
    assert [(u["decision"], [e["id"] for e in u["entries"]], u["helped"]) for u in understood] == [
        ("answer", ["reset_password"], False), ("clarify", ["cancel_membership", "payments"], None), ("fallback", [], None)]
    assert understood[0]["entries"][0]["paraphrase"] == "you'd like to reset your password"
    assert understood[1]["entries"][1]["title"] == "payments"  # unknown entry: its id
    assert understood[1]["question"] == "I cancelled but was charged again"


def test_triggers_follow_the_reason() -> None:
    assert summary("request")["trigger_messages"] == ["card [card number removed], get me a person"]
    assert summary("failures")["trigger_messages"] == ["my password is [password removed] and I can't log in",
                                                       "I cancelled but was charged again",
                                                       "THIS IS RIDICULOUS, STILL CHARGED!!!"]
    frustrated = summary("frustration", scorer=lambda text: 0.9 if text.isupper() else 0.4 if "again" in text else 0.2)
    assert frustrated["trigger_messages"] == ["I cancelled but was charged again", "THIS IS RIDICULOUS, STILL CHARGED!!!"]


def test_the_sentiment_scorer_can_be_swapped_and_gives_a_trend() -> None:
    rising = summary(scorer=lambda text: 0.9 if "RIDICULOUS" in text or "person" in text else 0.1)
    assert rising["sentiment"] == {"scores": [0.1, 0.1, 0.1, 0.9, 0.9], "trend": "rising frustration"}
    assert summary(scorer=lambda text: 0.0)["sentiment"]["trend"] == "steady"
    assert lexicon_frustration("THIS IS RIDICULOUS, STILL CHARGED!!!") > 0.5 > lexicon_frustration("how do I cancel?")


def test_contacts_keep_only_their_last_characters() -> None:
    assert mask_contact("telegram", "218485655") == "••••••655"
    assert mask_contact("rest", None) == "unknown"
    assert mask_contact("sms", "+447700900123") == "+44•••••••123"


def test_the_group_post_is_short_plain_text() -> None:
    text = summary_text(summary())
    assert text.startswith("Handoff: Ana on whatsapp (+44•••••••123)")
    assert "you'd like to reset your password (did not help)" in text and "Reply to this message" in text
    assert len(summary_text(summary(), limit=100)) == 100


def test_the_ticket_is_the_desks_summary_with_times_and_the_transcript_for_a_person() -> None:
    text = ticket_text(summary())
    overview = summary_text(summary()).removesuffix("\nReply to this message to answer the customer.")
    assert text.startswith(overview + "\nStarted 1970-01-01 00:00 UTC, handed over 1970-01-01 00:01 UTC\n\n")
    assert "you'd like to reset your password (did not help)" in text  # masked once, when the summary was built
    assert text.endswith("00:00:41 Assistant: Sorry\n00:00:50 Customer: card [card number removed], get me a person")
    short = ticket_text(summary(), limit=700)
    assert len(short) <= 700 and short.endswith("\n[transcript shortened]")
    assert ticket_text(None).startswith("Handoff: a customer on an unknown channel (unknown)\nWhy: unknown")


# Issue 19.6 and 19.7: a scripted conversation; each field of the summary agrees with the tracker and the others.
CHOSE_THEN_IGNORED = [
    {"event": "session_started", "timestamp": 1.0},
    user("I want to cancel", "faq", "c1", 10.0), bot("Did you mean Cancel your membership or something else?", 11.0),
    slot("kb_decision", "clarify"), slot("kb_offered", ["cancel_membership", "cancel_a_booking"]),
    user('/choose_entry{"kb_entry": "cancel_membership"}', "choose_entry", "c2", 20.0), bot("Here's how ...", 21.0),
    slot("kb_decision", "answer"), slot("kb_answered", "cancel_membership"), slot("kb_offered", None),
    user("/affirm", "affirm", "c3", 25.0), slot("answer_helped", True),
    user("and the late fee?", "faq", "c4", 30.0), bot("Did you mean ...?", 31.0),
    slot("kb_decision", "clarify"), slot("kb_answered", None), slot("kb_offered", ["late_fee", "payment_date"]),
    user("Can I just talk to a real person please", "request_human", "c5", 40.0),
    slot("answer_helped", True),
]


def scripted(reason: str = "request", scorer=lambda text: 0.1, **kwargs):
    return build_summary(CHOSE_THEN_IGNORED, conversation_id="c", channel="webchat", recipient="webchat:x",
                         customer_name=None, reason=reason, handed_over_at=50.0, scorer=scorer,
                         entry_info=INFO.get, **kwargs)


def test_buttons_the_customer_pressed_are_shown_in_words() -> None:
    result = scripted()
    said = [t["text"] for t in result["transcript"] if t["author"] == "customer"]
    assert said[1:3] == ['chose "Cancel your membership"', 'pressed "Yes"']
    assert not any("/choose_entry" in json.dumps(part) for part in (result["understood"], result["transcript"]))
    assert result["key_messages"] == ["I want to cancel", "and the late fee?"]
    assert "/choose_entry" not in summary_text(result)


def test_a_clarification_not_taken_is_never_marked_helped() -> None:
    result = scripted(answer_helped=True)
    assert [(u["decision"], u["helped"], u["taken"]) for u in result["understood"]] == [
        ("clarify", None, True), ("answer", True, None), ("clarify", None, False)]
    text = summary_text(result)
    assert "(chosen)" in text and "(not taken)" in text and text.count("(helped)") == 1


def test_the_mood_agrees_with_a_frustration_handoff() -> None:
    assert scripted("frustration")["sentiment"]["trend"] != "steady"
    assert scripted("request")["sentiment"]["trend"] == "steady"
    worn = scripted("frustration", scorer=lambda text: 0.4)
    assert worn["reason_text"] == "the customer is frustrated" and worn["sentiment"]["trend"] == "frustrated throughout"
