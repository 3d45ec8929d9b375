from bot.dialogue.conversation import customer_name, greeting, transcript


def user(text: str, metadata: dict | None = None) -> dict:
    return {"event": "user", "text": text, "metadata": metadata or {}}


def test_name_comes_from_the_latest_user_message_metadata() -> None:
    events = [user("hi", {"name": "Old"}), {"event": "bot", "text": "hello"}, user("hi again", {"name": "Ana Lopez"})]
    assert customer_name(events) == "Ana"


def test_no_name_when_the_channel_gives_none_or_garbage() -> None:
    assert customer_name([user("hi")]) is None
    assert customer_name([user("hi", {"name": "   "})]) is None
    assert customer_name([user("hi", {"name": "x" * 200})]) is None
    assert customer_name([]) is None


def test_greeting_introduces_the_assistant_and_uses_the_name(responses) -> None:
    voice = responses.voice("rest")
    text = greeting(voice, "Ana")
    assert text == "Hi Ana! I'm Sam, S-Club's virtual assistant. How can I help you today?"
    assert greeting(voice, None).startswith("Hi there!")
    assert greeting(voice, "Ana", first=False) == "Hi again, Ana! What can I help you with?"


def test_a_returning_customer_is_welcomed_back_and_sms_is_short(responses) -> None:
    voice = responses.voice("webchat")
    assert greeting(voice, "Ana", returning=True).startswith("Welcome back, Ana! I'm Sam")
    assert greeting(voice, None, returning=True).startswith("Welcome back! I'm Sam")
    short = greeting(responses.voice("sms"), "Ana")
    assert short.endswith("How can I help?") and len(short) < len(greeting(voice, "Ana"))


def test_name_that_is_not_text_is_ignored() -> None:
    assert customer_name([user("hi", {"name": ["Ana"]})]) is None


def test_only_the_current_session_counts_for_the_first_turn() -> None:
    from bot.dialogue.conversation import is_first_turn

    earlier = [user("hi"), {"event": "bot", "text": "Hi there!"}]
    assert is_first_turn([user("hi")])
    assert not is_first_turn(earlier + [user("and?")])
    assert is_first_turn(earlier + [{"event": "session_started"}, user("hello again")])


def test_several_sentences_are_a_description_and_a_question_is_not() -> None:
    from bot.dialogue.conversation import is_description

    assert is_description("I tried to log in this morning. It keeps saying my account is locked and I don't know why.")
    assert not is_description("How do I reset my password?")
    assert not is_description("Hi. Parking?")  # two sentences, but too short to be a story
    assert not is_description("I booked a class for tonight and now I can't make it because of work, what do I do")


def test_the_customers_key_term_is_mirrored_only_when_it_is_on_topic(responses) -> None:
    from bot.dialogue.conversation import acknowledgement, key_term

    login = "Can't log in or account locked. my account is locked. I can't sign in"
    assert key_term("It keeps saying my account is locked.", login) == "account"
    assert key_term("I booked my spin class for tonight.", "Cancel a class or court booking spin class") == "spin class"
    assert key_term("My son wants to learn to swim.", "Swimming lessons for children") is None
    assert key_term("no possessive here", login) is None
    text = "I tried to log in. It keeps saying my account is locked and I don't know why at all."
    assert "your account." in acknowledgement(text, login, responses.voice(seed="c1:1"))
    assert acknowledgement("My son wants to swim. He is seven years old, do you do lessons?", "Swimming lessons",
                           responses.voice(seed="c1:1")) in responses.wordings("listening.acknowledgement")


def test_transcript_is_the_conversations_text_with_authors_and_clicked_button_titles() -> None:
    events = [
        {"event": "session_started"},
        user("I want to cancel"),
        {"event": "bot", "text": "Which one?", "data": {"buttons": [{"title": "Your membership", "payload": "/m"}]}},
        {"event": "action", "name": "action_listen"},
        user("/m"),
        {"event": "bot", "text": "Give 30 days' notice.", "metadata": {}},
        {"event": "bot", "text": "Kim has joined.", "metadata": {"notice": "claimed", "handoff_id": "h1"}},
        {"event": "bot", "text": "Hi, Kim here.", "metadata": {"agent": "Kim", "handoff_id": "h1"}},
        user("/m"),  # typed after the buttons were answered: shown as typed
        {"event": "bot", "text": None, "data": {"custom": {}}},
    ]
    assert transcript(events) == [
        {"author": "customer", "text": "I want to cancel"},
        {"author": "assistant", "text": "Which one?"},
        {"author": "customer", "text": "Your membership"},
        {"author": "assistant", "text": "Give 30 days' notice."},
        {"author": "system", "text": "Kim has joined."},
        {"author": "agent", "text": "Hi, Kim here.", "agent": "Kim"},
        {"author": "customer", "text": "/m"},
    ]


def test_transcript_keeps_the_latest_messages() -> None:
    events = [user(f"message {n}") for n in range(5)]
    assert [m["text"] for m in transcript(events, limit=2)] == ["message 3", "message 4"]


def test_transcript_offers_again_only_the_buttons_not_answered_yet() -> None:
    did_it_help = {"event": "bot", "text": "Did that help?", "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]}}
    which = {"event": "bot", "text": "Which one?", "data": {"buttons": [{"title": "Your membership", "payload": "/m"},
                                                                       {"title": "Something else", "payload": "/else"}]}}
    answered = [user("hours?"), did_it_help, user("I want to cancel"), which, {"event": "bot", "text": "Or ask a person."}]
    messages = transcript(answered, pending=True)
    assert [m.get("buttons") for m in messages] == [
        None, None, None, [{"title": "Your membership", "payload": "/m"}, {"title": "Something else", "payload": "/else"}], None]
    assert all("buttons" not in m for m in transcript(answered))  # only when asked for
    assert all("buttons" not in m for m in transcript(answered + [user("/m")], pending=True))
