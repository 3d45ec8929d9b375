"""Configuration: the environment's settings (bot.config.settings) and the persona from assistant.yml.
"""

from __future__ import annotations

from bot import surface

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

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
