"""`frontdesk agents add|list|revoke|reset|audit`: manage the desk's agent accounts from a terminal.

Works on DATABASE_URL (the running assistant sees changes on its next
request). `add` and `reset` print the new token as the last line of their
output, once; refusals are one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import time
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.agents.accounts import ROLES, Agent, AgentAccounts, AgentError
from bot.agents.audit import AuditLog


def _database(settings) -> Engine:
    """DATABASE_URL's engine with Frontdesk's tables (the state folder is made for the default SQLite file);
    a database that cannot be opened is a one-line error."""
    from bot.messaging import open_database

    settings.state_dir.mkdir(parents=True, exist_ok=True)
    try:
        return open_database(settings.database_url)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise AgentError(f"cannot open the database at DATABASE_URL: {reason}", 503) from None


def _accounts(settings) -> AgentAccounts:
    return AgentAccounts(_database(settings), settings.handoff.agent_token, settings.desk.bootstrap_name)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "-"


def _hand_over(agent: Agent, token: str, what: str) -> None:
    """What to do with the token, then the token itself as the last line (scripts take `| tail -1`)."""
    print(f"{what} {agent.name} ({agent.role}). Give them this token; it is shown only now and stored hashed.")
    print("They log in at /agent with it, or send it as `Authorization: Bearer <token>` to /agent/api.")
    print(token)


def _settings():
    from bot.config import Settings

    return Settings.from_env()


def _cmd_add(args: argparse.Namespace) -> int:
    agent, token = _accounts(_settings()).add(args.name, args.role)
    _hand_over(agent, token, "Added")
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    agent, token = _accounts(_settings()).reset(args.name)
    print(f"{agent.name}'s old token and desk sessions no longer work.")
    _hand_over(agent, token, "New token for")
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    agent = _accounts(_settings()).revoke(args.name)
    print(f"Revoked {agent.name}: their token and desk sessions stopped working now.")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    found = _accounts(_settings()).listing()
    if not found:
        print("No agents yet: `frontdesk agents add NAME` makes one.")
        return 0
    print(f"{'name':<20}{'role':<7}{'status':<30}{'created':<22}token issued")
    for agent in found:
        if agent.from_env:
            print(f"{agent.name:<20}{agent.role:<7}{'active (AGENT_TOKEN)':<30}{'-':<22}-")
            continue
        status = "active" if agent.active else f"revoked {_when(agent.revoked_at)}"
        print(f"{agent.name:<20}{agent.role:<7}{status:<30}{_when(agent.created_at):<22}{_when(agent.token_issued_at)}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from bot.report import resolve_period

    start = resolve_period(ZoneInfo("UTC"), time.time(), since=args.since).start
    entries = AuditLog(_database(_settings())).since(start)
    if not entries:
        print(f"No agent activity since {_when(start)}.")
    for entry in entries:
        print(entry.line())
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `frontdesk agents ...` on the top-level parser's subcommands."""
    agents = sub.add_parser("agents", help="agent accounts for the desk: add, list, revoke, reset, audit").add_subparsers(
        dest="agents_command", required=True)
    add = agents.add_parser("add", help="create an agent; prints their token (once) as the last line")
    add.add_argument("name", help="a letter, then up to 31 letters, digits, '.', '_' or '-' (customers see it)")
    add.add_argument("--role", choices=ROLES, default="agent", help="lead: may also act on others' handoffs and reassign")
    add.set_defaults(func=_cmd_add)
    agents.add_parser("list", help="every agent, role and status").set_defaults(func=_cmd_list)
    revoke = agents.add_parser("revoke", help="switch an agent off: token and desk sessions stop working at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=_cmd_revoke)
    reset = agents.add_parser("reset", help="give an agent a new token (the old one and their sessions stop working)")
    reset.add_argument("name")
    reset.set_defaults(func=_cmd_reset)
    audit = agents.add_parser("audit", help="who viewed, claimed, replied to, reassigned, released and resolved what")
    audit.add_argument("--since", default="7d", help="a period ending now: 7d (the default), 24h, 2w")
    audit.set_defaults(func=_cmd_audit)
