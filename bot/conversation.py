"""Reading a conversation's events and wording the assistant's turns.

Functions here take plain Rasa event dicts (as the action server receives
them), so they are testable without a running server.
"""

from __future__ import annotations

from typing import Any, Iterable

from bot.persona import Persona

MAX_NAME_CHARS = 40


def customer_name(events: Iterable[dict[str, Any]]) -> str | None:
    """The customer's first name from the latest user message's metadata, if any.

    Channels put it at `metadata["name"]` (Telegram first_name, WhatsApp
    ProfileName, REST `metadata.name`). Whitespace is trimmed and overly long
    or empty values are ignored.
    """
    for event in reversed(list(events)):
        if event.get("event") == "user":
            name = ((event.get("metadata") or {}).get("name") or "").strip()
            if name and len(name) <= MAX_NAME_CHARS:
                return name.split()[0]
            return None
    return None


def greeting(persona: Persona, name: str | None) -> str:
    hello = f"Hi {name}!" if name else "Hi there!"
    return f"{hello} I'm {persona.assistant_name}, {persona.company}'s virtual assistant. How can I help you today?"
