"""Masking secrets customers type into chat: card numbers (Luhn-valid) and passwords.

Channels mask every inbound message before it reaches the assistant, so the
secret is never stored in the tracker, shown to an agent or written to a log,
and the customer is warned not to share it (`warning`: the catalogue's
privacy.warning; the company never asks for either).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.responses import Voice

CARD_MASK = "[card number removed]"
PASSWORD_MASK = "[password removed]"
# what was found -> how the warning names it
_HIDDEN = {("card number",): "privacy.hidden.card_number", ("password",): "privacy.hidden.password",
           ("card number", "password"): "privacy.hidden.card_number_and_password"}

_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PASSWORD = re.compile(
    r"\b(?P<label>(?:pass(?:word|code|phrase)?|pwd|pin)(?:\s+(?:is|was))?\s*(?:[:=]|is)?\s+)(?P<secret>\S+)",
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


@dataclass(frozen=True)
class Masked:
    text: str
    found: tuple[str, ...]  # "card number", "password" (in this order)


def warning(found: tuple[str, ...] | list[str], voice: Voice) -> str | None:
    """What the customer is told when `found` (Masked.found) was hidden from their message; None if nothing was."""
    if not found:
        return None
    return voice.say("privacy.warning", what=voice.say(_HIDDEN[tuple(found)]))


def mask_secrets(text: str) -> Masked:
    """`text` with Luhn-valid card numbers and stated passwords replaced by placeholders."""
    found: list[str] = []

    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            if "card number" not in found:
                found.append("card number")
            return CARD_MASK
        return match.group(0)

    def password(match: re.Match) -> str:
        if match.group("secret").lower() in {"reset", "changed", "wrong", "not", "expired", "forgotten", "lost"}:
            return match.group(0)  # "my password is wrong": no secret here
        if match.group("secret").startswith("["):
            return match.group(0)  # already masked: masking twice leaves the text as it is
        if "password" not in found:
            found.append("password")
        return match.group("label") + PASSWORD_MASK

    masked = _CARD_CANDIDATE.sub(card, text)
    masked = _PASSWORD.sub(password, masked)
    return Masked(masked, tuple(found))
