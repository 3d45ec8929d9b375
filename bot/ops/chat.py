"""A terminal chat against the running assistant's REST channel.

Starts a visitor session (`POST /webhooks/rest/session`, no token needed) and
sends every message with it, as the web chat page does. Buttons are shown as
numbered options (a number scale such as the 0-10 survey question as it is);
typing an option's number or title sends the button's payload, and a number on a
scale means that number (bot/dialogue/choices.py). `/quit` or
Ctrl-D leaves.
"""

from __future__ import annotations

import httpx

from bot.dialogue import chosen_payload, option_lines
from bot.errors import SetupError


def render(messages: list[dict]) -> list[dict]:
    """Print bot messages; return the buttons offered last (for numbered replies)."""
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            print(f"bot> {message['text']}")
        if message.get("buttons"):
            buttons = message["buttons"]
            for line in option_lines(buttons):
                print(f"     {line}")
    return buttons


def start_session(client: httpx.Client, rasa_url: str) -> tuple[str, dict[str, str]]:
    """A new REST conversation: its id and the header that proves it on every request."""
    try:
        reply = client.post(f"{rasa_url}/webhooks/rest/session", json={"channel": "rest"})
    except httpx.ConnectError:
        raise SetupError(f"no assistant answers at {rasa_url}: start it with `make run` first") from None
    if reply.status_code != 201:
        raise SetupError(f"the assistant at {rasa_url} gave no session ({reply.status_code}): {reply.text.strip()[:200]}")
    session = reply.json()
    return session["conversation_id"], {session["header"]: session["session"]}


def chat(rasa_url: str, name: str | None = None) -> int:
    url = f"{rasa_url}/webhooks/rest/webhook"
    metadata = {"name": name} if name else {}
    buttons: list[dict] = []
    with httpx.Client(timeout=60) as client:
        conversation_id, headers = start_session(client, rasa_url)
        print(f"Chatting as {conversation_id} with {rasa_url} (type /quit to leave)")
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text in {"/quit", "/exit"}:
                return 0
            if not text:
                continue
            text = chosen_payload(text, buttons) or text
            try:
                reply = client.post(url, headers=headers, json={"message": text, "metadata": metadata})
            except httpx.ConnectError:
                raise SetupError(f"no assistant answers at {rasa_url}: start it with `make run` first") from None
            if reply.status_code != 200:
                print(f"(error {reply.status_code}: {reply.text.strip()[:200]})")
                continue
            buttons = render(reply.json())
