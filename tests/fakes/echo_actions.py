"""A one-action package for testing the action server's edge without loading the assistant's actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action


class ActionEcho(Action):
    def name(self) -> str:
        return "action_echo"

    def run(self, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=f"echo {tracker.sender_id}")
        return []


class ActionBreak(Action):
    def name(self) -> str:
        return "action_break"

    def run(self, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        raise RuntimeError("broken on purpose")
