"""The FAQ knowledge base: markdown entries, their embedding index, and the answer/clarify/fallback decision."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "DecisionConfig": "bot.kb.decide",
    "Encoder": "bot.kb.encoder",
    "Entry": "bot.kb.entries",
    "KBIndex": "bot.kb.index",
    "KnowledgeBase": "bot.kb.service",
    "evaluate": "bot.kb.evaluation",
    "explain": "bot.kb.decide",
    "load_entries": "bot.kb.entries",
    "open_knowledge_base": "bot.kb.service",
}
# public modules: replies
_MODULES = ('replies',)

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
