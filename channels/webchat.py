"""A small web chat page at `GET /webhooks/webchat/` for trying the assistant.

The page talks to the REST channel on the same server (no CORS): it gets a
visitor session (`POST /webhooks/rest/session`), keeps it in the browser's
localStorage, sends it with every request, and reloads the conversation's
history on page load. All text is shown with textContent, and the
Content-Security-Policy runs only the page's own script (by its hash), so
text that looks like HTML stays text. It is a convenience for people, not a
customer channel.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAGE = Path(__file__).with_name("static") / "webchat.html"


def content_security_policy(html: str) -> str:
    """Same-origin requests only; inline styles; scripts: only the page's inline ones, by SHA-256."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
                      for script in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL))
    return (f"default-src 'self'; script-src {hashes}; style-src 'unsafe-inline'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")


class WebChatInput(InputChannel):
    """Serves the chat page; messages go through the `rest` channel."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        html = PAGE.read_text(encoding="utf-8")
        policy = content_security_policy(html)

        @hook.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(html, headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"})

        return hook
