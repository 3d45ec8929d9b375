"""`make chat` (bot/ops/chat.py): the terminal shows buttons as options and a typed number means what it says."""

from __future__ import annotations

import builtins

import httpx
import pytest

from bot.ops import chat

NPS_QUESTION = {"text": "How likely are you to recommend us, from 0 to 10?",
                "buttons": [{"title": str(n), "payload": str(n)} for n in range(0, 11)]}


def test_the_nps_scale_is_shown_as_0_to_10(capsys: pytest.CaptureFixture[str]) -> None:
    chat.render([NPS_QUESTION])
    shown = capsys.readouterr().out
    assert "0 1 2 3 4 5 6 7 8 9 10" in shown and "11." not in shown and "1. 0" not in shown


def test_typing_8_at_the_nps_question_sends_8(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/session"):
            return httpx.Response(201, json={"conversation_id": "rest:x", "session": "s", "header": "X-Frontdesk-Session"})
        sent.append(httpx.Response(200, content=request.content).json()["message"])
        return httpx.Response(200, json=[NPS_QUESTION] if len(sent) == 1 else [])

    real_client = httpx.Client
    monkeypatch.setattr(chat.httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(answer), **kw))
    typed = iter(["bye", "8", "/quit"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    assert chat.chat("http://assistant") == 0
    assert sent == ["bye", "8"]
