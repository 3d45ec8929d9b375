"""The agent desk's JSON API under `/agent/api`, for the desk page and helpdesk integrations.

Every route runs after the desk's guard (channels/agent_desk.py), which has
put the signed-in agent on `request.ctx.caller`: actions are recorded under
that agent, and an `agent` name in a body is ignored. Answers: 200/201 with
JSON; 400 bad body or query, 403 not allowed (someone else's claim, not a
lead), 404 unknown handoff, 409 conflict (claimed by another, already
closed), 410 a handoff whose customer's data was erased (with when and by
whom), each with `{"error": "<one-line reason>"}`.

Times are given as epoch seconds and, for people, in the team's zone and UK style
(`report.time_zone`: "Sun 6 Dec, 17:20", bot/handoff/desk_view.py): the summary's
`started_text` and `handed_over_text`, each transcript entry's and message's `time`.
The assistant's messages and Frontdesk's notices also carry `html`, their markdown
made safe (bot/messaging/markup.py); customers' and agents' text never does. A
listed handoff has `preview`, one line of what the customer wants.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.agents import AgentWork
from bot.config import ReportConfig
from bot.errors import RefusedError
from bot.handoff import OPEN, Handoff, HandoffError, local_time, preview
from bot.messaging import message_html

MAX_TEXT_CHARS = 4096
PAGE, MAX_PAGE = 200, 1000  # handoffs listed at once: open ones oldest first, closed ones newest first
STATUSES = {"open": OPEN, "waiting": ("waiting",), "claimed": ("claimed",), "closed": ("resolved", "released"),
            "all": ("waiting", "claimed", "resolved", "released")}


def error(reason: str, status: int, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": reason}, status=status, headers=headers)


def _shown(message: dict[str, Any], zone: ZoneInfo, now: float) -> dict[str, Any]:
    """A transcript entry or message with its `time` for people, and `html` when the assistant or a notice said it."""
    shown = message | {"time": local_time(message.get("at"), zone, now)}
    if message.get("author") in ("bot", "system") and isinstance(message.get("text"), str):
        shown["html"] = message_html(message["text"])
    return shown


def how_long(seconds: float) -> str:
    """'26 hours', '4 days', '40 minutes', '12 seconds': how long ago, roughly, for an agent."""
    seconds = max(0.0, seconds)
    unit, size = next((u, n) for u, n, at_least in (("day", 86400, 3 * 86400), ("hour", 3600, 3600),
                                                     ("minute", 60, 60), ("second", 1, 0)) if seconds >= at_least)
    count = int(seconds // size)
    return f"{count} {unit}{'' if count == 1 else 's'}"


def undelivered_json(held: dict[str, Any] | None, now: float) -> dict[str, Any] | None:
    """What the desk shows when WhatsApp's window holds back messages of this handoff: the reason as a sentence
    for the agent, and the messages kept (sent automatically when the customer writes again)."""
    if not held:
        return None
    last = held["last_wrote_at"]
    wrote = (f"This WhatsApp customer last wrote {how_long(now - last)} ago" if last is not None
             else "This WhatsApp customer has not written since WhatsApp's window was recorded")
    reasons = [r for r in held["reasons"] if r.startswith("twilio_")]
    if reasons:
        codes = ", ".join(r.removeprefix("twilio_") for r in reasons)
        reason = (f"{wrote}; Twilio refused the message for WhatsApp's window or its template (error {codes}). "
                  "Check the template is approved and its variables fit, or wait for the customer to write.")
    else:
        reason = f"{wrote}; WhatsApp only delivers a template now. Configure one, or wait for the customer to write."
    return {"reason": reason, "kept_until": "the customer writes again, then it is sent automatically",
            "messages": [{"text": m["text"], "purpose": m["purpose"], "reason": m["reason"], "at": m["at"],
                          "message_id": m["handoff_message_id"]} for m in held["held"]]}


def handoff_json(handoff: Handoff, with_messages: list | None = None, zone: ZoneInfo | None = None,
                 undelivered: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the API shows of a handoff: never the customer's address or internal message ids. Times for
    people are in `zone` (the team's: report.time_zone; None: its default); `undelivered`: what WhatsApp's
    window holds back."""
    zone = zone or ReportConfig().zone
    summary = {k: v for k, v in handoff.summary.items() if k != "message_ids"}
    data = {"id": handoff.id, "status": handoff.status, "reason": handoff.reason, "agent": handoff.agent,
            "customer": summary.get("customer"), "created_at": handoff.created_at, "claimed_at": handoff.claimed_at,
            "first_agent_reply_at": handoff.first_agent_reply_at, "closed_at": handoff.closed_at,
            "updated_at": handoff.updated_at, "preview": preview(summary)}
    if with_messages is not None:
        now = time.time()
        summary["started_text"] = local_time(summary.get("started_at"), zone, now)
        summary["handed_over_text"] = local_time(summary.get("handed_over_at"), zone, now)
        summary["transcript"] = [_shown(t, zone, now) for t in summary.get("transcript") or []]
        data["summary"] = summary
        data["messages"] = [_shown(m.as_json(), zone, now) for m in with_messages]
        data["undelivered"] = undelivered_json(undelivered, now)
    return data


def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 400 otherwise."""
    try:
        body = json.loads((request.body or b"{}").decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HandoffError("body is not valid UTF-8 JSON", 400) from None
    if not isinstance(body, dict):
        raise HandoffError("body must be a JSON object", 400)
    return body


def text_field(body: dict[str, Any], name: str, limit: int) -> str:
    """A non-empty string field, trimmed; 400 otherwise."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HandoffError(f"'{name}' must be a non-empty string", 400)
    if len(value) > limit:
        raise HandoffError(f"'{name}' is longer than {limit} characters", 400)
    return value.strip()


