"""Running Frontdesk: the `frontdesk` CLI, the supervisor of both servers, training, the terminal chat,
the Rasa and action server entry points, and the testers' conversation runner (ops.testing).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "main": "bot.ops.cli",
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
