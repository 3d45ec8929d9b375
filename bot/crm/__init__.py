"""Recording conversations in HubSpot: the sync worker (sync) and what a conversation becomes there (records).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "CrmConfig": "bot.crm.sync",
    "CrmSync": "bot.crm.sync",
    "status": "bot.crm.sync",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
