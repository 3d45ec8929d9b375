"""Each vendor's message shape, made in one place (bot/vendors) for the connectors and the handoff desk alike."""

from bot.vendors import telegram_payloads, text_payloads, twilio_payloads


def test_payloads_follow_each_channels_format() -> None:
    assert text_payloads("telegram", "hi") == [{"method": "sendMessage", "text": "hi"}]
    assert text_payloads("whatsapp", "hi") == [{"text": "hi"}]
    assert text_payloads("sms", "hi")[0]["segments"] == 1
    assert text_payloads("rest", "hi") is None and text_payloads("webchat", "hi") is None


def test_long_texts_are_split_within_each_vendors_limit() -> None:
    text = ("word " * 1000).strip()  # 4,999 characters
    assert [len(p["text"]) <= 1600 for p in twilio_payloads("whatsapp", text)] == [True] * 4
    assert len(telegram_payloads(text)) == 2


def test_telegram_buttons_go_with_the_last_part_even_without_text() -> None:
    keyboard = [{"title": "Yes", "callback_data": "/affirm"}]
    assert telegram_payloads("", keyboard) == [{"method": "sendMessage", "text": " ", "buttons": keyboard}]
    [first, last] = telegram_payloads(("word " * 1000).strip(), keyboard)
    assert "buttons" not in first and last["buttons"] == keyboard
