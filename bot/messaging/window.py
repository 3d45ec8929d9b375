"""WhatsApp's customer-service window: when each customer last wrote, and what may be sent to them now.

WhatsApp delivers a free-form message only within 24 hours (`WindowRules.window_s`) of the customer's last
message; after that only an approved template, sent by `ContentSid` with `ContentVariables`. The time of each
WhatsApp customer's last message is stored (`frontdesk_channel_state`, key `last_inbound_at`), so every instance
and every restart agrees. Before each WhatsApp send, `WindowedSender` (the outbox's sender for the channel)
decides (`decide`): inside the window the message goes as it is; outside, as its purpose's template (payload
`purpose`: agent_reply, handoff_update, survey, follow_up; its `fields` fill the placeholders); with no
template it raises WindowClosedError and the outbox holds it (status `held`, with the reason). When the
customer writes again, `customer_wrote` releases what was held (the window is open again): it is sent
automatically, in order, except held follow-ups, which the customer's own message makes pointless (cancelled).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.engine import Engine

from bot.config import Template, WindowRules
from bot.messaging.outbox import Outbox, Sender, WindowClosedError
from bot.messaging.channel_values import ChannelState

CHANNEL = "whatsapp"
LAST_INBOUND = "last_inbound_at"
CANCELLED_WHEN_CUSTOMER_WRITES = ("follow_up",)  # held purposes a customer's new message makes pointless


@dataclass(frozen=True)
class Decision:
    """`free` (send as it is), `template` (send `template` instead), or `hold` (`reason`: no_template)."""

    kind: str
    template: Template | None = None
    reason: str = ""


def decide(last_inbound_at: float | None, now: float, rules: WindowRules, purpose: str | None) -> Decision:
    """What a WhatsApp message of `purpose` to a customer who last wrote at `last_inbound_at` may be now."""
    if last_inbound_at is not None and now - last_inbound_at < rules.window_s:
        return Decision("free")
    template = rules.templates.get(purpose or "")
    if template is not None:
        return Decision("template", template)
    return Decision("hold", reason="no_template")


class WhatsAppWindow:
    """When each WhatsApp customer last wrote (stored), whether their window is open, and what was held for it."""

    def __init__(self, engine: Engine, rules: WindowRules, clock: Callable[[], float] = time.time) -> None:
        self.state = ChannelState(engine, CHANNEL)
        self.outbox = Outbox(engine)
        self.rules = rules
        self.clock = clock

    def last_inbound(self, recipient: str) -> float | None:
        value = self.state.get(recipient, LAST_INBOUND)
        return float(value) if value is not None else None

    def is_open(self, recipient: str, now: float | None = None) -> bool:
        last = self.last_inbound(recipient)
        now = self.clock() if now is None else now
        return last is not None and now - last < self.rules.window_s

    def customer_wrote(self, recipient: str, at: float) -> tuple[int, int]:
        """Record a message from the customer (received at `at`) and release what was held for the window.
        Returns (released, cancelled)."""
        last = self.last_inbound(recipient)
        if last is None or at > last:
            self.state.put(recipient, LAST_INBOUND, at)
        return self.outbox.release_held(CHANNEL, recipient, lambda payload: payload.get("purpose") in CANCELLED_WHEN_CUSTOMER_WRITES)

    def held_notice(self, conversation_id: str, recipient: str | None, since: float) -> dict[str, Any] | None:
        """What the desk shows about messages to this customer held since `since`: {held: [...], last_wrote_at,
        window_s, reasons}; None when nothing is held."""
        held = self.outbox.held(conversation_id, since)
        if not held:
            return None
        return {"held": [{"text": (h["payload"] or {}).get("text", ""), "purpose": (h["payload"] or {}).get("purpose"),
                          "reason": h["reason"], "at": h["created_at"],
                          "handoff_message_id": (h["payload"] or {}).get("handoff_message_id")} for h in held],
                "last_wrote_at": self.last_inbound(recipient) if recipient else None,
                "window_s": self.rules.window_s, "reasons": sorted({h["reason"] or "" for h in held})}


class WindowedSender:
    """The outbox's WhatsApp sender: free-form inside the window, the purpose's template outside it, and
    WindowClosedError (held) when there is none. `inner` sends a payload with `content_sid` as a template."""

    def __init__(self, inner: Sender, window: WhatsAppWindow, company: str = "") -> None:
        self.inner = inner
        self.window = window
        self.company = company

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        last = await asyncio.to_thread(self.window.last_inbound, recipient)
        purpose = payload.get("purpose")
        decision = decide(last, self.window.clock(), self.window.rules, purpose)
        if decision.kind == "free":
            return await self.inner.send(recipient, payload)
        if decision.kind == "template":
            assert decision.template is not None
            values = {"company": self.company, "text": payload.get("text", "")} | dict(payload.get("fields") or {})
            return await self.inner.send(recipient, dict(payload, content_sid=decision.template.content_sid,
                                                         content_variables=decision.template.fill(values)))
        wrote = "never wrote" if last is None else f"last wrote {int(self.window.clock() - last)} s ago"
        raise WindowClosedError(decision.reason, f"the customer {wrote}; no WhatsApp template for {purpose or 'this message'}")
