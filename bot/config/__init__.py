"""Configuration: the environment's settings (bot.config.settings) and the persona from assistant.yml.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "AGENT_NAME_PATTERN": "bot.config.settings",
    "DEFAULT_EMBEDDING_MODEL": "bot.config.settings",
    "DeskSettings": "bot.config.settings",
    "HandoffSettings": "bot.config.settings",
    "PROJECT_DIR": "bot.config.settings",
    "Persona": "bot.config.persona",
    "Settings": "bot.config.settings",
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
