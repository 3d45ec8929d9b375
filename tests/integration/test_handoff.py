"""Handing a conversation to a person, end to end: the real assistant, a fake Telegram Bot API and a
fake helpdesk webhook on loopback, and the agent desk API used by agents with their own accounts (AGENT_TOKEN
is set too, as in a deployment from before accounts: it is a lead named `lead`). The desk's sign-in, sessions
and permissions are tested in test_agent_desk.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.handoff.webhook import signature_is_valid
from tests.conftest import PROJECT_DIR
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import add_agents, always_open_assistant_file, wait_until
from tests.integration.test_telegram_channel import SECRET, TOKEN, post, wait_for_messages
from tests.integration.test_webchat_browser import browser, log_texts, wait_for  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.integration

AGENT_TOKEN = "agent-desk-token-" + "x" * 16  # the lead account `lead`
AGENTS = {"Bob": "agent", "Cleo": "agent", "Eli": "agent", "Kim": "agent"}
AGENT_GROUP = -100123456
HOOK_SECRET = "hook-secret-for-tests"
UNCLAIMED_AFTER_S = 8
TWILIO_SID, TWILIO_TOKEN, SMS_NUMBER = "AC" + "0" * 32, "twilio-auth-token-for-tests", "+15005550006"
PUBLIC = "https://bot.s-club.example"


_update_ids = [950_000_000]


def text_update(text: str, chat_id: int, first_name: str, chat_type: str = "private") -> dict:
    """A Telegram Update carrying a text message, in the Bot API's wire shape."""
    _update_ids[0] += 1
    sender = {"id": abs(chat_id) + 1 if chat_type != "private" else chat_id, "is_bot": False, "first_name": first_name}
    chat = {"id": chat_id, "type": chat_type} | ({"first_name": first_name} if chat_type == "private" else {"title": "Agents"})
    return {"update_id": _update_ids[0], "message": {"message_id": _update_ids[0] % 100000, "from": sender, "chat": chat,
                                                     "date": int(time.time()), "text": text}}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handoff")
    with FakeTelegramAPI(TOKEN) as telegram, FakeWebhookReceiver() as hook, FakeTwilioAPI(TWILIO_SID, TWILIO_TOKEN) as sms:
        running = start_assistant(tmp, {
            "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_SMS_NUMBER": SMS_NUMBER,
            "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": sms.url,
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": telegram.url,
            "AGENT_TOKEN": AGENT_TOKEN, "TELEGRAM_AGENT_CHAT_ID": str(AGENT_GROUP),
            "HANDOFF_WEBHOOK_URL": f"{hook.url}/frontdesk", "HANDOFF_WEBHOOK_SECRET": HOOK_SECRET,
            "ASSISTANT_FILE": always_open_assistant_file(tmp, UNCLAIMED_AFTER_S),
        })
        running.sms = sms
        running.tokens = add_agents(running.state_dir, AGENTS)
        yield running, telegram, hook
        running.stop()


def api(assistant, method: str, path: str, token: str | None = AGENT_TOKEN, agent: str | None = None,
        **kwargs) -> httpx.Response:
    """A desk API request as `agent` (their own token), else with `token` (AGENT_TOKEN's lead by default)."""
    token = assistant.tokens[agent] if agent else token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{assistant.url}/agent/api{path}", headers=headers, timeout=30, **kwargs)


