"""Running Frontdesk: the `frontdesk` CLI, the supervisor of both servers, training, the terminal chat,
the Rasa and action server entry points, and the testers' conversation runner (ops.testing).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "main": "bot.ops.cli",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
