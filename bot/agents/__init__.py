"""Agent accounts for the desk: accounts and tokens, desk sessions, the audit log, the limit on wrong credentials.

`bot.agents.work` (what a signed-in agent may do with a handoff) builds on
`bot.handoff` and is imported from there by the desk, not re-exported here,
because `bot.handoff` itself asks the accounts whether anyone can take a handoff."""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "Agent": "bot.agents.accounts",
    "AgentError": "bot.agents.accounts",
    "AuditLog": "bot.agents.audit",
    "DeskSessions": "bot.agents.sessions",
    "FailureLimiter": "bot.agents.throttle",
    "AgentAccounts": "bot.agents.accounts",
    "AgentWork": "bot.agents.work",
    "AuditEntry": "bot.agents.audit",
    "ROLES": "bot.agents.accounts",
}
# public modules: commands
_MODULES = ('commands',)

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