def open_handoff(assistant, conversation_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [h for h in api(assistant, "GET", "/handoffs").json()["handoffs"]
                 if api(assistant, "GET", f"/handoffs/{h['id']}").json()["summary"]["conversation_id"] == conversation_id]
        if found:
            return api(assistant, "GET", f"/handoffs/{found[0]['id']}").json()
        assert time.monotonic() < deadline, f"no open handoff for {conversation_id}"
        time.sleep(0.3)


def texts(api_fake: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in api_fake.sent_to(chat_id)]


def test_telegram_customer_is_handed_to_an_agent_who_replies_and_resolves(desk) -> None:
    assistant, telegram, hook = desk
    chat = 7001
    post(assistant, text_update("hi", chat_id=chat, first_name="Waffle"))
    wait_for_messages(telegram, chat, 1)
    post(assistant, text_update("I want to talk to a human", chat_id=chat, first_name="Waffle"))
    wait_until(lambda: any("passing you to a person" in t for t in texts(telegram, chat)), what="expectations")
    answered = len(texts(telegram, chat))

    post(assistant, text_update("hello? is anyone there", chat_id=chat, first_name="Waffle"))
    post(assistant, text_update("my booking reference is AB123", chat_id=chat, first_name="Waffle"))
    handoff = open_handoff(assistant, str(chat))
    wait_until(lambda: len(api(assistant, "GET", f"/handoffs/{handoff['id']}").json()["messages"]) == 2,
               what="the customer's messages in the handoff")
    time.sleep(1.5)
    assert len(texts(telegram, chat)) == answered  # the bot stays silent while paused
    detail = api(assistant, "GET", f"/handoffs/{handoff['id']}").json()
    assert [m["text"] for m in detail["messages"]] == ["hello? is anyone there", "my booking reference is AB123"]
    assert detail["summary"]["trigger_messages"] == ["I want to talk to a human"]
    assert detail["summary"]["customer"]["name"] == "Waffle" and detail["summary"]["customer"]["contact"].endswith("1")
    photo = text_update("", chat_id=chat, first_name="Waffle")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    post(assistant, photo)
    wait_until(lambda: "[sent a photo" in api(assistant, "GET", f"/handoffs/{handoff['id']}").json()["messages"][-1]["text"],
               what="the photo noted for the agent")

    claimed = api(assistant, "POST", f"/handoffs/{handoff['id']}/claim", agent="Bob")
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed" and claimed.json()["agent"] == "Bob"
    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/claim", agent="Cleo").status_code == 409
    sent = api(assistant, "POST", f"/handoffs/{handoff['id']}/messages", agent="Bob",
               json={"text": "Hi Waffle, Bob here. Let me check."})
    assert sent.status_code == 201
    wait_until(lambda: "Hi Waffle, Bob here. Let me check." in texts(telegram, chat), what="the agent's reply on Telegram")
    events = assistant.tracker(str(chat))["events"]
    [agent_event] = [e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("agent") == "Bob"]
    assert agent_event["text"] == "Hi Waffle, Bob here. Let me check."
    assert agent_event["metadata"]["handoff_id"] == handoff["id"]

    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve", agent="Bob").status_code == 200
    wait_until(lambda: any("Bob has marked your conversation as resolved" in t for t in texts(telegram, chat)), what="thanks")
    assert "How would you rate your experience today" in texts(telegram, chat)[-1]  # the survey follows a handoff
    assert assistant.tracker(str(chat))["slots"]["handoff_id"] is None
    before = len(texts(telegram, chat))
    post(assistant, text_update("5", chat_id=chat, first_name="Waffle"))  # the bot is back: it reads the rating
    wait_until(lambda: len(texts(telegram, chat)) > before, what="the bot answering again")
    wait_until(lambda: assistant.tracker(str(chat))["slots"]["csat"] == 5, what="the rating stored")


def test_rest_customer_polls_agent_messages_and_the_bot_answers_after_release(desk) -> None:
    assistant, telegram, hook = desk
    ana = assistant.visitor()
    ana.say("hi", name="Ana")
    ana.say("my card 4111 1111 1111 1111 was charged twice")
    [reply] = ana.say("can I speak to someone from your team please")
    assert "passing you to a person" in reply["text"]
    start = ana.poll()
    assert start["messages"] == []
    assert ana.say("I'm still here") == []

    handoff = open_handoff(assistant, ana.conversation_id)
    summary = json.dumps(handoff["summary"])
    assert "4111" not in summary and "[card number removed]" in summary
    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/claim", agent="Cleo").status_code == 200
    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/messages", agent="Cleo",
               json={"text": "Hello Ana, I can refund the double charge."}).status_code == 201
    got = ana.poll(start["last"])
    agent_messages = [m for m in got["messages"] if m["author"] == "agent"]
    assert [(m["text"], m["agent"]) for m in agent_messages] == [("Hello Ana, I can refund the double charge.", "Cleo")]
    assert ana.poll(got["last"])["messages"] == []
    stranger = httpx.get(f"{assistant.url}/webhooks/rest/messages", timeout=30,
                         params={"sender": ana.conversation_id, "since": start["last"]})
    assert stranger.status_code == 401 and "refund" not in stranger.text
    bob = assistant.visitor()
    other = httpx.get(f"{assistant.url}/webhooks/rest/messages", headers=bob.headers, timeout=30,
                      params={"sender": ana.conversation_id, "since": start["last"]})
    assert other.status_code == 403 and "refund" not in other.text
    assert bob.poll(start["last"])["messages"] == []  # Bob's own conversation has no agent messages
    history = [(m["author"], m["text"]) for m in ana.history()["messages"]]
    assert ("customer", "my card [card number removed] was charged twice") in history
    assert history[-1] == ("agent", "Hello Ana, I can refund the double charge.")

    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/release", agent="Cleo").status_code == 200
    assert any("passed you back" in m["text"] for m in ana.poll(got["last"])["messages"])
    [greeting] = ana.say("hello")
    assert "Ana!" in greeting["text"]  # the bot is back ("Hi again, Ana!")
    assert api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve").status_code == 409


