"""The running assistant, end to end over real HTTP: REST channel, web chat, HTTP API, tracker store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
import sqlalchemy

from tests.conftest import PROJECT_DIR
from tests.integration.conftest import alive, start_assistant

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def texts(messages: list[dict]) -> str:
    return " ".join(m.get("text", "") for m in messages)


def test_hi_gets_a_greeting_that_introduces_the_assistant(assistant) -> None:
    reply = texts(assistant.say(new_sender(), "hi"))
    assert reply.startswith("Hi there!")
    assert "S-Club's virtual assistant" in reply and "How can I help" in reply


def test_greeting_uses_the_name_the_channel_gives(assistant) -> None:
    sender = new_sender()
    assert texts(assistant.say(sender, "hello", name="Ana")).startswith("Hi Ana!")
    slots = assistant.tracker(sender)["slots"]
    assert slots["customer_name"] == "Ana"


def test_conversation_is_readable_through_the_http_api_with_the_token_only(assistant) -> None:
    sender = new_sender()
    assistant.say(sender, "are you a bot?")
    unauthorised = httpx.get(f"{assistant.url}/conversations/{sender}/tracker", timeout=30)
    wrong = httpx.get(f"{assistant.url}/conversations/{sender}/tracker", params={"token": "nope"}, timeout=30)
    assert unauthorised.status_code == 401 and wrong.status_code == 401
    events = assistant.tracker(sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["are you a bot?"]
    assert any(e["event"] == "bot" and "virtual assistant" in e["text"] for e in events)


def test_conversations_are_stored_in_the_sql_tracker_store(assistant) -> None:
    sender = new_sender()
    assistant.say(sender, "thanks")
    engine = sqlalchemy.create_engine(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    with engine.connect() as db:
        count = db.execute(sqlalchemy.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    assert count >= 2  # at least the user message and the reply


@pytest.mark.parametrize(
    "body, status",
    [
        (b"not json", 400),
        (b'{"message": "hi"}', 401),  # no session, no token
        (b'{"sender": "x", "message": 5}', 400),
        (b'{"sender": "", "message": "hi"}', 400),
        (b'{"sender": "x", "message": "' + b"a" * 5000 + b'"}', 413),
    ],
)
def test_bad_rest_input_gets_a_clear_4xx_and_the_server_keeps_answering(assistant, body: bytes, status: int) -> None:
    reply = httpx.post(f"{assistant.url}/webhooks/rest/webhook", content=body, timeout=30)
    assert reply.status_code == status
    assert reply.json()["error"]
    assert texts(assistant.say(new_sender(), "hi")).startswith("Hi")


def test_web_chat_page_is_served(assistant) -> None:
    page = httpx.get(f"{assistant.url}/webhooks/webchat/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/webhooks/rest/session" in page.text and "/webhooks/rest/webhook" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_terminal_chat_talks_through_its_own_session_without_a_token(assistant) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RASA_API_TOKEN"}
    chat = subprocess.run([sys.executable, "-m", "bot.ops.cli", "chat", "--url", assistant.url], cwd=PROJECT_DIR, env=env,
                          input="hello\n/quit\n", capture_output=True, text=True, timeout=120)
    assert chat.returncode == 0, chat.stderr
    conversation_id = chat.stdout.split("Chatting as ", 1)[1].split()[0]
    assert conversation_id.startswith("rest:") and "bot> Hi there!" in chat.stdout
    assert [e["text"] for e in assistant.tracker(conversation_id)["events"] if e["event"] == "user"] == ["hello"]


def test_port_in_use_stops_with_one_line_naming_the_variable(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "bot.ops.cli", "run"],
            cwd=PROJECT_DIR,
            env={"PATH": "/usr/bin:/bin", "RASA_PORT": str(port), "FRONTDESK_STATE_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert f"port {port}" in proc.stderr and "RASA_PORT" in proc.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_stops_both_servers_and_leaves_no_process(tmp_path, stop_signal) -> None:
    running = start_assistant(tmp_path)
    children = running.children()
    assert len(children) == 2 and all(alive(pid) for pid in children)
    running.process.send_signal(stop_signal)
    assert running.process.wait(60) == 0
    time.sleep(0.5)
    assert [pid for pid in children if alive(pid)] == []


def test_if_one_server_dies_the_other_is_stopped_and_the_exit_code_is_non_zero(tmp_path) -> None:
    running = start_assistant(tmp_path)
    pids = running.server_pids()
    actions, rasa = pids["actions"], pids["rasa"]
    os.kill(actions, signal.SIGKILL)
    assert running.process.wait(60) == 1
    time.sleep(0.5)
    assert not alive(rasa)
    assert "stopped unexpectedly" in running.output.read_text()


def test_the_running_action_server_serves_only_the_rasa_server(assistant) -> None:
    call = {"next_action": "action_answer_faq", "sender_id": "+15551199042", "version": "3.6.21",
            "tracker": {"sender_id": "+15551199042", "slots": {}, "latest_message": {"text": "how do I cancel"},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {}}}
    reply = httpx.post(f"{assistant.actions_url}/webhook", json=call, timeout=30)
    assert reply.status_code == 401 and "responses" not in reply.text
    assert httpx.get(f"{assistant.actions_url}/actions", timeout=30).status_code == 401
    # ... while the Rasa server, which has the secret, still runs them
    assert "cancel" in texts(assistant.say(new_sender(), "how do I cancel a class booking?")).lower()
