"""Over real HTTP: a visitor reaches only their own conversation, and strangers reach none.

Messages, polls and history need the visitor's session (X-Frontdesk-Session) or the
operator's Rasa API token; without them nothing is read or written, and a refusal
never carries message text.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.conftest import Visitor, start_assistant

pytestmark = pytest.mark.integration

SMS_CUSTOMER = "+15551199042"


def user_texts(assistant, conversation_id: str) -> list[str]:
    """The customer's messages in the tracker, read through Rasa's API with the token."""
    return [e["text"] for e in assistant.tracker(conversation_id)["events"] if e["event"] == "user"]


def assert_refused(reply: httpx.Response, status: int, *secrets: str) -> None:
    assert reply.status_code == status, reply.text
    reason = reply.json()["error"]
    assert reason and "\n" not in reason
    for secret in secrets:
        assert secret not in reply.text


def test_a_visitor_gets_a_session_talks_and_reads_back_the_conversation(assistant) -> None:
    ana = assistant.visitor("webchat")
    assert ana.conversation_id.startswith("webchat:") and len(ana.conversation_id) == len("webchat:") + 22
    assert ana.say("hello", name="Ana")[0]["text"].startswith("Hi Ana!")
    assert user_texts(assistant, ana.conversation_id) == ["hello"]
    history = ana.history()
    assert history["conversation_id"] == ana.conversation_id
    assert history["messages"][0] == {"author": "customer", "text": "hello"}
    assert history["messages"][1]["author"] == "assistant" and history["messages"][1]["text"].startswith("Hi Ana!")
    assert ana.poll(history["last"])["messages"] == []
    assert assistant.tracker(ana.conversation_id)["latest_input_channel"] == "webchat"


def test_a_stranger_without_credentials_reads_and_writes_nothing(assistant) -> None:
    ana = assistant.visitor()
    secret = f"my locker code is {uuid.uuid4().hex[:6]}"
    ana.say(secret)
    assistant.say(SMS_CUSTOMER, f"sms {secret}", channel="sms")
    for sender in (ana.conversation_id, SMS_CUSTOMER):
        for path, params in (("messages", {"sender": sender, "since": 0}), ("messages", {"sender": sender}),
                             ("history", {"sender": sender})):
            assert_refused(httpx.get(f"{assistant.url}/webhooks/rest/{path}", params=params, timeout=30), 401, secret)
        written = httpx.post(f"{assistant.url}/webhooks/rest/webhook", json={"sender": sender, "message": "intruder"},
                             timeout=30)
        assert_refused(written, 401, secret)
        assert "intruder" not in user_texts(assistant, sender)


def test_playing_the_sms_channel_without_the_token_is_403_and_writes_nothing(assistant) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    body = {"sender": number, "message": "STOP charging me", "metadata": {"channel": "sms"}}
    ana = assistant.visitor()
    for headers in ({}, ana.headers, {"Authorization": "Bearer wrong-token"}):
        assert_refused(httpx.post(f"{assistant.url}/webhooks/rest/webhook", json=body, headers=headers, timeout=30), 403)
    tracker = httpx.get(f"{assistant.url}/conversations/{number}/tracker", params={"token": assistant.token}, timeout=30)
    assert tracker.status_code == 200 and [e for e in tracker.json()["events"] if e["event"] == "user"] == []
    assert user_texts(assistant, ana.conversation_id) == []
    assert assistant.say(number, "hi", channel="sms")  # with the token the tester plays the SMS customer
    assert user_texts(assistant, number) == ["hi"]


def test_another_visitors_or_a_forged_session_is_refused(assistant) -> None:
    ana, bob = assistant.visitor("webchat"), assistant.visitor("webchat")
    secret = f"my membership number is {uuid.uuid4().hex[:8]}"
    ana.say(secret)
    url = assistant.url + "/webhooks/rest"
    as_bob = {"sender": ana.conversation_id}
    assert_refused(httpx.post(f"{url}/webhook", json=as_bob | {"message": "hijack"}, headers=bob.headers, timeout=30),
                   403, secret)
    assert_refused(httpx.get(f"{url}/history", params=as_bob, headers=bob.headers, timeout=30), 403, secret)
    assert_refused(httpx.get(f"{url}/messages", params=as_bob | {"since": 0}, headers=bob.headers, timeout=30), 403)
    assert secret not in str(bob.history())
    credential = ana.headers["X-Frontdesk-Session"]
    _, signature = credential.rsplit(".", 1)
    forged = [f"{bob.conversation_id}.{signature}",  # Bob's id under Ana's signature
              f"{ana.conversation_id}.{'A' * 43}",  # Ana's id, a made-up signature
              ana.conversation_id]  # the id alone, as it shows in the agent desk and logs
    for session in forged:
        headers = {"X-Frontdesk-Session": session}
        assert_refused(httpx.get(f"{url}/history", headers=headers, timeout=30), 403, secret)
        assert_refused(httpx.post(f"{url}/webhook", json={"message": "hijack"}, headers=headers, timeout=30), 403)
    assert "hijack" not in user_texts(assistant, ana.conversation_id) + user_texts(assistant, bob.conversation_id)
    assert user_texts(assistant, ana.conversation_id) == [secret]


def test_a_session_speaks_only_as_its_own_channel(assistant) -> None:
    ana = assistant.visitor("webchat")
    reply = httpx.post(f"{assistant.url}/webhooks/rest/webhook", headers=ana.headers, timeout=30,
                       json={"message": "hi", "metadata": {"channel": "rest"}})
    assert_refused(reply, 403)
    assert user_texts(assistant, ana.conversation_id) == []


@pytest.mark.parametrize("body", [b'{"channel": "sms"}', b"{", b"[]"])
def test_a_session_for_another_channel_or_a_bad_body_is_400(assistant, body: bytes) -> None:
    assert_refused(httpx.post(f"{assistant.url}/webhooks/rest/session", content=body, timeout=30), 400)


def test_messages_never_reach_the_log(assistant) -> None:
    ana = assistant.visitor()
    marker = f"unloggable-{uuid.uuid4().hex}"
    ana.say(f"hi {marker}")
    httpx.post(f"{assistant.url}/webhooks/rest/webhook", json={"sender": "x", "message": marker}, timeout=30)
    logs = "".join(p.read_text(errors="replace") for p in (assistant.state_dir / "logs").glob("*.log"))
    assert marker not in logs
    assert ana.headers["X-Frontdesk-Session"] not in logs


def test_sessions_survive_a_restart(tmp_path) -> None:
    first = start_assistant(tmp_path)
    try:
        ana = first.visitor("webchat")
        ana.say("hello", name="Ana")
    finally:
        first.stop()
    key = first.state_dir / "session.key"
    assert key.stat().st_mode & 0o777 == 0o600
    again = start_assistant(tmp_path)
    ana = Visitor(again.url, ana.conversation_id, ana.headers)  # the new server's port, the same session
    try:
        assert ana.history()["messages"][0] == {"author": "customer", "text": "hello"}
        assert ana.say("are you a bot?")
    finally:
        again.stop()