def test_a_customer_writing_after_the_session_expired_still_reaches_only_the_agent(desk) -> None:
    assistant, telegram, hook = desk
    sender = "web-handoff-overnight"
    assistant.say(sender, "hi", name="Ana")
    assistant.say(sender, "I want to talk to a person")
    handoff = open_handoff(assistant, sender)
    events = assistant.tracker(sender)["events"]
    for event in events:  # the night passes: the session (60 minutes) has expired
        event["timestamp"] -= 8 * 3600
    replaced = httpx.put(f"{assistant.url}/conversations/{sender}/tracker/events", params={"token": assistant.token},
                         json=events, timeout=30)
    assert replaced.status_code == 200
    assert assistant.say(sender, "good morning, is anyone there?") == []
    assert assistant.say(sender, "/restart") == []
    tracker = assistant.tracker(sender)
    assert tracker["paused"] and [e["event"] for e in tracker["events"]].count("session_started") == 1
    assert [e.get("text") for e in tracker["events"] if e["event"] == "user"][-2:] == ["good morning, is anyone there?", "/restart"]
    messages = api(assistant, "GET", f"/handoffs/{handoff['id']}").json()["messages"]
    assert [m["text"] for m in messages] == ["good morning, is anyone there?", "/restart"]
    api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve")
    assert assistant.say(sender, "4")  # the bot is back, reading the survey's rating
    assert assistant.tracker(sender)["slots"]["csat"] == 4