Handler = Callable[..., Awaitable[HTTPResponse]]


def api_route(work: AgentWork, prepare: Callable[[Request], None]) -> Callable[[Handler], Handler]:
    """A decorator for an /api handler: `prepare(request)` first, the handler gets the caller, and a refusal
    is answered with its status and one-line reason (410 for a handoff whose customer was erased)."""

    def api(handler: Handler) -> Handler:
        async def wrapped(request: Request, **kwargs: Any) -> HTTPResponse:
            try:
                prepare(request)
                return await handler(request, request.ctx.caller, **kwargs)
            except RefusedError as refused:
                gone = await work.erased(kwargs["handoff_id"]) if refused.status == 404 and "handoff_id" in kwargs else None
                return error(gone, 410) if gone else error(str(refused), refused.status)
        wrapped.__name__ = handler.__name__
        return wrapped
    return api


def add_api_routes(hook: Blueprint, work: AgentWork, prepare: Callable[[Request], None], zone: ZoneInfo) -> None:
    """Register the /api routes on the desk's blueprint; `prepare(request)` points the desk at this request's
    Rasa agent (for tracker writes) before an action; times for people are written in `zone`."""
    api = api_route(work, prepare)

    @hook.route("/api/me", methods=["GET"])
    @api
    async def me(request: Request, caller) -> HTTPResponse:
        """The signed-in agent: name and role."""
        return response.json({"name": caller.agent.name, "role": caller.agent.role})

    @hook.route("/api/agents", methods=["GET"])
    @api
    async def agents(request: Request, caller) -> HTTPResponse:
        """Active agents (names and roles), for a lead's reassignment."""
        found = await asyncio.to_thread(work.accounts.listing)
        return response.json({"agents": [{"name": a.name, "role": a.role} for a in found if a.active]})

    @hook.route("/api/handoffs", methods=["GET"])
    @api
    async def listing(request: Request, caller) -> HTTPResponse:
        status = request.args.get("status", "open")
        if status not in STATUSES:
            raise HandoffError(f"'status' must be one of {', '.join(STATUSES)}", 400)
        tests = request.args.get("tests") == "1"  # handoffs opened by test conversations only when asked for
        limit = request.args.get("limit", str(PAGE))
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE:
            raise HandoffError(f"'limit' must be a number from 1 to {MAX_PAGE}", 400)
        found, more = await asyncio.to_thread(work.desk.store.page, STATUSES[status], int(limit), tests)
        return response.json({"handoffs": [handoff_json(h) for h in found], "more": more})

    @hook.route("/api/handoffs/<handoff_id:str>", methods=["GET"])
    @api
    async def detail(request: Request, caller, handoff_id: str) -> HTTPResponse:
        """Summary and messages after `?after=N`; recorded in the audit log as a view."""
        after = request.args.get("after", "0")
        if not after.isdigit():
            raise HandoffError("'after' must be a message number", 400)
        handoff, messages = await work.view(caller.agent, handoff_id, int(after), caller.address)
        held = await asyncio.to_thread(work.desk.undelivered, handoff)
        return response.json(handoff_json(handoff, messages, zone, held))

    @hook.route("/api/handoffs/<handoff_id:str>/claim", methods=["POST"])
    @api
    async def claim(request: Request, caller, handoff_id: str) -> HTTPResponse:
        return response.json(handoff_json(await work.claim(caller.agent, handoff_id, caller.address)))

    @hook.route("/api/handoffs/<handoff_id:str>/messages", methods=["POST"])
    @api
    async def reply(request: Request, caller, handoff_id: str) -> HTTPResponse:
        """`{"text": ...}` to the customer, as the signed-in agent: 201."""
        text = text_field(json_body(request), "text", MAX_TEXT_CHARS)
        message = await work.reply(caller.agent, handoff_id, text, caller.address)
        return response.json(message.as_json(), status=201)

    @hook.route("/api/handoffs/<handoff_id:str>/resolve", methods=["POST"])
    @api
    async def resolve(request: Request, caller, handoff_id: str) -> HTTPResponse:
        return response.json(handoff_json(await work.close(caller.agent, handoff_id, "resolve", caller.address)))

    @hook.route("/api/handoffs/<handoff_id:str>/release", methods=["POST"])
    @api
    async def release(request: Request, caller, handoff_id: str) -> HTTPResponse:
        return response.json(handoff_json(await work.close(caller.agent, handoff_id, "release", caller.address)))

    @hook.route("/api/handoffs/<handoff_id:str>/forget", methods=["POST"])
    @api
    async def forget(request: Request, caller, handoff_id: str) -> HTTPResponse:
        """A lead erases everything held about this handoff's customer, here and in HubSpot (docs/customer-data.md):
        200 with the erasure's receipt; 403 for agents. The customer's turns wait meanwhile (Rasa's lock)."""
        agent = getattr(request.app.ctx, "agent", None)
        hold = agent.lock_store.lock if agent is not None else None
        return response.json(await work.forget(caller.agent, handoff_id, caller.address, hold))

    @hook.route("/api/handoffs/<handoff_id:str>/assign", methods=["POST"])
    @api
    async def assign(request: Request, caller, handoff_id: str) -> HTTPResponse:
        """`{"agent": NAME}`: a lead gives the handoff to another active agent (403 for others)."""
        to = text_field(json_body(request), "agent", 64)
        return response.json(handoff_json(await work.assign(caller.agent, handoff_id, to, caller.address)))
