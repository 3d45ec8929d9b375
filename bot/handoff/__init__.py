"""Handing a conversation to a person: records, context summary, business hours, the desk service."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "CHANNEL": "bot.handoff.webhook",
    "Handoff": "bot.handoff.store",
    "HandoffDesk": "bot.handoff.service",
    "HandoffError": "bot.handoff.store",
    "HandoffMessage": "bot.handoff.store",
    "OPEN": "bot.handoff.store",
    "REASONS": "bot.handoff.store",
    "WebhookSender": "bot.handoff.webhook",
    "build_summary": "bot.handoff.summary",
    "open_desk": "bot.handoff.service",
    "rasa_tracker_writer": "bot.handoff.tracker",
}
# public modules: none
_MODULES = ()

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
