"""POSTing handoff summaries to a helpdesk or CRM, signed with HMAC-SHA256, as the outbox's `webhook` sender.

The receiver checks `X-Frontdesk-Signature: sha256=<hex>` = HMAC-SHA256(HANDOFF_WEBHOOK_SECRET, raw body).
Network errors, 5xx and 429 are retried by the outbox with backoff; other 4xx are permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

CHANNEL = "webhook"
SIGNATURE_HEADER = "X-Frontdesk-Signature"


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, body), header or "")


class WebhookSender:
    """Outbox sender: one JSON POST per message; the recipient is the URL."""

    def __init__(self, secret: str, timeout_s: float = 10.0) -> None:
        self.secret = secret
        self.timeout_s = timeout_s

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        from bot.messaging import PermanentSendError, RetryableSendError

        body = body_bytes(payload)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body),
                   "User-Agent": "Frontdesk-handoff/1"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                reply = await client.post(recipient, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise RetryableSendError(f"webhook unreachable ({type(error).__name__})") from None
        if reply.status_code == 429 or reply.status_code >= 500:
            retry = reply.headers.get("Retry-After")
            raise RetryableSendError(f"webhook answered {reply.status_code}",
                                     retry_after=float(retry) if retry and retry.isdigit() else None)
        if reply.status_code >= 400:
            raise PermanentSendError(f"webhook refused the summary ({reply.status_code})")
        return None
