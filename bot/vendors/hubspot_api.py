"""HubSpot's CRM v3 REST API over httpx: the few calls the CRM sync makes, with errors sorted for the outbox.

hubspot-api-client is not among the pinned dependencies, so this speaks the
documented REST shapes directly (HubSpot API reference, "CRM > Contacts /
Notes / Tickets / Search"; the same shapes as hubspot-api-client's
`SimplePublicObjectInputForCreate`, `PublicObjectSearchRequest` and
`CollectionResponseWithTotalSimplePublicObject` models):

  create   POST  /crm/v3/objects/{type}   {"properties": {...}, "associations": [
                 {"to": {"id": "<id>"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                   "associationTypeId": <n>}]}]}
           -> 201 {"id": "<id>", "properties": {...}, "createdAt", "updatedAt", "archived"}
  update   PATCH /crm/v3/objects/{type}/{id}  {"properties": {...}} -> 200 (the object)
  search   POST  /crm/v3/objects/{type}/search  {"filterGroups": [{"filters": [
                 {"propertyName", "operator": "EQ" | "CONTAINS_TOKEN", "value"}]}],
                 "properties": [...], "limit": n} -> 200 {"total": n, "results": [object, ...]}
  archive  DELETE /crm/v3/objects/{type}/{id} -> 204 (to the recycle bin; HubSpot deletes it after 90 days)
  GDPR     POST  /crm/v3/objects/contacts/gdpr-delete  {"objectId": "<id>", "idProperty"?: "<unique property>"}
                 -> 204: the contact and its associations permanently deleted ("CRM > Contacts > GDPR delete")
  errors   {"status": "error", "message", "correlationId", "category"}; 429 may carry Retry-After.

Errors become the outbox's RetryableSendError (network, timeout, 5xx, 429 with
its Retry-After) or PermanentSendError (401/403 token or scope, 400/404
refused). Error texts hold the status, category and correlation id only:
never a request body, a response message (it can echo customer data) or the token.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

from bot.messaging import PermanentSendError, RetryableSendError

DEFAULT_API_BASE = "https://api.hubapi.com"
TIMEOUT_S = 10.0
DEFAULT_MAX_PER_S = 9.0
# Default association type ids (HubSpot API reference, "Associations v4 > association type ids").
NOTE_TO_CONTACT = 202
TICKET_TO_CONTACT = 16


def association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": str(to_id)}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class HubSpotClient:
    """One access token, one API base; every method is one HTTP request.

    Requests are paced to `max_per_s` (HubSpot allows private apps 100 per 10 s on
    the smallest plans) and a 429's Retry-After holds back every request of this
    client, not just the one that was refused.
    """

    def __init__(self, token: str, api_base: str | None = None, timeout: float = TIMEOUT_S,
                 max_per_s: float = DEFAULT_MAX_PER_S) -> None:
        self.base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._client = httpx.AsyncClient(timeout=timeout)
        self._interval = 1.0 / max_per_s if max_per_s > 0 else 0.0
        self._next_at = 0.0
        self._turn: asyncio.Lock | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _wait_turn(self) -> None:
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            delay = self._next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_at = max(self._next_at, time.monotonic()) + self._interval

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        what = f"HubSpot {method} {path.split('?')[0]}"
        await self._wait_turn()
        try:
            reply = await self._client.request(method, self.base + path, json=body, headers=self._headers)
        except httpx.TimeoutException:
            raise RetryableSendError(f"{what}: timed out") from None
        except httpx.HTTPError as error:
            raise RetryableSendError(f"{what}: {type(error).__name__}") from None
        if reply.status_code < 300:
            if reply.status_code == 204 or not reply.content:
                return {}
            try:
                return reply.json()
            except ValueError:
                raise RetryableSendError(f"{what}: answered {reply.status_code} without JSON") from None
        detail = f"{what}: {reply.status_code}"
        try:
            error = reply.json()
            detail += f" {error.get('category', '')} (correlationId {error.get('correlationId', '?')})"
        except (ValueError, AttributeError):
            pass
        if reply.status_code == 429:
            retry_after = _retry_after(reply.headers.get("Retry-After"))
            self._next_at = max(self._next_at, time.monotonic() + (retry_after if retry_after is not None else 1.0))
            raise RetryableSendError(detail, retry_after=retry_after)
        if reply.status_code >= 500:
            raise RetryableSendError(detail)
        if reply.status_code == 409:
            raise ConflictError(detail, _existing_id(reply))
        if reply.status_code == 404:
            raise NotFoundError(detail)
        raise PermanentSendError(detail)

    async def create(self, object_type: str, properties: dict[str, Any],
                     associations: list[dict[str, Any]] | None = None) -> str:
        """Create a contact, note or ticket; return its id."""
        body: dict[str, Any] = {"properties": properties}
        if associations:
            body["associations"] = associations
        return str((await self._call("POST", f"/crm/v3/objects/{object_type}", body))["id"])

    async def update(self, object_type: str, object_id: str, properties: dict[str, Any]) -> None:
        await self._call("PATCH", f"/crm/v3/objects/{object_type}/{object_id}", {"properties": properties})

    async def search(self, object_type: str, prop: str, value: str, operator: str = "EQ",
                     properties: list[str] | None = None) -> list[dict[str, Any]]:
        """Objects whose `prop` matches `value` (oldest first); [] when none."""
        body = {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": operator, "value": value}]}],
            "properties": properties or [prop],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "limit": 10,
        }
        return list((await self._call("POST", f"/crm/v3/objects/{object_type}/search", body)).get("results") or [])


    async def archive(self, object_type: str, object_id: str) -> bool:
        """Archive a note or ticket; False when HubSpot has no such object (already gone)."""
        try:
            await self._call("DELETE", f"/crm/v3/objects/{object_type}/{object_id}", None)
        except NotFoundError:
            return False
        return True

    async def gdpr_delete_contact(self, object_id: str, id_property: str | None = None) -> bool:
        """Permanently delete a contact for the right to erasure; False when HubSpot has no such contact."""
        body = {"objectId": str(object_id), **({"idProperty": id_property} if id_property else {})}
        try:
            await self._call("POST", "/crm/v3/objects/contacts/gdpr-delete", body)
        except NotFoundError:
            return False
        return True


class NotFoundError(PermanentSendError):
    """404: no such object (or it is already deleted)."""


class ConflictError(PermanentSendError):
    """409: the object exists already (HubSpot says "Existing ID: <id>" for unique properties)."""

    def __init__(self, reason: str, existing_id: str | None) -> None:
        super().__init__(reason)
        self.existing_id = existing_id


def _existing_id(reply: httpx.Response) -> str | None:
    try:
        match = re.search(r"Existing ID: (\d+)", reply.json().get("message", ""))
    except (ValueError, AttributeError):
        return None
    return match.group(1) if match else None
