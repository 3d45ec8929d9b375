"""Handing a conversation to a person: records, context summary, business hours, the desk service."""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "CHANNEL": "bot.handoff.webhook",
    "FollowUpWorker": "bot.handoff.followup",
    "FollowUps": "bot.handoff.followup",
    "Handoff": "bot.handoff.store",
    "HandoffDesk": "bot.handoff.service",
    "HandoffError": "bot.handoff.store",
    "HandoffMessage": "bot.handoff.store",
    "NewAnswers": "bot.handoff.new_answers",
    "NewAnswersWatcher": "bot.handoff.new_answers",
    "OPEN": "bot.handoff.store",
    "REASONS": "bot.handoff.store",
    "WebhookSender": "bot.handoff.webhook",
    "build_summary": "bot.handoff.summary",
    "local_time": "bot.handoff.desk_view",
    "preview": "bot.handoff.desk_view",
    "rasa_tracker_writer": "bot.handoff.tracker",
    "ticket_text": "bot.handoff.summary",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
