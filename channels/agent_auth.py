"""Who is asking at /agent: the agent behind a bearer token or a desk cookie, the client's address, HTTPS, CSRF.

- `Authorization: Bearer <agent token>` (the API) or the desk cookie, which
  holds a random session id (never the token); missing, wrong, expired or
  revoked: `AgentError(..., 401)` with a one-line reason.
- At most 10 wrong tokens per client address per minute (login form and
  bearer API); then `TooManyFailures` (429, `Retry-After`).
- The client's address is the socket peer, or the last hop of
  X-Forwarded-For when the peer is one of TRUSTED_PROXIES; X-Forwarded-Proto
  and X-Forwarded-Host count only from those too.
- State-changing requests made with the cookie must come from the desk's
  own pages: `Origin` (else `Referer`) must name this host (`cross_site`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.agents import Agent, AgentAccounts, AgentError, AuditLog, DeskSessions, FailureLimiter
from bot.config import DeskSettings

logger = logging.getLogger(__name__)

COOKIE = "frontdesk_agent"
DEFAULT_PORTS = {"http": 80, "https": 443}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TooManyFailures(AgentError):
    """Too many wrong credentials from this address: 429, try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong agent tokens from your address: try again in {retry_after} s", 429)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Caller:
    agent: Agent
    via: str  # bearer or cookie
    address: str
    session_id: str | None = None


def client_address(peer: str, forwarded_for: list[str], trusted: DeskSettings) -> str:
    """The socket peer, or X-Forwarded-For's last hop (what the trusted proxy saw) when the peer is trusted."""
    if forwarded_for and trusted.trusts(peer):
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer


def _host_port(netloc: str, scheme: str) -> tuple[str, int | None]:
    parsed = urlsplit(f"//{netloc}")
    try:
        port = parsed.port
    except ValueError:
        return netloc.lower(), None
    return (parsed.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def cross_site(origin: str | None, referer: str | None, host: str) -> str | None:
    """None when `origin` (else `referer`) is this `host` (the Host header, host[:port]); else the reason."""
    source, label = (origin, "Origin") if origin else (referer, "Referer")
    if not source:
        return "refused: a request made with the desk's cookie needs an Origin or Referer header"
    parts = urlsplit(source)
    if source == "null" or parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return f"refused: {label} is not an http(s) address of this desk"
    if _host_port(parts.netloc, parts.scheme) != _host_port(host, parts.scheme):
        return f"refused: {label} is another site, not this desk"
    return None


class DeskGate:
    """Checks credentials and requests for the desk; owns the failure limiter (per process)."""

    def __init__(self, accounts: AgentAccounts, sessions: DeskSessions, audit: AuditLog, settings: DeskSettings,
                 limiter: FailureLimiter | None = None) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.audit = audit
        self.settings = settings
        self.limiter = limiter or FailureLimiter()

    # --- facts about the request ---

    def address(self, request: Request) -> str:
        return client_address(request.ip, request.headers.getall("x-forwarded-for", []), self.settings)

    def _from_proxy(self, request: Request, header: str) -> str:
        return request.headers.get(header, "").strip() if self.settings.trusts(request.ip) else ""

    def over_https(self, request: Request) -> bool:
        """Directly over TLS, or X-Forwarded-Proto: https from a trusted proxy."""
        direct = bool(request.conn_info and request.conn_info.ssl)
        return direct or self._from_proxy(request, "x-forwarded-proto").lower() == "https"

    def cross_site(self, request: Request) -> str | None:
        """The reason to refuse a state-changing cookie request that did not come from the desk's pages, or None."""
        host = self._from_proxy(request, "x-forwarded-host") or request.headers.get("host", "")
        return cross_site(request.headers.get("origin"), request.headers.get("referer"), host)

    # --- credentials ---

    async def authenticate(self, request: Request) -> Caller:
        """The agent behind the bearer token, else the desk cookie. 401 (AgentError) or 429 (TooManyFailures)."""
        address = self.address(request)
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            agent = await self.check_token(header[7:], address)
            return Caller(agent, "bearer", address)
        session_id = request.cookies.get(COOKIE, "")
        if not session_id:
            raise AgentError("not logged in: log in at /agent, or send Authorization: Bearer <agent token>", 401)
        agent = await asyncio.to_thread(self.sessions.agent_for, session_id)
        return Caller(agent, "cookie", address, session_id)

    async def check_token(self, token: str, address: str) -> Agent:
        """The token's active agent; a wrong one counts against `address` (429 past the limit)."""
        wait = self.limiter.retry_after(address)
        if wait:
            raise TooManyFailures(wait)
        try:
            return await asyncio.to_thread(self.accounts.authenticate, token)
        except AgentError as error:
            self.limiter.failed(address)
            logger.info("agent desk: refused a token from %s (%s)", address, error)
            raise

    async def log_in(self, token: str, address: str) -> tuple[Agent, str]:
        """Check a token from the login form and start a desk session: (agent, session id). Audited."""
        try:
            agent = await self.check_token(token, address)
        except TooManyFailures:
            raise
        except AgentError:
            await asyncio.to_thread(self.audit.record, "login_failed", None, address=address)
            raise
        session_id = await asyncio.to_thread(self.sessions.start, agent)
        await asyncio.to_thread(self.audit.record, "login", agent.name, address=address)
        return agent, session_id

    async def log_out(self, request: Request) -> None:
        """End the cookie's session, if it is one (audited when it was still valid)."""
        session_id = request.cookies.get(COOKIE, "")
        if not session_id:
            return
        try:
            agent = await asyncio.to_thread(self.sessions.agent_for, session_id)
        except AgentError:
            agent = None
        await asyncio.to_thread(self.sessions.end, session_id)
        if agent is not None:
            await asyncio.to_thread(self.audit.record, "logout", agent.name, address=self.address(request))

    # --- the cookie ---

    def set_cookie(self, reply: HTTPResponse, request: Request, session_id: str) -> None:
        """HttpOnly, SameSite=Strict, Path=/agent, Max-Age of a session; Secure over HTTPS."""
        reply.cookies[COOKIE] = session_id
        cookie = reply.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/agent"
        cookie["max-age"] = int(self.sessions.lifetime_s)
        if self.over_https(request):
            cookie["secure"] = True

    def clear_cookie(self, reply: HTTPResponse, request: Request) -> None:
        self.set_cookie(reply, request, "")
        reply.cookies[COOKIE]["max-age"] = 0
