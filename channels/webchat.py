"""A small web chat page at `GET /webhooks/webchat/` for trying the assistant.

The page talks to the REST channel on the same server (no CORS): it gets a
visitor session (`POST /webhooks/rest/session`), keeps it in the browser's
localStorage, sends it with every request, and reloads the conversation's
history on page load. Customers' and agents' text is shown with textContent;
the assistant's answers are shown from the safe HTML the server renders from
their markdown (bot/messaging/markup.py), rebuilt in the page from an
allow-list of tags. The Content-Security-Policy runs only the page's own
script (by its hash), so text that looks like HTML never runs. An empty page
shows a short welcome from the responses catalogue (`channels.webchat_welcome`).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ops import RasaServices, rasa_services
from bot.responses import Responses

STATIC = Path(__file__).with_name("static")
PAGE = STATIC / "webchat.html"
SAFE_HTML = STATIC / "safe_html.js"  # copySafe/safeHtml: the assistant's HTML shown from an allow-list


def page_source(path: Path) -> str:
    """A page from channels/static with the shared safe_html.js put in its script (at `/*safe_html.js*/`)."""
    return path.read_text(encoding="utf-8").replace("/*safe_html.js*/", SAFE_HTML.read_text(encoding="utf-8").strip())


def content_security_policy(html: str) -> str:
    """Same-origin requests only; inline styles; scripts: only the page's inline ones, by SHA-256."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
                      for script in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL))
    return (f"default-src 'self'; script-src {hashes}; style-src 'unsafe-inline'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")


class WebChatInput(InputChannel):
    """Serves the chat page; messages go through the `rest` channel."""

    def __init__(self, responses: Responses | None = None) -> None:
        self.responses = responses  # the welcome's wording (None: no welcome)

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> WebChatInput:
        return cls(services.responses)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        html = page_source(PAGE)
        policy = content_security_policy(html)

        @hook.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            """The page, with the catalogue's current welcome (escaped) in it."""
            welcome = escape(self.responses.voice("webchat").say("channels.webchat_welcome")) if self.responses else ""
            return response.html(html.replace("<!--welcome-->", welcome),
                                 headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"})

        return hook
