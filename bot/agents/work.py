"""What an authenticated agent may do with a handoff, done through the HandoffDesk and written to the audit log.

Anyone signed in may read the queue and a handoff and claim a waiting one.
Only the agent who claimed a handoff, or a lead, may reply to, resolve or
release it; closing a handoff nobody has claimed is for leads. Only leads
reassign and erase a customer's data ("Forget this customer", bot/privacy). Refusals are `AgentError(..., 403)`
with a one-line reason;
`HandoffError` keeps its own statuses (404 unknown id, 409 conflicts). The
check reads the handoff just before the change. Every action is recorded
under the agent's own name, whatever a request body says.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable

from bot.agents.accounts import Agent, AgentAccounts, AgentError
from bot.agents.audit import AuditLog
from bot.handoff import HandoffDesk
from bot.handoff import Handoff, HandoffMessage


def check_may_act(agent: Agent, handoff: Handoff, what: str) -> None:
    """403 unless `agent` may `what` (reply to, resolve, release) this open handoff; closed ones pass (409 later)."""
    if agent.is_lead or not handoff.is_open:
        return
    if handoff.status == "claimed" and handoff.agent != agent.name:
        raise AgentError(f"{handoff.agent} has claimed this handoff: only they or a lead can {what} it", 403)
    if handoff.status == "waiting" and what != "reply to":
        raise AgentError(f"nobody has claimed this handoff: claim it before you {what} it", 403)


class AgentWork:
    def __init__(self, desk: HandoffDesk, accounts: AgentAccounts, audit: AuditLog, eraser: Any = None) -> None:
        self.desk = desk
        self.accounts = accounts
        self.audit = audit
        self.eraser = eraser  # a bot.privacy.Eraser: leads may erase a customer from the desk

    async def view(self, agent: Agent, handoff_id: str, after: int = 0,
                   address: str | None = None) -> tuple[Handoff, list[HandoffMessage]]:
        """The handoff and its messages after message `after`; the view is audited. 404 unknown id."""
        handoff = await asyncio.to_thread(self.desk.store.get, handoff_id)
        messages = await asyncio.to_thread(self.desk.store.messages, handoff_id, after)
        await asyncio.to_thread(self.audit.record_view, agent.name, handoff_id, address)
        return handoff, messages

    async def claim(self, agent: Agent, handoff_id: str, address: str | None = None) -> Handoff:
        """Claim a waiting handoff for `agent` (the customer is told they joined); 409 if someone else has it."""
        handoff = await self.desk.claim(handoff_id, agent.name)
        await self._record("claim", agent, handoff_id, address)
        return handoff

    async def reply(self, agent: Agent, handoff_id: str, text: str, address: str | None = None) -> HandoffMessage:
        """Send `text` to the customer as `agent` (claiming a waiting handoff first). 403 someone else's, 409 closed."""
        handoff = await asyncio.to_thread(self.desk.store.get, handoff_id)
        check_may_act(agent, handoff, "reply to")
        message = await self.desk.reply(handoff_id, text, agent.name, for_owner=agent.is_lead)
        await self._record("reply", agent, handoff_id, address)
        return message

    async def close(self, agent: Agent, handoff_id: str, how: str, address: str | None = None) -> Handoff:
        """`resolve` (the customer is thanked and surveyed) or `release` (handed back to the bot); either way the
        bot answers again. 403 not allowed, 404 unknown id, 409 already closed."""
        handoff = await asyncio.to_thread(self.desk.store.get, handoff_id)
        check_may_act(agent, handoff, how)
        done = await (self.desk.resolve if how == "resolve" else self.desk.release)(handoff_id, by=agent.name)
        await self._record(how, agent, handoff_id, address)
        return done

    async def assign(self, agent: Agent, handoff_id: str, to: str, address: str | None = None) -> Handoff:
        """A lead gives an open handoff to another active agent. 403 not a lead, 400 no such active agent,
        404 unknown handoff, 409 closed."""
        if not agent.is_lead:
            raise AgentError("only a lead can reassign a handoff", 403)
        await asyncio.to_thread(self.desk.store.get, handoff_id)  # 404 before anything else
        target = await asyncio.to_thread(self.accounts.active, to)
        if target is None:
            raise AgentError(f"no active agent named {to!r}", 400)
        before, handoff = await self.desk.assign(handoff_id, target.name)
        await self._record("assign", agent, handoff_id, address, f"{before.agent or 'nobody'} -> {target.name}")
        return handoff

    async def forget(self, agent: Agent, handoff_id: str, address: str | None = None,
                     hold: Callable[[str], AbstractAsyncContextManager] | None = None) -> dict[str, Any]:
        """A lead erases everything held about the handoff's customer (the handoff too); returns the receipt.
        `hold(conversation_id)` keeps the customer's turns out meanwhile (Rasa's lock). 403 not a lead, 404 unknown."""
        from bot.privacy import subject_of_conversation

        if not agent.is_lead:
            raise AgentError("only a lead can erase a customer's data", 403)
        if self.eraser is None:
            raise AgentError("erasing customers' data is not set up on this desk", 503)
        handoff = await asyncio.to_thread(self.desk.store.get, handoff_id)
        subject = subject_of_conversation(handoff.conversation_id, handoff.channel)
        receipt = await self.eraser.forget(subject, requested_by=agent.name, hold=hold)
        await self._record("forget", agent, handoff_id, address)
        return receipt.data

    async def erased(self, handoff_id: str) -> str | None:
        """Why an unknown handoff is gone, when a lead erased its customer's data (the desk answers 410)."""
        if self.eraser is None:
            return None
        found = await asyncio.to_thread(self.eraser.erased, handoff_id)
        if found is None:
            return None
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(found["at"]))
        return f"this customer's data was erased at their request ({when}, by {found['requested_by']})"

    async def _record(self, action: str, agent: Agent, handoff_id: str, address: str | None,
                      detail: str | None = None) -> None:
        await asyncio.to_thread(self.audit.record, action, agent.name, handoff_id, detail, address)
