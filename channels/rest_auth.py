"""Who may write to and read which conversation over the REST channel.

Two credentials, checked before anything is written or read:

- `X-Frontdesk-Session: <session>`, issued by `POST /webhooks/rest/session`
  (bot/messaging/sessions.py): the visitor's own conversation, and only as its own
  channel (rest or webchat). A body `sender` or `?sender=` that differs is refused.
- `Authorization: Bearer <RASA_API_TOKEN>`, the operator's token (compared in
  constant time): any `sender` and any channel, e.g. the conversation tests
  playing an SMS customer. It grants nothing that Rasa's own HTTP API does not
  already grant with the same token.

Refusals carry the HTTP status: 401 when no credential was sent, 403 when one
was sent and is wrong (forged session, wrong token) or does not allow the
request (another conversation, playing another channel), 400 when the
operator names no sender. Reasons never echo what was sent.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from bot.errors import FrontdeskError
from bot.messaging import HEADER, Session, SessionSigner

NO_CREDENTIAL = f"no session: POST /webhooks/rest/session first, then send its 'session' as {HEADER}"


class Refused(FrontdeskError):
    """The request is not allowed; `status` is the HTTP status to answer (400, 401 or 403)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Caller:
    """A request's verified credentials: a visitor's session, the operator's token, or both."""

    session: Session | None
    operator: bool


class RestGate:
    """Checks REST requests against the session key and the Rasa API token ("" turns the token off)."""

    def __init__(self, signer: SessionSigner, api_token: str) -> None:
        self.signer = signer
        self.api_token = api_token

    def caller(self, session_header: str | None, authorization: str | None) -> Caller | None:
        """The verified caller; None when the request carries neither header; Refused 403 for a wrong one."""
        session = None
        if session_header is not None:
            session = self.signer.verify(session_header)
            if session is None:
                raise Refused(f"{HEADER} is not a valid session: get a new one with POST /webhooks/rest/session", 403)
        operator = False
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not self.api_token or not hmac.compare_digest(
                    token.strip().encode(), self.api_token.encode()):
                raise Refused("wrong API token (Authorization: Bearer <RASA_API_TOKEN>)", 403)
            operator = True
        if session is None and not operator:
            return None
        return Caller(session, operator)

    def for_message(self, caller: Caller | None, sender: str | None, channel: str | None) -> tuple[str, str]:
        """(conversation id, input channel) a message may go to; `channel` None: the session's, else rest."""
        operator = caller is not None and caller.operator
        if channel not in (None, "rest", "webchat") and not operator:
            raise Refused(f"playing the {channel} channel needs Authorization: Bearer <RASA_API_TOKEN>", 403)
        if caller is None:
            raise Refused(NO_CREDENTIAL, 401)
        if caller.session is not None:
            session = caller.session
            if sender is not None and sender != session.conversation_id:
                raise Refused("'sender' is not this session's conversation (leave it out)", 403)
            if channel is not None and channel != session.channel and not operator:
                raise Refused(f"this session is a {session.channel} conversation: 'metadata.channel' cannot change it", 403)
            return session.conversation_id, channel or session.channel
        if sender is None:
            raise Refused("'sender' is required with the API token", 400)
        return sender, channel or "rest"

    def for_reading(self, caller: Caller | None, sender: str | None) -> str:
        """The conversation id whose messages may be read (`?sender=` is optional with a session)."""
        if caller is None:
            raise Refused(NO_CREDENTIAL, 401)
        if caller.session is not None:
            if sender is not None and sender != caller.session.conversation_id:
                raise Refused("'sender' is not this session's conversation (leave it out)", 403)
            return caller.session.conversation_id
        if sender is None:
            raise Refused("'sender' is required with the API token", 400)
        return sender
