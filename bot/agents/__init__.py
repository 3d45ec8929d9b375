"""Agent accounts for the desk: accounts and tokens, desk sessions, the audit log, the limit on wrong credentials.

`bot.agents.work` (what a signed-in agent may do with a handoff) builds on
`bot.handoff` and is imported from there by the desk, not re-exported here,
because `bot.handoff` itself asks the accounts whether anyone can take a handoff.
"""

from bot.agents.accounts import ROLES, Agent, AgentAccounts, AgentError
from bot.agents.audit import AuditEntry, AuditLog
from bot.agents.sessions import DeskSessions
from bot.agents.throttle import FailureLimiter

__all__ = ["ROLES", "Agent", "AgentAccounts", "AgentError", "AuditEntry", "AuditLog", "DeskSessions", "FailureLimiter"]
