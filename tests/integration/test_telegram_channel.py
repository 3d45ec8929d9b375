"""Telegram end to end: real captured Updates posted to the running assistant,
replies delivered to a fake Bot API on loopback that can fail on purpose."""

from __future__ import annotations

import copy
import json
import time

import httpx
import pytest

from tests.conftest import SHARED_DIR
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

TOKEN = "123456:TEST-token"
SECRET = "s3cret-webhook-token"
FIXTURES = SHARED_DIR / "fixtures" / "telegram"


def fixture_update(name: str) -> dict:
    return json.loads((FIXTURES / f"teloxide_update_{name}.json").read_text())["update"]


_next_update_id = [900_000_000]


def text_update(text: str, chat_id: int, first_name: str = "Waffle") -> dict:
    """The captured private text message, with a fresh update_id, chat and text."""
    update = copy.deepcopy(fixture_update("message_1_message"))
    _next_update_id[0] += 1
    update["update_id"] = _next_update_id[0]
    update["message"]["text"] = text
    update["message"]["chat"]["id"] = chat_id
    update["message"]["from"]["id"] = chat_id
    update["message"]["from"]["first_name"] = first_name
    return update


@pytest.fixture(scope="module")
def telegram(tmp_path_factory):
    with FakeTelegramAPI(TOKEN) as api:
        running = start_assistant(tmp_path_factory.mktemp("telegram"), {
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": api.url,
        })
        yield running, api
        running.stop()


def post(assistant, update, secret: str | None = SECRET, **kwargs) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    headers.update(kwargs.pop("headers", {}))
    body = kwargs.pop("content", None) or json.dumps(update).encode()
    return httpx.post(f"{assistant.url}/webhooks/telegram/webhook", content=body, headers=headers, timeout=30)


