"""HubSpot's answers sorted for the outbox: what is worth retrying, what is not, and what an error text may say."""

from __future__ import annotations

import asyncio
import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest

from bot.vendors.hubspot_api import ConflictError, HubSpotClient
from bot.messaging.outbox import PermanentSendError, RetryableSendError
from tests.fakes.hubspot_api import FakeHubSpotAPI

TOKEN = "pat-secret-token"


@pytest.fixture
def hubspot():
    with FakeHubSpotAPI(TOKEN) as api:
        yield api


def call(hubspot_url: str, coroutine_of, token: str = TOKEN):
    async def go():
        client = HubSpotClient(token, hubspot_url, timeout=2)
        try:
            return await coroutine_of(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_create_search_and_update_speak_the_crm_v3_shapes(hubspot: FakeHubSpotAPI) -> None:
    contact = call(hubspot.url, lambda c: c.create("contacts", {"phone": "+447700900001", "firstname": "Al"}))
    [found] = call(hubspot.url, lambda c: c.search("contacts", "phone", "+447700900001", properties=["phone", "firstname"]))
    assert found["id"] == contact and found["properties"]["firstname"] == "Al"
    call(hubspot.url, lambda c: c.update("contacts", contact, {"firstname": "Alan"}))
    assert hubspot.contacts()[0]["firstname"] == "Alan"
    assert call(hubspot.url, lambda c: c.search("contacts", "phone", "+447700900002")) == []


@pytest.mark.parametrize("status, retry_after, kind", [
    (429, 7, RetryableSendError), (500, None, RetryableSendError), (502, None, RetryableSendError),
    (503, None, RetryableSendError),
])
def test_rate_limits_and_server_errors_are_retried(hubspot: FakeHubSpotAPI, status: int, retry_after, kind) -> None:
    hubspot.fail_next(1, status=status, retry_after=retry_after)
    with pytest.raises(kind) as raised:
        call(hubspot.url, lambda c: c.create("contacts", {"phone": "+447700900001"}))
    assert raised.value.retry_after == retry_after
    assert str(status) in str(raised.value) and "correlationId" in str(raised.value)


def test_a_wrong_token_or_a_bad_request_is_not_retried_and_the_error_hides_token_and_values(hubspot: FakeHubSpotAPI) -> None:
    with pytest.raises(PermanentSendError) as wrong_token:
        call(hubspot.url, lambda c: c.create("contacts", {"phone": "+447700900001"}), token="pat-wrong")
    assert "401" in str(wrong_token.value) and "pat-wrong" not in str(wrong_token.value)
    with pytest.raises(PermanentSendError) as bad:
        call(hubspot.url, lambda c: c.create("contacts", {"favourite_colour": "+447700900001"}))
    assert "400 VALIDATION_ERROR" in str(bad.value) and "+44" not in str(bad.value)
    assert not isinstance(bad.value, RetryableSendError)


def test_a_conflict_names_the_existing_object(hubspot: FakeHubSpotAPI) -> None:
    def conflict(handler: BaseHTTPRequestHandler) -> None:  # what HubSpot answers for a duplicate unique value
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        FakeHubSpotAPI.reply(handler, 409, {"status": "error", "message": "Contact already exists. Existing ID: 4242",
                                            "category": "CONFLICT", "correlationId": "c-1"})

    hubspot.handle = conflict
    with pytest.raises(ConflictError) as raised:
        call(hubspot.url, lambda c: c.create("contacts", {"email": "a@b.example"}))
    assert raised.value.existing_id == "4242"


def test_no_server_or_a_silent_one_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with pytest.raises(RetryableSendError, match="ConnectError"):
        call(f"http://127.0.0.1:{closed_port}", lambda c: c.create("contacts", {"phone": "1"}))
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(RetryableSendError, match="timed out"):
            call(f"http://127.0.0.1:{silent.getsockname()[1]}", lambda c: c.create("contacts", {"phone": "1"}))


def test_requests_are_paced_and_a_429_holds_back_every_request(hubspot: FakeHubSpotAPI) -> None:
    async def burst(count: int, max_per_s: float) -> float:
        client = HubSpotClient(TOKEN, hubspot.url, max_per_s=max_per_s)
        started = time.monotonic()
        try:
            await asyncio.gather(*(client.create("contacts", {"phone": f"+4477009{i:05d}"}) for i in range(count)),
                                 return_exceptions=True)
        finally:
            await client.aclose()
        return time.monotonic() - started

    async def after_a_429() -> float:
        client = HubSpotClient(TOKEN, hubspot.url, max_per_s=1000)
        try:
            with pytest.raises(RetryableSendError):
                await client.create("contacts", {"phone": "+447700800001"})
            started = time.monotonic()
            await client.search("contacts", "phone", "+447700800001")  # another job's request
            return time.monotonic() - started
        finally:
            await client.aclose()

    assert asyncio.run(burst(10, max_per_s=20)) >= 0.45  # 10 requests, 1/20 s apart
    hubspot.fail_next(1, status=429, retry_after=1)
    assert asyncio.run(after_a_429()) >= 0.95
    assert hubspot.count("contacts") == 10
