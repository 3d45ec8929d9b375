"""The conversation design: turn logic (turns), what was said (conversation), closing, boundaries, the feedback survey.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "Context": "bot.dialogue.turns",
    "OUT_OF_SCOPE_AGAIN": "bot.dialogue.boundaries",
    "Turn": "bot.dialogue.turns",
    "abusive_message": "bot.dialogue.boundaries",
    "abusive_messages": "bot.dialogue.boundaries",
    "asked_anything_else": "bot.dialogue.closing",
    "boundary_message": "bot.dialogue.boundaries",
    "closing_message": "bot.dialogue.closing",
    "covered": "bot.dialogue.closing",
    "customer_name": "bot.dialogue.conversation",
    "knowledge_base_first": "bot.dialogue.boundaries",
    "out_of_scope_message": "bot.dialogue.boundaries",
    "transcript": "bot.dialogue.conversation",
}
# public modules: conversation, feedback, turns
_MODULES = ('conversation', 'feedback', 'turns')

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
