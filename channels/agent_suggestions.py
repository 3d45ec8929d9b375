"""The desk's knowledge-base routes under `/agent/api`: the entries, "this was answered by ..." for a handoff, and
the suggestions leads review (bot/learn).

- `GET /api/entries`: every entry's id and title (the picker), any agent.
- `POST /api/handoffs/{id}/entry` `{"entry": ID, "text"?: one of the customer's questions}`: the handed-over
  question was answered by the entry; any agent; 201 when a suggestion was recorded, 200 with `outcome` when a
  rule dropped it (a test conversation, a wording the entry has already ...), 404 unknown handoff or entry.
- `GET /api/suggestions[?entry=ID]`, `POST /api/suggestions/approve|reject` `{"ids": [...]}`: leads only (403);
  approving adds the wording to the entry's markdown (409 when the file changed on disk since, nothing changed).

Customers' wordings are returned as plain strings; the page shows them with textContent.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.agents import AgentError, AgentWork
from bot.handoff import HandoffError
from bot.kb import load_entries
from bot.learn import Group, Suggestions
from channels.agent_api import api_route, json_body, text_field


def group_json(group: Group) -> dict[str, Any]:
    return {"id": group.id, "entry": group.entry_id, "wording": group.wording, "customers": group.customers,
            "evidence": group.evidence, "ambiguous_with": list(group.ambiguous_with),
            "held": group.held, "last_at": max(r["created_at"] for r in group.rows)}


def _ids(request: Request) -> list[int]:
    ids = json_body(request).get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise HandoffError("'ids' must be a non-empty list of suggestion ids", 400)
    return ids


def add_suggestion_routes(hook: Blueprint, work: AgentWork, suggestions: Suggestions,
                          prepare: Callable[[Request], None]) -> None:
    api = api_route(work, prepare)

    def lead_only(caller) -> None:
        if not caller.agent.is_lead:
            raise AgentError("only a lead can review the knowledge base's suggestions", 403)

    @hook.route("/api/entries", methods=["GET"])
    @api
    async def entries(request: Request, caller) -> HTTPResponse:
        found = await asyncio.to_thread(load_entries, suggestions.root)
        return response.json({"entries": [{"id": e.id, "title": e.title} for e in sorted(found.entries, key=lambda e: e.title)]})

    @hook.route("/api/handoffs/<handoff_id:str>/entry", methods=["POST"])
    @api
    async def answered_by(request: Request, caller, handoff_id: str) -> HTTPResponse:
        body = json_body(request)
        entry = text_field(body, "entry", 255)
        text = text_field(body, "text", 4096) if body.get("text") is not None else None
        handoff = await asyncio.to_thread(work.desk.store.get, handoff_id)
        summary = dict(handoff.summary, conversation_id=handoff.conversation_id)
        if handoff.reason == "abuse":
            summary["test"] = True  # an abusive conversation teaches nothing either
        result = await asyncio.to_thread(suggestions.link, summary, entry, text, caller.agent.name)
        await asyncio.to_thread(work.audit.record, "link_entry", caller.agent.name, handoff_id, entry, caller.address)
        return response.json(result, status=201 if result["recorded"] else 200)

    @hook.route("/api/suggestions", methods=["GET"])
    @api
    async def listing(request: Request, caller) -> HTTPResponse:
        lead_only(caller)
        found = await asyncio.to_thread(load_entries, suggestions.root)
        notes = await asyncio.to_thread(suggestions.drop_deleted, {e.id: e for e in found.entries})
        groups = await asyncio.to_thread(suggestions.groups, request.args.get("entry"))
        titles = {e.id: e.title for e in found.entries}
        return response.json({"suggestions": [group_json(g) | {"title": titles.get(g.entry_id, g.entry_id)} for g in groups],
                              "notes": notes, "mode": suggestions.config.learn})

    @hook.route("/api/suggestions/<decision:approve|reject>", methods=["POST"])
    @api
    async def decide(request: Request, caller, decision: str) -> HTTPResponse:
        lead_only(caller)
        ids = _ids(request)
        act = suggestions.approve if decision == "approve" else suggestions.reject
        lines = await asyncio.to_thread(act, ids, caller.agent.name)
        await asyncio.to_thread(work.audit.record, f"kb_{decision}", caller.agent.name, None,
                                ",".join(map(str, ids)), caller.address)
        return response.json({"done": lines})
