"""Frontdesk's core, in rooms: config, dialogue, responses, kb, learn, detect, handoff, agents, messaging, crm, report,
vendors, ops and privacy (docs/architecture.md), plus the shared errors module.

`bot` imports neither `actions` nor `channels`; they import it, through each room's surface.
"""


import importlib
import sys
from typing import Any, Callable


def surface(room: str, exports: dict[str, str], modules: tuple[str, ...]) -> tuple[list[str], Callable[[str], Any]]:
    """A room's `__all__` and module `__getattr__`: each public name is imported from the module that
    defines it on first use (so importing a room stays cheap and rooms can't import each other in a
    cycle at load time); `modules` are submodules that are public as a whole (e.g. `bot.messaging.store`)."""

    def resolve(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in modules:
            value = importlib.import_module(f"{room}.{name}")
        else:
            raise AttributeError(f"module {room!r} has no attribute {name!r}")
        setattr(sys.modules[room], name, value)
        return value

    return sorted([*exports, *modules]), resolve