def send_sms(assistant, text: str, sender: str) -> None:
    fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": TWILIO_SID, "From": sender, "To": SMS_NUMBER,
              "Body": text, "NumMedia": "0"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"{PUBLIC}/webhooks/sms/webhook", fields)
    reply = httpx.post(f"{assistant.url}/webhooks/sms/webhook", content=urlencode(fields).encode(), timeout=30,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert reply.status_code == 200


def test_an_sms_customer_gets_the_agents_reply_by_sms(desk) -> None:
    assistant, telegram, hook = desk
    number = "+447700900555"
    bodies = lambda: [m["Body"] for m in assistant.sms.sent_to(number)]  # noqa: E731
    send_sms(assistant, "I need to speak to a person", number)
    wait_until(lambda: any("passing you to a person" in b for b in bodies()), what="expectations by SMS")
    handoff = open_handoff(assistant, number)
    assert handoff["summary"]["customer"]["contact"] == "+44•••••••555"
    api(assistant, "POST", f"/handoffs/{handoff['id']}/claim", agent="Eli")
    api(assistant, "POST", f"/handoffs/{handoff['id']}/messages", agent="Eli", json={"text": "Hi, Eli here. Your refund is done."})
    wait_until(lambda: "Hi, Eli here. Your refund is done." in bodies(), what="the agent's SMS")
    [sent] = [m for m in assistant.sms.sent_to(number) if m["Body"] == "Hi, Eli here. Your refund is done."]
    assert sent["From"] == SMS_NUMBER
    api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve")


def test_agents_group_gets_the_summary_and_a_reply_to_it_reaches_the_customer(desk) -> None:
    assistant, telegram, hook = desk
    chat = 7002
    post(assistant, text_update("I want to speak to your manager", chat_id=chat, first_name="Mia"))
    posted = wait_until(lambda: [c for c in telegram.calls if c.method == "sendMessage"
                                 and int(c.params["chat_id"]) == AGENT_GROUP and "Mia" in c.params["text"]],
                        what="the summary in the agents' group")[0]
    assert "Reply to this message" in posted.params["text"]
    reply = text_update("Hi Mia, I'm Dan from the team.", chat_id=AGENT_GROUP, first_name="Dan", chat_type="supergroup")
    reply["message"]["reply_to_message"] = {"message_id": posted.message_id, "date": 1700000000,
                                            "chat": {"id": AGENT_GROUP, "type": "supergroup"}, "text": "Handoff"}
    assert post(assistant, reply).status_code == 200
    wait_until(lambda: "Hi Mia, I'm Dan from the team." in texts(telegram, chat), what="the relayed reply")
    handoff = open_handoff(assistant, str(chat))
    assert handoff["agent"] == "Dan" and handoff["status"] == "claimed"
    post(assistant, text_update("thanks Dan, it's order 55", chat_id=chat, first_name="Mia"))
    forwarded = wait_until(lambda: [c for c in telegram.calls if c.method == "sendMessage"
                                    and int(c.params["chat_id"]) == AGENT_GROUP
                                    and c.params["text"] == "Mia (telegram): thanks Dan, it's order 55"],
                           what="the customer's message in the agents' group")[0]
    answer = text_update("Found order 55, refund on its way.", chat_id=AGENT_GROUP, first_name="Dan", chat_type="supergroup")
    answer["message"]["reply_to_message"] = {"message_id": forwarded.message_id, "date": 1700000000,
                                             "chat": {"id": AGENT_GROUP, "type": "supergroup"}, "text": "Mia"}
    post(assistant, answer)
    wait_until(lambda: "Found order 55, refund on its way." in texts(telegram, chat), what="the reply to the forward")
    # the group's chatter is not a customer: nothing from the assistant answers it
    assert all("Sam" not in t for t in texts(telegram, AGENT_GROUP))
    done = text_update("/resolve", chat_id=AGENT_GROUP, first_name="Dan", chat_type="supergroup")
    done["message"]["reply_to_message"] = reply["message"]["reply_to_message"]
    assert post(assistant, done).status_code == 200
    wait_until(lambda: any("marked your conversation as resolved" in t for t in texts(telegram, chat)), what="resolved")
    assert api(assistant, "GET", f"/handoffs/{handoff['id']}").json()["status"] == "resolved"
    again = text_update("/resolve", chat_id=AGENT_GROUP, first_name="Dan", chat_type="supergroup")
    again["message"]["reply_to_message"] = reply["message"]["reply_to_message"]
    post(assistant, again)
    wait_until(lambda: any("Not sent to the customer: this handoff is already resolved" in t
                           for t in texts(telegram, AGENT_GROUP)), what="the group told it is closed")


def test_the_helpdesk_webhook_receives_the_signed_summary(desk) -> None:
    assistant, telegram, hook = desk
    sender = "web-handoff-hook"
    hook.failures_left = 1  # the first attempt fails: the outbox retries
    assistant.say(sender, "I need a human")
    delivery = wait_until(lambda: [d for d in hook.deliveries if sender.encode() in d.body], what="the webhook")[0]
    assert signature_is_valid(HOOK_SECRET, delivery.body, delivery.headers["X-Frontdesk-Signature"])
    body = json.loads(delivery.body)
    assert body["event"] == "handoff.created" and body["summary"]["conversation_id"] == sender
    api(assistant, "POST", f"/handoffs/{body['handoff_id']}/resolve")


def test_a_customer_nobody_claims_gets_an_honest_update(desk) -> None:
    assistant, telegram, hook = desk
    lee = assistant.visitor("webchat")
    start = lee.poll()
    lee.say("let me talk to a person")
    got = wait_until(lambda: lee.poll(start["last"])["messages"], timeout=UNCLAIMED_AFTER_S + 20,
                     what="the unclaimed update")
    assert "still in the queue" in got[0]["text"] and got[0]["author"] == "system"
    time.sleep(3)
    assert len(lee.poll(start["last"])["messages"]) == 1  # once, not every round
    handoff = open_handoff(assistant, lee.conversation_id)
    api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve")


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_the_desk_and_api_refuse_requests_without_the_token(desk, token) -> None:
    assistant, telegram, hook = desk
    assert api(assistant, "GET", "/handoffs", token=token).status_code == 401
    assert api(assistant, "POST", "/handoffs/x/claim", token=token, json={"agent": "Eve"}).status_code == 401
    page = httpx.get(f"{assistant.url}/agent", params={"token": token or AGENT_TOKEN}, timeout=30)
    assert page.status_code == 401 and "Agent token" in page.text and "id=\"queue\"" not in page.text


def test_the_desk_links_to_the_newest_service_report_behind_the_token(desk) -> None:
    assistant, telegram, hook = desk
    page = f"{assistant.url}/agent/report"
    assert httpx.get(page, timeout=30).status_code == 401
    bearer = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert api(assistant, "GET", "/status").json() == {"crm": None, "report": None}  # a fresh state folder
    assert httpx.get(page, headers=bearer, timeout=30).status_code == 404
    assistant.say("report-reader", "hi")
    env = dict(os.environ, FRONTDESK_STATE_DIR=str(assistant.state_dir), HF_HUB_OFFLINE="1")
    made = subprocess.run([sys.executable, "-m", "bot.ops.cli", "report", "--since", "1d"], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stdout + made.stderr
    assert api(assistant, "GET", "/status").json() == {"crm": None, "report": "/agent/report"}
    shown = httpx.get(page, headers=bearer, timeout=30)
    assert shown.status_code == 200 and "data:image/png;base64," in shown.text


def test_agent_token_still_logs_in_as_the_lead_with_a_session_cookie(desk) -> None:
    assistant, telegram, hook = desk
    wrong = httpx.post(f"{assistant.url}/agent/login", data={"token": "nope"}, timeout=30)
    assert wrong.status_code == 401 and "not right" in wrong.text
    login = httpx.post(f"{assistant.url}/agent/login", data={"token": AGENT_TOKEN}, timeout=30)
    assert login.status_code == 303 and login.headers["location"] == "/agent"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/agent" in cookie and AGENT_TOKEN not in cookie
    session = {"Cookie": f"frontdesk_agent={login.cookies['frontdesk_agent']}"}
    page = httpx.get(f"{assistant.url}/agent", headers=session, timeout=30)
    assert page.status_code == 200 and 'id="queue"' in page.text and AGENT_TOKEN not in page.text
    assert httpx.get(f"{assistant.url}/agent/api/me", headers=session, timeout=30).json() == {"name": "lead", "role": "lead"}


@pytest.mark.parametrize("params, operator", [({}, True), ({"sender": ""}, True), ({"since": "-1"}, False),
                                              ({"since": "a"}, False), ({"sender": "x", "since": "a"}, True)])
def test_the_poll_endpoint_refuses_bad_queries(desk, params, operator) -> None:
    assistant, telegram, hook = desk
    headers = assistant.bearer if operator else assistant.visitor().headers
    reply = httpx.get(f"{assistant.url}/webhooks/rest/messages", params=params, headers=headers, timeout=30)
    assert reply.status_code == 400 and reply.json()["error"]


@pytest.mark.parametrize("path, body, reason", [
    ("messages", b"{not json", "JSON"), ("messages", b"[]", "object"), ("messages", b'{"text": ""}', "text"),
    ("messages", b'{"text": 5}', "text"), ("assign", b'{"agent": ""}', "agent"), ("assign", b"{}", "agent")])
def test_bad_bodies_get_400_and_unknown_ids_404(desk, path, body, reason) -> None:
    assistant, telegram, hook = desk
    reply = api(assistant, "POST", f"/handoffs/nope/{path}", content=body)
    assert reply.status_code == 400 and reason in reply.json()["error"]
    assert api(assistant, "GET", "/handoffs/nope").status_code == 404
    assert api(assistant, "POST", "/handoffs/nope/claim", agent="Bob").status_code == 404


def test_without_agent_settings_the_desk_is_off_and_customers_get_contact_details(assistant) -> None:
    off = httpx.get(f"{assistant.url}/agent/api/handoffs", headers={"Authorization": "Bearer anything"}, timeout=30)
    assert off.status_code == 503 and "AGENT_TOKEN" in off.json()["error"]
    [reply] = assistant.say("no-desk-customer", "I want to talk to a human")
    assert "+44 20 7946 0000" in reply["text"]
    assert not assistant.tracker("no-desk-customer")["paused"]
    assert "The agent desk is off" in (assistant.state_dir / "logs" / "rasa.log").read_text()


def test_web_chat_customer_sees_the_agents_reply_in_the_page(desk, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    assistant, telegram, hook = desk
    browser.get(f"{assistant.url}/webhooks/webchat/")
    browser.find_element(By.ID, "name").send_keys("Lou")
    box = browser.find_element(By.ID, "text")
    box.send_keys("I want to talk to a human\n")
    wait_for(browser, lambda d: any("passing you to a person" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".msg.bot")))
    sender = browser.execute_script("return JSON.parse(localStorage.getItem('frontdesk-session')).conversation_id")
    handoff = open_handoff(assistant, sender)
    api(assistant, "POST", f"/handoffs/{handoff['id']}/claim", agent="Kim")
    api(assistant, "POST", f"/handoffs/{handoff['id']}/messages", agent="Kim", json={"text": "Hello Lou, Kim from S-Club here."})
    agent_message = wait_for(browser, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, ".msg.bot.agent")
                                                 if e.text == "Kim\nHello Lou, Kim from S-Club here."])[0]
    assert agent_message.get_attribute("data-agent") == "Kim"  # the agent's name shows above their message
    before = log_texts(browser)
    browser.refresh()  # the history shows the agent's message; polling goes on after it
    wait_for(browser, lambda d: log_texts(d) == before)
    api(assistant, "POST", f"/handoffs/{handoff['id']}/messages", agent="Kim", json={"text": "<b>Still</b> there, Lou?"})
    wait_for(browser, lambda d: log_texts(d)[len(before):] == [("msg bot agent", "Kim\n<b>Still</b> there, Lou?")])
    assert browser.find_elements(By.CSS_SELECTOR, "#log b") == []
    api(assistant, "POST", f"/handoffs/{handoff['id']}/resolve")
    wait_for(browser, lambda d: any("marked your conversation as resolved" in e.text
                                    for e in d.find_elements(By.CSS_SELECTOR, ".msg.bot")))
