"""The responses catalogue: every sentence the assistant says to customers, by key, from responses/<language>.yml.

The code asks for a key and gives its variables (`Responses.say`, `Voice.say`);
editors own the wording. `keys` lists what the code says; `frontdesk responses
check` (commands) checks a catalogue against it.
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "KEYS": "bot.responses.keys",
    "PERSONA_VARIABLES": "bot.responses.keys",
    "Responses": "bot.responses.catalogue",
    "SMS_CHANNELS": "bot.responses.catalogue",
    "Voice": "bot.responses.catalogue",
    "joined": "bot.responses.catalogue",
    "open_responses": "bot.responses.catalogue",
    "read_catalogue": "bot.responses.reading",
}
# public modules: commands
_MODULES = ('commands',)

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
