import pytest

from bot.privacy import CARD_MASK, PASSWORD_MASK, luhn_valid, mask_secrets, warning


@pytest.mark.parametrize("text", [
    "my card is 4111 1111 1111 1111 thanks",
    "card: 4111-1111-1111-1111",
    "5500005555555559",
    "amex 378282246310005 please",
])
def test_luhn_valid_card_numbers_are_masked(text: str) -> None:
    result = mask_secrets(text)
    assert CARD_MASK in result.text and result.found == ("card number",)
    assert not any(ch.isdigit() for ch in result.text.replace("amex", ""))


@pytest.mark.parametrize("text", [
    "my booking reference is 1234567890123",  # 13 digits, fails Luhn
    "call me on +44 20 7946 0000",
    "I paid 29.99 on 2026-11-01",
    "order 4111 1111 1111 1112",  # one digit off
])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_secrets(text).text == text and mask_secrets(text).found == ()


@pytest.mark.parametrize("text, expected", [
    ("my password is hunter2", f"my password is {PASSWORD_MASK}"),
    ("Password: Tr0ub4dor&3 can you check", f"Password: {PASSWORD_MASK} can you check"),
    ("pin 4321", f"pin {PASSWORD_MASK}"),
])
def test_stated_passwords_are_masked(text: str, expected: str, responses) -> None:
    result = mask_secrets(text)
    assert result.text == expected and result.found == ("password",)
    assert "looked like a password in your message" in warning(result.found, responses.voice())


@pytest.mark.parametrize("text", ["I forgot my password", "my password is wrong apparently", "how do I reset my password"])
def test_talking_about_passwords_is_not_a_secret(text: str) -> None:
    assert mask_secrets(text).found == ()


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
