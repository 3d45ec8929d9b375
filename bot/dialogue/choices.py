"""Buttons on text-only channels (SMS, WhatsApp, the terminal chat): how they are listed and what a typed reply picks.

Buttons usually get numbers ("1. Yes", "2. No") and "1" picks the first. A scale
whose buttons are numbers themselves (the 0-10 survey question) is listed as it is
and a typed number means that number, never a position: numbering "0 ... 10" as
"1 ... 11" made "8" mean 7.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"\d{1,2}")


def is_scale(buttons: list[dict[str, Any]]) -> bool:
    """True when every button's title is a number (a rating scale)."""
    return bool(buttons) and all(_NUMBER.fullmatch(str(b.get("title", "")).strip()) for b in buttons)


def option_lines(buttons: list[dict[str, Any]]) -> list[str]:
    """The buttons as lines of text: numbered options, or a scale's numbers on one line."""
    if is_scale(buttons):
        return [" ".join(str(b.get("title", "")).strip() for b in buttons)]
    return [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]


def chosen_payload(text: str, buttons: list[dict[str, Any]]) -> str | None:
    """The payload a typed reply points at ('2', '2.' or a button's title); None when it points at none.

    A title typed out wins; a number picks by position only when the buttons are not a scale.
    """
    reply = text.strip().lower().rstrip(".")
    for button in buttons:
        if reply == str(button.get("title", "")).strip().lower():
            return button.get("payload")
    if not is_scale(buttons) and _NUMBER.fullmatch(reply) and 1 <= int(reply) <= len(buttons):
        return buttons[int(reply) - 1].get("payload")
    return None
