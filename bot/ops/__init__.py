"""Running Frontdesk: the `frontdesk` CLI, the supervisor of both servers, training, the terminal chat,
the Rasa and action server entry points with the one place each process is assembled (rasa_process,
action_process), and the testers' conversation runner (ops.testing).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "ActionServices": "bot.ops.action_process",
    "ChannelParts": "bot.ops.rasa_process",
    "RasaServices": "bot.ops.rasa_process",
    "action_services": "bot.ops.action_process",
    "main": "bot.ops.cli",
    "rasa_services": "bot.ops.rasa_process",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
