"""Writing agents' messages, notices and ConversationResumed into a conversation's tracker.

Runs inside the Rasa server (the agent desk and the Telegram connector use
it) with the server's own agent, under its per-conversation lock, so a
customer's turn and an agent's write never interleave.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

from bot.handoff.service import TrackerWriter


def rasa_tracker_writer(agent: Any) -> TrackerWriter:
    """A TrackerWriter for the Rasa `agent` (request.app.ctx.agent)."""

    async def write(conversation_id: str, events: list[dict[str, Any]]) -> None:
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation_id, append_action_listen=False)
            for event in events:
                tracker.update(Event.from_parameters(event))
            await agent.tracker_store.save(tracker)

    return write
