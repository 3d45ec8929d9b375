"""The agent desk: `GET /agent` (the desk page) and the JSON API under `/agent/api`, served by the Rasa server.

Every request needs AGENT_TOKEN: `Authorization: Bearer <token>` for the API,
or the desk's cookie (set from its login form or `/agent?token=`, then the
token is dropped from the address). Without it: 401. Unknown handoff: 404;
bad body: 400 with a one-line reason; claiming another agent's handoff: 409.
With AGENT_TOKEN unset the desk is off (503) and says so once at start-up.

The desk also runs, in the server, the outbox worker for the signed handoff
webhook and the loop that tells customers nobody has claimed them yet.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.crm import status as crm_status
from bot.handoff.service import HandoffDesk, open_desk
from bot.handoff.store import OPEN, Handoff, HandoffError
from bot.handoff.tracker import rasa_tracker_writer
from bot.handoff.webhook import CHANNEL as WEBHOOK_CHANNEL, WebhookSender
from bot.outbox import OutboxWorker
from bot.report import latest_report
from bot.settings import Settings

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("static") / "agent.html"
COOKIE = "frontdesk_agent"
MAX_TEXT_CHARS = 4096
MAX_AGENT_CHARS = 64
STATUSES = {"open": OPEN, "waiting": ("waiting",), "claimed": ("claimed",), "closed": ("resolved", "released"),
            "all": ("waiting", "claimed", "resolved", "released")}
UPDATE_LOOP_S = 2.0
SECURITY_HEADERS = {"Content-Security-Policy": "default-src 'self' 'unsafe-inline'", "Cache-Control": "no-store",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def _error(reason: str, status: int) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def handoff_json(handoff: Handoff, with_messages: list | None = None) -> dict[str, Any]:
    summary = {k: v for k, v in handoff.summary.items() if k != "message_ids"}
    data = {"id": handoff.id, "status": handoff.status, "reason": handoff.reason, "agent": handoff.agent,
            "customer": summary.get("customer"), "created_at": handoff.created_at, "claimed_at": handoff.claimed_at,
            "first_agent_reply_at": handoff.first_agent_reply_at, "closed_at": handoff.closed_at,
            "updated_at": handoff.updated_at}
    if with_messages is not None:
        data["summary"] = summary
        data["messages"] = [m.as_json() for m in with_messages]
    return data


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads((request.body or b"{}").decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HandoffError("body is not valid UTF-8 JSON", 400) from None
    if not isinstance(body, dict):
        raise HandoffError("body must be a JSON object", 400)
    return body


def _agent_name(value: Any, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise HandoffError("'agent' must be your name (a non-empty string)", 400)
    if len(value.strip()) > MAX_AGENT_CHARS:
        raise HandoffError(f"'agent' is longer than {MAX_AGENT_CHARS} characters", 400)
    return value.strip()


class AgentDeskInput(InputChannel):
    """Serves /agent; receives no customer messages itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token = settings.handoff.agent_token
        self.desk: HandoffDesk = open_desk(settings)
        senders = {WEBHOOK_CHANNEL: WebhookSender(settings.handoff.webhook_secret)} if settings.handoff.webhook_url else {}
        self.worker = OutboxWorker(self.desk.outbox, senders) if senders else None
        self._loop_task: asyncio.Task | None = None

    @classmethod
    def name(cls) -> str:
        return "agent"

    def url_prefix(self) -> str:
        return "/agent"  # absolute: served at /agent, not /webhooks/agent

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AgentDeskInput:
        return cls(Settings.from_env())

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return False
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE, "")
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def _desk(self, request: Request) -> HandoffDesk:
        """The desk, writing to the tracker store of the Rasa agent serving this request."""
        self.desk.tracker = rasa_tracker_writer(request.app.ctx.agent)
        return self.desk

    async def _unclaimed_updates(self, app: Any) -> None:
        while True:
            await asyncio.sleep(UPDATE_LOOP_S)
            agent = getattr(app.ctx, "agent", None)
            if agent is None:
                continue
            try:
                self.desk.tracker = rasa_tracker_writer(agent)
                await self.desk.send_unclaimed_updates()
            except Exception:  # the database may be briefly unavailable; try again next round
                logger.exception("agent desk: sending unclaimed-handoff updates failed")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        source = PAGE.read_text(encoding="utf-8")
        login = source.split("<!--desk-->")[0] + "</body></html>"
        html = re.sub(r"<!--login-->.*<!--/login-->", "", source, flags=re.DOTALL)

        @hook.listener("after_server_start")
        async def start(app, loop) -> None:
            if not self.token:
                logger.warning("The agent desk is off: set AGENT_TOKEN to open /agent and /agent/api.")
            if self.worker is not None:
                self.worker.start()
            self._loop_task = loop.create_task(self._unclaimed_updates(app))

        @hook.listener("before_server_stop")
        async def stop(app, loop) -> None:
            if self._loop_task is not None:
                self._loop_task.cancel()
            if self.worker is not None:
                await self.worker.stop()

        @hook.middleware("request")
        async def guard(request: Request):
            if not request.path.startswith("/agent"):
                return None
            if not self.token:
                return _error("the agent desk is off: set AGENT_TOKEN", 503)
            if request.path.rstrip("/") in ("/agent", "/agent/login") and request.method in ("GET", "POST"):
                return None  # the page handles its own login
            if not self._authorised(request):
                return _error("missing or wrong agent token (Authorization: Bearer <AGENT_TOKEN>)", 401)
            return None

        def with_cookie(request: Request, target: str, token: str) -> HTTPResponse:
            reply = response.redirect(target, headers=SECURITY_HEADERS)
            if request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "") == "https":
                reply.cookies[COOKIE] = token
                reply.cookies[COOKIE]["secure"] = True
            reply.cookies[COOKIE] = token
            reply.cookies[COOKIE]["httponly"] = True
            reply.cookies[COOKIE]["samesite"] = "Strict"
            reply.cookies[COOKIE]["path"] = "/agent"
            return reply

        @hook.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            given = request.args.get("token")
            if given is not None:
                if hmac.compare_digest(given.encode(), self.token.encode()):
                    return with_cookie(request, "/agent", given)
                return response.html(login.replace("<!--error-->", "That token is not right."), status=401,
                                     headers=SECURITY_HEADERS)
            if not self._authorised(request):
                return response.html(login, status=401, headers=SECURITY_HEADERS)
            return response.html(html, headers=SECURITY_HEADERS)

        @hook.route("/login", methods=["POST"])
        async def log_in(request: Request) -> HTTPResponse:
            given = (request.form.get("token") or "") if request.form else ""
            if given and hmac.compare_digest(given.encode(), self.token.encode()):
                return with_cookie(request, "/agent", given)
            return response.html(login.replace("<!--error-->", "That token is not right."), status=401,
                                 headers=SECURITY_HEADERS)

        def api(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
            async def wrapped(request: Request, **kwargs: Any) -> HTTPResponse:
                try:
                    return await handler(request, **kwargs)
                except HandoffError as error:
                    return _error(str(error), error.status)
            wrapped.__name__ = handler.__name__
            return wrapped

        @hook.route("/api/handoffs", methods=["GET"])
        @api
        async def listing(request: Request) -> HTTPResponse:
            status = request.args.get("status", "open")
            if status not in STATUSES:
                raise HandoffError(f"'status' must be one of {', '.join(STATUSES)}", 400)
            found = await asyncio.to_thread(self.desk.store.listing, STATUSES[status])
            return response.json({"handoffs": [handoff_json(h) for h in found]})

        @hook.route("/api/handoffs/<handoff_id:str>", methods=["GET"])
        @api
        async def detail(request: Request, handoff_id: str) -> HTTPResponse:
            after = request.args.get("after", "0")
            if not after.isdigit():
                raise HandoffError("'after' must be a message number", 400)
            handoff = await asyncio.to_thread(self.desk.store.get, handoff_id)
            found = await asyncio.to_thread(self.desk.store.messages, handoff_id, int(after))
            return response.json(handoff_json(handoff, found))

        @hook.route("/api/handoffs/<handoff_id:str>/claim", methods=["POST"])
        @api
        async def claim(request: Request, handoff_id: str) -> HTTPResponse:
            agent = _agent_name(_json_body(request).get("agent"), required=True)
            handoff = await self._desk(request).claim(handoff_id, agent)
            return response.json(handoff_json(handoff))

        @hook.route("/api/handoffs/<handoff_id:str>/messages", methods=["POST"])
        @api
        async def reply(request: Request, handoff_id: str) -> HTTPResponse:
            body = _json_body(request)
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise HandoffError("'text' must be a non-empty string", 400)
            if len(text) > MAX_TEXT_CHARS:
                raise HandoffError(f"'text' is longer than {MAX_TEXT_CHARS} characters", 400)
            agent = _agent_name(body.get("agent"), required=False)
            message = await self._desk(request).reply(handoff_id, text.strip(), agent)
            return response.json(message.as_json(), status=201)

        @hook.route("/api/handoffs/<handoff_id:str>/resolve", methods=["POST"])
        @api
        async def resolve(request: Request, handoff_id: str) -> HTTPResponse:
            await asyncio.to_thread(self.desk.store.get, handoff_id)  # 404 first
            return response.json(handoff_json(await self._desk(request).resolve(handoff_id)))

        @hook.route("/api/handoffs/<handoff_id:str>/release", methods=["POST"])
        @api
        async def release(request: Request, handoff_id: str) -> HTTPResponse:
            await asyncio.to_thread(self.desk.store.get, handoff_id)
            return response.json(handoff_json(await self._desk(request).release(handoff_id)))

        @hook.route("/report", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            """The newest service report (`frontdesk report` writes it), read-only."""
            path = latest_report(self.settings.state_dir)
            if path is None:
                return _error("no report yet: run `frontdesk report`", 404)
            return await response.file(path, mime_type="text/html", headers=SECURITY_HEADERS)

        @hook.route("/api/status", methods=["GET"])
        @api
        async def status(request: Request) -> HTTPResponse:
            """What the team needs to see besides the queue: the CRM sync's failures, the newest report."""
            crm = await asyncio.to_thread(crm_status, self.desk.store.engine) if self.settings.env.get(
                "HUBSPOT_ACCESS_TOKEN") else None
            found = latest_report(self.settings.state_dir)
            return response.json({"crm": crm, "report": "/agent/report" if found else None})

        return hook
