"""Every route the Rasa server serves is either public by design or refuses a stranger.

The route table is Sanic's, built by the same Rasa call `rasa run` makes, with every channel
switched on (Telegram, SMS, WhatsApp, the agent desk, the CRM sync) against loopback fakes.
Each route is then called on the running server without any credential. A route that is
not in PUBLIC must answer 401 or 403; a public one must answer as its entry says; and no
answer may contain a word of the conversation seeded first.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import PROJECT_DIR
from tests.fakes.hubspot_api import FakeHubSpotAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

SMS_CUSTOMER = "+15551199042"
SEEDED = "zebracrossing parking question"  # a phrase only the seeded conversation holds

# (method, path) -> (statuses a stranger may get, why it is public). Anything else must refuse.
PUBLIC: dict[tuple[str, str], tuple[set[int], str]] = {
    ("GET", "/"): ({200}, "Rasa's hello: the server's name and nothing else"),
    ("GET", "/version"): ({200}, "Rasa's version numbers"),
    ("GET", "/webhooks/rest"): ({200}, "health check"),
    ("GET", "/webhooks/telegram"): ({200}, "health check"),
    ("GET", "/webhooks/sms"): ({200}, "health check"),
    ("GET", "/webhooks/whatsapp"): ({200}, "health check"),
    ("GET", "/webhooks/crm"): ({200}, "health check"),
    ("GET", "/webhooks/webchat"): ({200}, "the web chat page; every call it makes is session-checked"),
    ("GET", "/agent"): ({401}, "the desk's login form (no desk data without a session)"),
    ("POST", "/webhooks/rest/session"): ({201}, "a new, empty visitor conversation of its own (rest:/webchat: ids)"),
}
# Routes that answer 405 to everyone (a wrong method on a webhook): they neither read nor write.
WRONG_METHOD = re.compile(r"\.wrong_method$")
PARAMETERS = {"conversation_id": SMS_CUSTOMER, "handoff_id": "1"}


def route_table(env: dict[str, str]) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "tests.integration.route_table"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def plausible_body(path: str) -> dict:
    """What a stranger would send there: Twilio's form for its webhooks, a JSON message elsewhere."""
    if path in ("/webhooks/sms/webhook", "/webhooks/whatsapp/webhook"):
        return {"data": {"From": SMS_CUSTOMER, "To": "+15005550006", "Body": "hi", "MessageSid": "SM" + "0" * 32}}
    return {"json": {"sender": SMS_CUSTOMER, "message": "hi", "text": "hi", "update_id": 1,
                     "metadata": {"channel": "sms"}}}


def concrete(path: str) -> str:
    """`path` with its parameters filled in: a known value, the first of a pattern's choices (`<d:approve|reject>`),
    else "x"."""
    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2) or ""
        return PARAMETERS.get(name) or (kind.split("|")[0] if "|" in kind else "x")

    return re.sub(r"<(\w+)(?::([^>]+))?>", value, path)


@pytest.fixture(scope="module")
def everything_on(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("routes")
    with FakeTwilioAPI("AC" + "1" * 32, "t" * 32) as twilio, FakeTelegramAPI("1:tok") as telegram, \
            FakeHubSpotAPI("pat-na1-test") as hubspot:
        env = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t" * 32, "TWILIO_SMS_NUMBER": "+15005550006",
               "TWILIO_WHATSAPP_NUMBER": "+14123456789", "PUBLIC_BASE_URL": "https://bot.s-club.example",
               "TWILIO_API_BASE": twilio.url, "TELEGRAM_BOT_TOKEN": "1:tok", "TELEGRAM_WEBHOOK_SECRET": "s" * 32,
               "TELEGRAM_API_BASE": telegram.url, "HUBSPOT_ACCESS_TOKEN": "pat-na1-test", "HUBSPOT_API_BASE": hubspot.url,
               "AGENT_TOKEN": "lead-token-" + "x" * 24}
        running = start_assistant(tmp, env)
        table_env = dict(os.environ, **env, FRONTDESK_STATE_DIR=str(tmp / "routes-state"),
                         RASA_API_TOKEN=running.token, HF_HUB_OFFLINE="1")
        yield running, route_table(table_env)
        running.stop()


def test_every_route_is_public_by_design_or_refuses_a_stranger(everything_on) -> None:
    assistant, routes = everything_on
    # A conversation with a person in it, as the conversation tests play an SMS customer.
    seeded = httpx.post(f"{assistant.url}/webhooks/rest/webhook", headers={"Authorization": f"Bearer {assistant.token}"},
                        json={"sender": SMS_CUSTOMER, "message": f"I want to talk to a person about my {SEEDED}",
                              "metadata": {"channel": "sms"}}, timeout=60)
    assert seeded.status_code == 200, seeded.text
    assert len(routes) > 30
    failures = []
    for route in routes:
        for method in route["methods"]:
            if method in ("HEAD", "OPTIONS"):
                continue
            path = concrete(route["path"].rstrip("/") or "/")
            reply = httpx.request(method, f"{assistant.url}{path}", **plausible_body(path), timeout=60)
            if SEEDED.split()[0] in reply.text or SMS_CUSTOMER in reply.text:
                failures.append(f"{method} {path}: {reply.status_code} reveals the conversation")
            allowed, _ = PUBLIC.get((method, path), ({401, 403}, ""))
            if WRONG_METHOD.search(route["name"]):
                allowed = {405}
            if reply.status_code not in allowed:
                failures.append(f"{method} {path}: {reply.status_code} (expected {sorted(allowed)}) {reply.text[:120]}")
    assert not failures, "\n".join(failures)
    # the walk really covered the conversation API and the desk
    names = {r["name"].rsplit(".", 1)[-1] for r in routes}
    assert {"retrieve_tracker", "append_events", "messages", "history", "claim", "assign", "receive"} <= names
