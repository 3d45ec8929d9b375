"""A terminal chat against the running assistant's REST channel.

Buttons are shown as numbered options; typing the number sends the
button's payload. `/quit` or Ctrl-D leaves.
"""

from __future__ import annotations

import uuid

import httpx

from bot.errors import SetupError


def render(messages: list[dict]) -> list[dict]:
    """Print bot messages; return the buttons offered last (for numbered replies)."""
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            print(f"bot> {message['text']}")
        if message.get("buttons"):
            buttons = message["buttons"]
            for number, button in enumerate(buttons, start=1):
                print(f"     {number}. {button.get('title', '')}")
    return buttons


def chat(rasa_url: str, sender: str | None = None, name: str | None = None) -> int:
    sender = sender or f"cli-{uuid.uuid4().hex[:10]}"
    url = f"{rasa_url}/webhooks/rest/webhook"
    metadata = {"name": name} if name else {}
    print(f"Chatting as {sender!r} with {rasa_url} (type /quit to leave)")
    buttons: list[dict] = []
    with httpx.Client(timeout=60) as client:
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
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                reply = client.post(url, json={"sender": sender, "message": text, "metadata": metadata})
            except httpx.ConnectError:
                raise SetupError(f"no assistant answers at {rasa_url}: start it with `make run` first") from None
            if reply.status_code != 200:
                print(f"(error {reply.status_code}: {reply.text.strip()[:200]})")
                continue
            buttons = render(reply.json())
