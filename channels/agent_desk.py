"""The agent desk: `GET /agent` (the desk page, with its login form), `/agent/login`, `/agent/logout`, the
service report at `/agent/report` and the JSON API under `/agent/api` (channels/agent_api.py), served by the
Rasa server.

Agents have their own accounts (`frontdesk agents add NAME`; AGENT_TOKEN, when
set, is a lead account too). The page logs in with a form POST and keeps a
random session id in an HttpOnly cookie; the API takes `Authorization: Bearer
<agent token>` (channels/agent_auth.py). Without a valid credential: 401 with
a one-line reason (the page shows its login form); 429 with `Retry-After`
after 10 wrong tokens a minute from one address; 403 for a state-changing
cookie request from another site. With no AGENT_TOKEN and no active agent the
desk is off (503) and says so once at start-up. A token in the address
(`/agent?token=`) logs nobody in.

The desk also runs, in the server, the outbox worker for the signed handoff
webhook and the loop that tells customers nobody has claimed them yet.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.agents import AgentError
from bot.agents import AgentWork
from bot.config import ReportConfig
from bot.crm import status as crm_status
from bot.handoff import HandoffDesk
from bot.handoff import rasa_tracker_writer
from bot.learn import Suggestions
from bot.messaging import OutboxWorker, PeriodicTask
from bot.ops import RasaServices, rasa_services
from bot.report import latest_report
from channels.agent_api import add_api_routes, error
from channels.agent_suggestions import add_suggestion_routes
from channels.agent_auth import COOKIE, SAFE_METHODS, DeskGate, TooManyFailures
from channels.webchat import page_source

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("static") / "agent.html"
UPDATE_LOOP_S = 2.0
OFF = "the agent desk is off: add an agent (frontdesk agents add NAME) or set AGENT_TOKEN"
SECURITY_HEADERS = {"Content-Security-Policy": "default-src 'self' 'unsafe-inline'", "Cache-Control": "no-store",
                    # same-origin: the desk's own POSTs carry its Origin (the CSRF check), other sites learn nothing
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
PUBLIC = {("/agent", "GET"), ("/agent/login", "POST"), ("/agent/logout", "POST")}  # they check credentials themselves


class AgentDeskInput(InputChannel):
    """Serves /agent; receives no customer messages itself."""

    def __init__(self, desk: HandoffDesk, work: AgentWork, gate: DeskGate, webhook: OutboxWorker | None,
                 state_dir: Path, crm_on: bool = False, zone: ZoneInfo | None = None,
                 suggestions: Suggestions | None = None) -> None:
        self.desk = desk
        self.accounts = work.accounts
        self.gate = gate
        self.work = work
        self.worker = webhook  # posts handoffs to HANDOFF_WEBHOOK_URL (None: not set)
        self.state_dir = state_dir  # where `frontdesk report` writes the newest report
        self.crm_on = crm_on
        self.zone = zone or ReportConfig().zone  # times shown to agents (report.time_zone)
        self.suggestions = suggestions  # the knowledge base's suggested questions (bot/learn); None: no such routes
        self._loop_task: asyncio.Task | None = None

    @classmethod
    def name(cls) -> str:
        return "agent"

    def url_prefix(self) -> str:
        return "/agent"  # absolute: served at /agent, not /webhooks/agent

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AgentDeskInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> AgentDeskInput:
        """The desk on the process's handoff desk, agent accounts, sessions and audit log."""
        settings = services.settings
        gate = DeskGate(services.accounts, services.desk_sessions, services.audit, settings.desk)
        return cls(services.desk, services.agent_work, gate, services.handoff_webhook, settings.state_dir,
                   settings.hubspot.on, services.config.report.zone, services.suggestions)

    def _prepare(self, request: Request) -> None:
        """Point the desk at the tracker store of the Rasa agent serving this request."""
        self.desk.tracker = rasa_tracker_writer(request.app.ctx.agent)

    async def _unclaimed_updates(self, app: Any) -> None:
        """Every UPDATE_LOOP_S, the first after one wait, send unclaimed-handoff updates; a pass is skipped
        while the server has no Rasa agent yet."""

        async def send() -> None:
            agent = getattr(app.ctx, "agent", None)
            if agent is not None:
                self.desk.tracker = rasa_tracker_writer(agent)
                await self.desk.send_unclaimed_updates()

        await PeriodicTask.repeat(send, UPDATE_LOOP_S, "agent desk: sending unclaimed-handoff updates", logger=logger,
                                  first_after=UPDATE_LOOP_S)

    async def _refusal(self, refused: AgentError) -> HTTPResponse:
        """401/429 as JSON, or 503 when nobody could sign in at all (the desk is off)."""
        if isinstance(refused, TooManyFailures):
            return error(str(refused), 429, {"Retry-After": str(refused.retry_after)})
        if refused.status == 401 and not await asyncio.to_thread(self.accounts.any_active):
            return error(OFF, 503)
        return error(str(refused), refused.status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        source = page_source(PAGE)
        login_page = source.split("<!--desk-->")[0] + "</body></html>"
        html = re.sub(r"<!--login-->.*<!--/login-->", "", source, flags=re.DOTALL)

        def login(reason: str = "", status: int = 401, headers: dict[str, str] | None = None) -> HTTPResponse:
            """The login form, with `reason` shown as text."""
            return response.html(login_page.replace("<!--error-->", escape(reason)), status=status,
                                 headers=SECURITY_HEADERS | (headers or {}))

        @hook.listener("after_server_start")
        async def start(app, loop) -> None:
            if not await asyncio.to_thread(self.accounts.any_active):
                logger.warning("The agent desk is off: add an agent (frontdesk agents add NAME) or set AGENT_TOKEN "
                               "to open /agent and /agent/api.")
            if self.worker is not None:
                self.worker.start()
            self._loop_task = loop.create_task(self._unclaimed_updates(app))

        @hook.listener("before_server_stop")
        async def stop(app, loop) -> None:
            if self._loop_task is not None:
                self._loop_task.cancel()
            if self.worker is not None:
                await self.worker.stop()
            await self.work.eraser.aclose()

        @hook.middleware("request")
        async def guard(request: Request):
            """Sign-in for everything under /agent but the page, login and logout; CSRF for cookie requests."""
            if not request.path.startswith("/agent"):
                return None
            if (request.path.rstrip("/") or "/", request.method) in PUBLIC:
                return None
            try:
                caller = await self.gate.authenticate(request)
            except AgentError as refused:
                return await self._refusal(refused)
            if caller.via == "cookie" and request.method not in SAFE_METHODS:
                reason = self.gate.cross_site(request)
                if reason:
                    logger.warning("agent desk: refused a cross-site %s %s from %s", request.method, request.path,
                                   caller.address)
                    return error(reason, 403)
            request.ctx.caller = caller
            return None

        @hook.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            """The desk for a signed-in agent (cookie); else the login form (401), or 503 when the desk is off.
            `?token=` is ignored: tokens never travel in addresses."""
            try:
                await self.gate.authenticate(request)
            except AgentError as refused:
                if refused.status == 401 and not await asyncio.to_thread(self.accounts.any_active):
                    return response.html(f"<!doctype html><title>Agent desk</title><p>{OFF}.</p>", status=503,
                                         headers=SECURITY_HEADERS)
                if "token" in request.args:
                    return login("Tokens in the address no longer log in: paste yours here.")
                headers = {"Retry-After": str(refused.retry_after)} if isinstance(refused, TooManyFailures) else None
                return login("" if request.cookies.get(COOKIE) is None else str(refused), refused.status, headers)
            return response.html(html, headers=SECURITY_HEADERS)

        @hook.route("/login", methods=["POST"])
        async def log_in(request: Request) -> HTTPResponse:
            """The login form's POST: 303 to /agent with a new session cookie; 401 (form again), 429, or 403 when
            the form was posted from another site."""
            if request.headers.get("origin") and self.gate.cross_site(request):
                return login("This form was sent from another site.", 403)
            token = (request.form.get("token") or "") if request.form else ""
            try:
                agent, session_id = await self.gate.log_in(token, self.gate.address(request))
            except TooManyFailures as refused:
                return login(str(refused), 429, {"Retry-After": str(refused.retry_after)})
            except AgentError as refused:
                return login(f"That token is not right ({refused}).", 401)
            reply = response.redirect("/agent", status=303, headers=SECURITY_HEADERS)
            self.gate.set_cookie(reply, request, session_id)
            logger.info("agent desk: %s logged in", agent.name)
            return reply

        @hook.route("/logout", methods=["POST"])
        async def log_out(request: Request) -> HTTPResponse:
            """End the desk session server-side and drop the cookie: 303 to /agent; 403 from another site."""
            reason = self.gate.cross_site(request)
            if reason:
                return error(reason, 403)
            await self.gate.log_out(request)
            reply = response.redirect("/agent", status=303, headers=SECURITY_HEADERS)
            self.gate.clear_cookie(reply, request)
            return reply

        add_api_routes(hook, self.work, self._prepare, self.zone)
        if self.suggestions is not None:
            add_suggestion_routes(hook, self.work, self.suggestions, self._prepare)

        @hook.route("/report", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            """The newest service report (`frontdesk report` writes it), read-only."""
            path = latest_report(self.state_dir)
            if path is None:
                return error("no report yet: run `frontdesk report`", 404)
            return await response.file(path, mime_type="text/html", headers=SECURITY_HEADERS)

        @hook.route("/api/status", methods=["GET"])
        async def status(request: Request) -> HTTPResponse:
            """What the team needs to see besides the queue: the CRM sync's failures, the newest report."""
            crm = await asyncio.to_thread(crm_status, self.desk.store.engine) if self.crm_on else None
            found = latest_report(self.state_dir)
            return response.json({"crm": crm, "report": "/agent/report" if found else None})

        return hook
