"""Recording conversations in HubSpot: the sync worker (sync), what a conversation becomes there (records), and
erasing a customer from HubSpot (erasure).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "CrmConfig": "bot.crm.sync",
    "CrmHoldings": "bot.crm.erasure",
    "CrmSync": "bot.crm.sync",
    "crm_holdings": "bot.crm.erasure",
    "erase_from_hubspot": "bot.crm.erasure",
    "status": "bot.crm.sync",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
