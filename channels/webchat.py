"""A small web chat page at `GET /webhooks/webchat/` for trying the assistant.

The page talks to the REST channel on the same server, so it needs no CORS
and no credentials. It is a convenience for people, not a customer channel.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAGE = Path(__file__).with_name("static") / "webchat.html"


class WebChatInput(InputChannel):
    """Serves the chat page; messages go through the `rest` channel."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        html = PAGE.read_text(encoding="utf-8")

        @hook.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(html, headers={"Content-Security-Policy": "default-src 'self' 'unsafe-inline'"})

        return hook