def wait_for_messages(api: FakeTelegramAPI, chat_id: int, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(api.sent_to(chat_id)) < count:
        assert time.monotonic() < deadline, f"only {api.sent_to(chat_id)} reached the fake Bot API"
        time.sleep(0.1)
    return api.sent_to(chat_id)


def test_captured_text_message_is_answered_by_name_on_telegram(telegram) -> None:
    assistant, api = telegram
    update = fixture_update("message_1_message")  # "hello there" from Waffle
    started = time.monotonic()
    reply = post(assistant, update)
    assert reply.status_code == 200 and time.monotonic() - started < 2
    [message] = wait_for_messages(api, update["message"]["chat"]["id"], 1)
    assert message["text"].startswith("Hi Waffle!")


def test_forged_or_missing_secret_is_refused_and_nothing_reaches_the_assistant(telegram) -> None:
    assistant, api = telegram
    update = text_update("hi", chat_id=5001)
    assert post(assistant, update, secret="wrong").status_code == 403
    assert post(assistant, update, secret=None).status_code == 403
    time.sleep(1.5)
    assert api.sent_to(5001) == []
    assert "wrong" not in (assistant.state_dir / "logs" / "rasa.log").read_text()


def test_a_retried_update_gets_one_answer(telegram) -> None:
    assistant, api = telegram
    update = text_update("hello", chat_id=5002)
    assert post(assistant, update).status_code == 200
    assert post(assistant, update).json().get("duplicate") is True
    wait_for_messages(api, 5002, 1)
    time.sleep(1.5)
    assert len(api.sent_to(5002)) == 1


@pytest.mark.parametrize("name", ["new_update_kind_error_1_new_update_kind", "message_reaction_updated_1_message_reaction",
                                  "issue_523_1_my_chat_member", "pinned_message_works_1_message"])
def test_updates_without_a_customer_message_are_acknowledged_and_ignored(telegram, name: str) -> None:
    assistant, api = telegram
    before = len(api.attempts)
    reply = post(assistant, fixture_update(name))
    assert reply.status_code == 200 and reply.json().get("ignored") is True
    time.sleep(0.5)
    assert len(api.attempts) == before


def test_media_gets_a_polite_text_only_reply(telegram) -> None:
    assistant, api = telegram
    update = fixture_update("dice_works_1_message")
    assert post(assistant, update).status_code == 200
    [message] = wait_for_messages(api, update["message"]["chat"]["id"], 1)
    assert "can only read text" in message["text"]


def test_choices_are_inline_buttons_and_a_tap_answers_that_entry(telegram) -> None:
    assistant, api = telegram
    post(assistant, text_update("I want to cancel", chat_id=5003))
    [offer] = wait_for_messages(api, 5003, 1)
    keyboard = offer["reply_markup"]["inline_keyboard"]
    data = {row[0]["text"]: row[0]["callback_data"] for row in keyboard}
    assert data["Cancel your membership"] == "e:cancel_membership" and "Something else" in data
    tap = {"update_id": _next_update_id[0] + 500, "callback_query": {
        "id": "cbq-1", "chat_instance": "1", "data": data["Cancel your membership"],
        "from": {"id": 5003, "is_bot": False, "first_name": "Waffle"},
        "message": {"message_id": 1, "date": 1700000000, "chat": {"id": 5003, "type": "private"}, "text": offer["text"]}}}
    assert post(assistant, tap).status_code == 200
    messages = wait_for_messages(api, 5003, 2)
    assert "30 days' notice" in messages[1]["text"]
    assert any(c.method == "answerCallbackQuery" and c.params["callback_query_id"] == "cbq-1" for c in api.calls)


def test_an_outage_then_recovery_delivers_every_reply_exactly_once(telegram) -> None:
    assistant, api = telegram
    api.fail_next(3, status=500)
    api.fail_next(1, status=429, retry_after=1)
    post(assistant, text_update("hi", chat_id=5004, first_name="Ana"))
    [message] = wait_for_messages(api, 5004, 1, timeout=60)
    assert message["text"].startswith("Hi Ana!")
    time.sleep(1.5)
    assert len(api.sent_to(5004)) == 1
    assert len([a for a in api.attempts if a.method == "sendMessage" and int(a.params["chat_id"]) == 5004]) == 5


@pytest.mark.parametrize("body, headers, status", [
    (b"{not json", {}, 400),
    (b'{"update_id": "x"}', {}, 400),
    (b"[]", {}, 400),
    (b"{}", {"Content-Type": "text/plain"}, 415),
    (b"x" * 300_000, {}, 413),
])
def test_bad_bodies_get_a_clear_4xx_and_the_server_keeps_working(telegram, body: bytes, headers: dict, status: int) -> None:
    assistant, api = telegram
    reply = post(assistant, None, content=body, headers=headers)
    assert reply.status_code == status and reply.json()["error"]
    assert httpx.get(f"{assistant.url}/webhooks/telegram/webhook", timeout=10).status_code == 405
    assert post(assistant, text_update("hello", chat_id=5100 + status)).status_code == 200


# Telegram's own example of an inline query (core.telegram.org/bots/webhooks): its `from` has no `is_bot`,
# which python-telegram-bot requires.
TELEGRAM_DOCS_INLINE_QUERY = {"update_id": 10000, "inline_query": {
    "id": 134567890097, "query": "inline query", "offset": "",
    "from": {"last_name": "Test Lastname", "type": "private", "id": 1111111, "first_name": "Test Firstname",
             "username": "Testusername"}}}


@pytest.mark.parametrize("update", [TELEGRAM_DOCS_INLINE_QUERY, {"update_id": 10001, "message": {"message_id": 1}}])
def test_a_signed_update_the_library_cannot_parse_is_acknowledged_so_telegram_does_not_retry(telegram, update) -> None:
    assistant, api = telegram
    reply = post(assistant, update)
    assert reply.status_code == 200 and reply.json() == {"ok": True, "ignored": "unparseable"}
    assert post(assistant, text_update("hello again", chat_id=5201)).status_code == 200
    wait_for_messages(api, 5201, 1, timeout=60)


def test_set_webhook_command_registers_url_and_secret_with_the_bot_api(tmp_path) -> None:
    import subprocess
    import sys

    from tests.conftest import PROJECT_DIR

    with FakeTelegramAPI(TOKEN) as api:
        env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
               "TELEGRAM_API_BASE": api.url, "FRONTDESK_STATE_DIR": str(tmp_path)}
        url = "https://bot.s-club.example/webhooks/telegram/webhook"
        result = subprocess.run([sys.executable, "-m", "bot.ops.cli", "telegram", "set-webhook", "--url", url],
                                cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        [call] = [c for c in api.calls if c.method == "setWebhook"]
        assert call.params["url"] == url and call.params["secret_token"] == SECRET
        result = subprocess.run([sys.executable, "-m", "bot.ops.cli", "telegram", "delete-webhook"],
                                cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and any(c.method == "deleteWebhook" for c in api.calls)
