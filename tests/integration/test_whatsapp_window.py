"""WhatsApp's 24-hour window end to end: the real assistant, a fake Twilio API that refuses free-form WhatsApp
messages outside the window (400, 63016) as Twilio does, and the agent desk API. The window is seconds here
(WHATSAPP_WINDOW_S, and the fake's own)."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import always_open_assistant_file, wait_until

pytestmark = pytest.mark.integration

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "whatsapp-window-auth-token"
PUBLIC = "https://bot.s-club.example"
NUMBER = "+14155238886"
AGENT_TOKEN = "window-agent-token-" + "y" * 16  # the lead account `lead`
REPLY_SID = "HX" + "5" * 32
WINDOW_S = 25.0  # long enough for a handover turn on a loaded machine; the test waits it out once per assistant


@pytest.fixture(scope="module", params=["no template", "agent_reply template"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("window")
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN, whatsapp_window_s=WINDOW_S) as api:
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_WHATSAPP_NUMBER": NUMBER,
               "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": api.url, "AGENT_TOKEN": AGENT_TOKEN,
               "WHATSAPP_WINDOW_S": str(WINDOW_S), "ASSISTANT_FILE": always_open_assistant_file(tmp, 3600)}
        if request.param != "no template":
            env["TWILIO_CONTENT_SID_AGENT_REPLY"] = REPLY_SID
        running = start_assistant(tmp, env)
        running.say("warm-up", "hi")  # the first turn of a new assistant is slow: not inside the window under test
        yield request.param, running, api
        running.stop()


def write(assistant, api: FakeTwilioAPI, sender: str, text: str, name: str = "Ana") -> None:
    """The customer sends a WhatsApp message: Twilio opens their window and posts the signed webhook."""
    fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "From": sender,
              "To": f"whatsapp:{NUMBER}", "Body": text, "NumMedia": "0", "ProfileName": name}
    api.customer_wrote(sender)
    path = "/webhooks/whatsapp/webhook"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, fields)
    reply = httpx.post(assistant.url + path, content=urlencode(fields).encode(), timeout=30,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert reply.status_code == 200


def desk(assistant, method: str, path: str, **kwargs) -> httpx.Response:
    reply = httpx.request(method, f"{assistant.url}/agent/api{path}", timeout=30,
                          headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, **kwargs)
    assert reply.status_code < 300, reply.text
    return reply


def handoff_of(assistant, conversation_id: str) -> dict:
    def find():
        details = (desk(assistant, "GET", f"/handoffs/{h['id']}").json()
                   for h in desk(assistant, "GET", "/handoffs").json()["handoffs"])
        return next((d for d in details if d["summary"]["conversation_id"] == conversation_id), None)
    return wait_until(find, timeout=60, what=f"a handoff for {conversation_id}")


def test_an_agents_reply_after_the_window_is_a_template_or_kept_until_the_customer_writes(world) -> None:
    kind, assistant, api = world
    customer = "whatsapp:+4477009" + str(uuid.uuid4().int)[:5]
    write(assistant, api, customer, "I want to talk to a person")
    wait_until(lambda: any("passing you to a person" in (m.get("Body") or "") for m in api.sent_to(customer)),
               timeout=WINDOW_S, what="the handover's expectations, inside the window")
    handoff = handoff_of(assistant, customer)
    desk(assistant, "POST", f"/handoffs/{handoff['id']}/claim")
    wait_until(lambda: any("joined" in (m.get("Body") or "") for m in api.sent_to(customer)), timeout=WINDOW_S,
               what="the joined notice")

    time.sleep(max(0.0, api.inbound[customer] + WINDOW_S + 0.5 - time.time()))  # the window closes
    reply = "Hi Ana, your refund is done."
    desk(assistant, "POST", f"/handoffs/{handoff['id']}/messages", json={"text": reply})

    if kind == "agent_reply template":
        sent = wait_until(lambda: [m for m in api.sent_to(customer) if m.get("ContentSid")], what="the template")
        assert sent[0]["ContentSid"] == REPLY_SID and "Body" not in sent[0]
        assert json.loads(sent[0]["ContentVariables"]) == {"1": "Ana", "2": reply}
        assert not [a for a in api.attempts if a.get("To") == customer and a.get("Body") == reply]  # never as free text
        assert desk(assistant, "GET", f"/handoffs/{handoff['id']}").json()["undelivered"] is None
        return

    held = wait_until(lambda: desk(assistant, "GET", f"/handoffs/{handoff['id']}").json()["undelivered"],
                      what="the desk showing the held reply")
    assert held["reason"].startswith("This WhatsApp customer last wrote ")
    assert held["reason"].endswith("ago; WhatsApp only delivers a template now. Configure one, or wait for the customer to write.")
    assert [m["text"] for m in held["messages"]] == [reply]
    assert not [a for a in api.attempts if a.get("To") == customer and a.get("Body") == reply]  # not tried as free text

    write(assistant, api, customer, "hello? any news?")
    wait_until(lambda: [m for m in api.sent_to(customer) if m.get("Body") == reply], what="the kept reply")
    assert desk(assistant, "GET", f"/handoffs/{handoff['id']}").json()["undelivered"] is None


def test_a_whatsapp_customer_who_sent_stop_gets_nothing_until_start(world) -> None:
    _, assistant, api = world  # with or without a template: STOP is kept the same
    customer = "whatsapp:+4477119" + str(uuid.uuid4().int)[:5]
    write(assistant, api, customer, "hi")
    wait_until(lambda: api.sent_to(customer), what="the greeting")
    time.sleep(2)
    greeted = len(api.sent_to(customer))
    write(assistant, api, customer, "STOP")
    write(assistant, api, customer, "what are your opening hours?")
    time.sleep(4)
    assert len(api.sent_to(customer)) == greeted  # nothing after STOP
    write(assistant, api, customer, "START")
    wait_until(lambda: any("subscribed again" in (m.get("Body") or "") for m in api.sent_to(customer)),
               what="the welcome back after START")
