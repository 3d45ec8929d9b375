"""Masking secrets customers type into chat: card numbers, passwords, UK bank details and one-time codes.

Channels mask every inbound message before it reaches the assistant, so the
secret is never stored in the tracker, shown to an agent or written to a log,
and the customer is warned not to share it (`warning`: the catalogue's privacy.warning and
privacy.security_warning; the company never asks for any of them).

What counts, and what is left alone on purpose (tests/bot/privacy/test_masking.py):
- a card number: 13-19 digits, spaces or hyphens between, that pass the Luhn check;
- a password or PIN stated after "password", "passcode", "pwd", "pin" ("my password is wrong" is not one);
- UK bank details: a sort code (12-34-56, 12 34 56, 123456) after the words "sort code", an 8-digit account
  number after "account"/"acc"/"a/c", a sort-code-shaped group right next to an 8-digit number (either order),
  and an IBAN whose mod-97 check holds. A date (12-03-24) or an order number on its own is not bank details;
- a one-time code: 4-8 digits after "code", "OTP", "passcode" or "verification/security code", unless the code
  is a postcode, promo, discount, voucher, booking, reference, error, area or dialling code.
Phone numbers (7+ digits in a row after a code word) are too long to be a code and are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.responses import Voice

CARD_MASK = "[card number removed]"
PASSWORD_MASK = "[password removed]"
BANK_MASK = "[bank details removed]"
CODE_MASK = "[code removed]"
# what was found -> the catalogue's names for it: privacy.hidden.* after "a" in privacy.warning (cards and
# passwords), privacy.named.* with their own article in privacy.security_warning (bank details, codes too)
_HIDDEN = {("card number",): "privacy.hidden.card_number", ("password",): "privacy.hidden.password",
           ("card number", "password"): "privacy.hidden.card_number_and_password"}
_NAMED = {"card number": "privacy.named.card_number", "password": "privacy.named.password",
          "bank details": "privacy.named.bank_details", "one-time code": "privacy.named.one_time_code"}

_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PASSWORD = re.compile(
    r"(?<!\[)\b(?P<label>(?:pass(?:word|code|phrase)?|pwd|pin)(?:\s+(?:is|was))?\s*(?:[:=]|is)?\s+)(?P<secret>\S+)",
    re.IGNORECASE,
)
_NOT_A_PASSWORD = {"reset", "changed", "wrong", "not", "expired", "forgotten", "lost", "code", "number"}

_SORT_CODE = r"\d{2}[- ]\d{2}[- ]\d{2}|\d{6}"
_ACCOUNT = r"\d{8}"
_SEP = r"[\s,;:/.-]*(?:(?:and|&|account|acc|a/c|no\.?|number|num|\#|sort|code|is)[\s,;:/.-]*){0,4}"
_BANK = re.compile(
    rf"(?P<labelled_sort>\bsort[\s-]?code\b[^\d\n]{{0,30}}?)(?<!\d)(?:{_SORT_CODE})(?:{_SEP}{_ACCOUNT})?(?!\d)"
    rf"|(?P<labelled_acc>\b(?:account|acc|a/c)\b[^\d\n]{{0,25}}?)(?<!\d){_ACCOUNT}(?:{_SEP}(?:{_SORT_CODE}))?(?!\d)"
    rf"|(?<![\d-])\d{{2}}[- ]\d{{2}}[- ]\d{{2}}{_SEP}{_ACCOUNT}(?![\d-])"
    rf"|(?<![\d-]){_ACCOUNT}{_SEP}\d{{2}}[- ]\d{{2}}[- ]\d{{2}}(?![\d-])",
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
_NOT_A_ONE_TIME_CODE = {"post", "zip", "promo", "promotional", "discount", "voucher", "gift", "booking", "reference",
                        "ref", "error", "area", "dialling", "dialing", "country", "sort", "qr", "dress", "referral",
                        "tax", "product", "class"}
_CODE = re.compile(
    r"(?P<label>(?:\b(?P<qualifier>[a-z]+)[\s-]?)?\b(?:code|otp|one[- ]time\s+(?:pass)?code)\b"
    r"(?:\s+(?:you|that|which|i|they)\s+(?:sent|texted|emailed|got|received|gave)(?:\s+me)?)?"
    r"(?:\s+(?:is|was))?\s*[:=#]?\s*)"
    r"(?P<code>(?<!\d)\d{3}[ -]?\d{3}(?!\d)|(?<!\d)\d{4,8}(?!\d))",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """ISO 13616: 15-34 characters whose country-first rearrangement is 1 modulo 97."""
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34 or (compact.startswith("GB") and len(compact) != 22):
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


@dataclass(frozen=True)
class Masked:
    text: str
    found: tuple[str, ...]  # "card number", "password", "bank details", "one-time code"


def warning(found: tuple[str, ...] | list[str], voice: Voice) -> str | None:
    """What the customer is told when `found` (Masked.found) was hidden from their message; None if nothing was.
    Card numbers and passwords keep the catalogue's privacy.warning; bank details or a one-time code among them
    use privacy.security_warning, which names every kind."""
    if not found:
        return None
    if tuple(found) in _HIDDEN:
        return voice.say("privacy.warning", what=voice.say(_HIDDEN[tuple(found)]))
    items = [voice.say(_NAMED[kind]) for kind in found]
    what = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {voice.say('privacy.and')} {items[-1]}"
    return voice.say("privacy.security_warning", what=what)


def mask_secrets(text: str) -> Masked:
    """`text` with card numbers, stated passwords, bank details and one-time codes replaced by placeholders.

    Masking twice leaves the text as it is (placeholders are never taken for secrets).
    """
    found: list[str] = []

    def note(kind: str) -> None:
        if kind not in found:
            found.append(kind)

    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            note("card number")
            return CARD_MASK
        return match.group(0)

    def iban(match: re.Match) -> str:
        if not iban_valid(match.group(0)):
            return match.group(0)
        note("bank details")
        return BANK_MASK

    def bank(match: re.Match) -> str:
        note("bank details")
        for label in ("labelled_sort", "labelled_acc"):
            if match.group(label) is not None:
                return match.group(label) + BANK_MASK
        return BANK_MASK

    def password(match: re.Match) -> str:
        secret = match.group("secret")
        if secret.lower().strip(".,!?") in _NOT_A_PASSWORD or secret.startswith("["):
            return match.group(0)  # "my password is wrong", or already masked: no secret here
        note("password")
        return match.group("label") + PASSWORD_MASK

    def code(match: re.Match) -> str:
        if (match.group("qualifier") or "").lower() in _NOT_A_ONE_TIME_CODE:
            return match.group(0)  # a postcode, a promo code, an error code ...
        if (match.group("qualifier") or "").lower() == "pin":
            note("password")  # "pin code 1234" is a PIN
            return match.group("label") + PASSWORD_MASK
        note("one-time code")
        return match.group("label") + CODE_MASK

    masked = _CARD_CANDIDATE.sub(card, text)
    masked = _IBAN.sub(iban, masked)
    masked = _BANK.sub(bank, masked)
    masked = _CODE.sub(code, masked)
    masked = _PASSWORD.sub(password, masked)
    return Masked(masked, tuple(found))
