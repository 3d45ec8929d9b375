import pytest

from bot.privacy import BANK_MASK, CARD_MASK, CODE_MASK, PASSWORD_MASK, Masked, iban_valid, luhn_valid, mask_secrets, warning
from tests.conftest import project_responses


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
def test_stated_passwords_are_masked(text: str, expected: str) -> None:
    result = mask_secrets(text)
    assert result.text == expected and result.found == ("password",)
    assert "looked like a password in your message" in warning(result.found, project_responses().voice())


@pytest.mark.parametrize("text", ["I forgot my password", "my password is wrong apparently", "how do I reset my password"])
def test_talking_about_passwords_is_not_a_secret(text: str) -> None:
    assert mask_secrets(text).found == ()


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


# --- UK bank details, IBANs and one-time codes, as customers paste them ---

@pytest.mark.parametrize("text, left", [
    ("Can you refund me to sort code 20-00-00 account 55779911 please", "Can you refund me to sort code "),
    ("my sort code is 200000 and acc no 55779911", "my sort code is "),
    ("Sort code: 20 00 00, account number: 55779911. Thanks!", "Sort code: "),
    ("bank details 20-00-00 55779911 for the refund", "bank details "),
    ("pay it into 55779911 / 20-00-00", "pay it into "),
    ("account number 55779911 sort code 20-00-00", "account number "),
    ("refund to GB29 NWBK 6016 1331 9268 19 please", "refund to "),
    ("IBAN: gb29nwbk60161331926819", "IBAN: "),
    ("my German account DE89 3704 0044 0532 0130 00", "my German account "),
])
def test_bank_details_are_masked(text: str, left: str) -> None:
    result = mask_secrets(text)
    assert result.found == ("bank details",)
    assert result.text.startswith(left + BANK_MASK)
    assert not any(secret in result.text for secret in ("55779911", "20-00-00", "20 00 00", "200000", "6016", "3704"))
    assert "looked like bank details in your message" in warning(result.found, project_responses().voice())


@pytest.mark.parametrize("text, expected", [
    ("my code is 482913", f"my code is {CODE_MASK}"),
    ("OTP: 123456", f"OTP: {CODE_MASK}"),
    ("the code you sent me is 123 456 but it says invalid", f"the code you sent me is {CODE_MASK} but it says invalid"),
    ("I got a one-time code 4821 and it failed", f"I got a one-time code {CODE_MASK} and it failed"),
    ("verification code 93715820", f"verification code {CODE_MASK}"),
    ("Security code = 5512", f"Security code = {CODE_MASK}"),
])
def test_one_time_codes_are_masked(text: str, expected: str) -> None:
    result = mask_secrets(text)
    assert result.text == expected and result.found == ("one-time code",)
    assert "a one-time code in your message" in warning(result.found, project_responses().voice())


@pytest.mark.parametrize("text", [
    "I booked for 12-03-24 and was charged",  # a date shaped like a sort code
    "order number 12345678 hasn't arrived",  # an 8-digit order number
    "On 12-03-24 I placed order 12345678",
    "call me on 07700 900123",
    "my number is +44 7700 900123",
    "the code 07700900123 is my phone",  # too long for a code
    "my promo code 2024 doesn't work",
    "discount code 1234 expired",
    "postcode SW1A 1AA",
    "zip code 90210",
    "error code 5003 in the app",
    "area code 0161",
    "booking reference 483920",
    "I paid 29.99 on 2026-11-01 for 3 months",
    "GB12 ABCD 1234 5678 9012 34 is not a real IBAN",  # fails the mod-97 check
    "the code is ABC123",
])
def test_look_alikes_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == Masked(text, ())


def test_several_kinds_are_named_together_and_masking_twice_changes_nothing() -> None:
    text = "card 4111 1111 1111 1111, sort code 20-00-00 acc 55779911, code 4821, password hunter2"
    result = mask_secrets(text)
    assert result.found == ("card number", "bank details", "one-time code", "password")
    assert result.text == (f"card {CARD_MASK}, sort code {BANK_MASK}, code {CODE_MASK}, password {PASSWORD_MASK}")
    assert "a card number, bank details, a one-time code and a password" in warning(result.found, project_responses().voice())
    assert mask_secrets(result.text) == Masked(result.text, ())


def test_a_pin_code_is_a_pin() -> None:
    assert mask_secrets("pin code 1234") == Masked(f"pin code {PASSWORD_MASK}", ("password",))


def test_iban_check() -> None:
    assert iban_valid("GB29 NWBK 6016 1331 9268 19") and not iban_valid("GB29 NWBK 6016 1331 9268 18")
