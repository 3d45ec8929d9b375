from bot.conversation import customer_name, greeting
from bot.persona import Persona


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


def test_greeting_introduces_the_assistant_and_uses_the_name() -> None:
    persona = Persona.load()
    text = greeting(persona, "Ana")
    assert text.startswith("Hi Ana!")
    assert persona.assistant_name in text and "S-Club's virtual assistant" in text
    assert text.endswith("How can I help you today?")
    assert greeting(persona, None).startswith("Hi there!")
