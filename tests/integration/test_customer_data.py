"""The right to erasure and the right of access, end to end: the real assistant with the CRM sync on (fake HubSpot)
and the agent desk; customers talk to it over REST as an SMS customer (the operator's token) and as a web chat
visitor; `frontdesk privacy export|forget` run as an operator would, and a lead forgets from the desk."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml

from bot.messaging import store
from bot.messaging.store import open_database
from tests.bot.privacy.world import scan
from tests.bot.report.conftest import Script, save_trackers
from tests.conftest import PROJECT_DIR
from tests.fakes.hubspot_api import FakeHubSpotAPI
from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import wait_until
from tests.integration.desk_setup import add_agents, always_open_assistant_file

pytestmark = pytest.mark.integration

HUBSPOT_TOKEN = "pat-customer-data-test"
LEAD_TOKEN = "lead-desk-token-" + "y" * 16  # AGENT_TOKEN: the lead account `lead`


def phrase() -> str:
    """Words nobody else says, and nothing masking would hide."""
    return "tangerine walrus " + "".join(random.choice(string.ascii_lowercase) for _ in range(10))


def wait_for(check, timeout: float = 60.0, what: str = "condition"):
    return wait_until(check, timeout, what)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("customer-data")
    settings = yaml.safe_load(Path(always_open_assistant_file(tmp, 3600)).read_text())
    settings["crm"] = {"poll_interval_s": 0.5}
    assistant_file = tmp / "assistant-data.yml"
    assistant_file.write_text(yaml.safe_dump(settings))
    with FakeHubSpotAPI(HUBSPOT_TOKEN) as hubspot:
        env = {"HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN, "HUBSPOT_API_BASE": hubspot.url, "AGENT_TOKEN": LEAD_TOKEN,
               "ASSISTANT_FILE": str(assistant_file)}
        assistant = start_assistant(tmp, env)
        assistant.env = env
        # a conversation quiet for longer than privacy.retention_days (365), there before the first daily purge
        old = time.time() - 400 * 86400
        save_trackers(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}",
                      [Script("old-customer", "rest").session(old).faq(old, "an old zebra question", "answer", "parking")])
        assistant.tokens = add_agents(assistant.state_dir, {"Bob": "agent"})
        yield assistant, hubspot
        assistant.stop()


def desk(assistant, method: str, path: str, token: str = LEAD_TOKEN, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{assistant.url}/agent/api{path}", headers={"Authorization": f"Bearer {token}"},
                         timeout=60, **kwargs)


def handoff_of(assistant, conversation_id: str) -> dict:
    def find():
        for h in desk(assistant, "GET", "/handoffs?status=all").json()["handoffs"]:
            detail = desk(assistant, "GET", f"/handoffs/{h['id']}").json()
            if detail["summary"]["conversation_id"] == conversation_id:
                return detail
        return None
    return wait_for(find, what=f"a handoff for {conversation_id}")


def privacy(assistant, *argv: str) -> tuple[int, list[str], str]:
    """`frontdesk privacy ...` in a terminal next to the running assistant (same state folder, HubSpot and settings)."""
    env = dict(os.environ, FRONTDESK_STATE_DIR=str(assistant.state_dir), HF_HUB_OFFLINE="1", **assistant.env)
    done = subprocess.run([sys.executable, "-m", "bot.ops.cli", "privacy", *argv], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=180)
    return done.returncode, done.stdout.splitlines(), done.stderr


def take_the_survey(assistant, sender: str, comment: str) -> None:
    """Say goodbye, rate 4 (and 9 if asked to recommend), then leave `comment`."""
    replies = assistant.say(sender, "no that's all, bye", channel="sms")
    for _ in range(4):
        text = " ".join(r.get("text", "") for r in replies)
        if "Anything you'd like to tell us" in text:
            assistant.say(sender, comment, channel="sms")
            return
        replies = assistant.say(sender, "9" if "recommend" in text else "4", channel="sms")
    raise AssertionError(f"the survey never asked for a comment: {replies}")


def test_an_sms_customer_is_exported_then_forgotten_everywhere_while_their_handoff_is_open(running, tmp_path) -> None:
    assistant, hubspot = running
    said = phrase()
    sender = f"+44770090{random.randint(1000, 9999)}"
    assistant.say(sender, "hi", channel="sms", name="Zed")
    assistant.say(sender, f"I left my {said} in a locker, how do I get it back?", channel="sms")
    take_the_survey(assistant, sender, f"thanks, and please look after my {said}")
    assistant.say(sender, "I want to speak to a person", channel="sms")
    handoff = handoff_of(assistant, sender)
    assert desk(assistant, "POST", f"/handoffs/{handoff['id']}/messages",
                json={"text": f"Hi Zed, Lee here: we have your {said}."}).status_code == 201
    assert assistant.say(sender, f"great, it is the blue {said}", channel="sms") == []  # to the agent while paused
    wait_for(lambda: hubspot.count("tickets") and hubspot.contacts(), what="the HubSpot ticket")
    [contact] = [c for c in hubspot.contacts() if c.get("phone") == sender]
    database = open_database(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    assert len(set(scan(database, said))) >= 4  # tracker, handoff, its messages, the survey comment ...

    out = tmp_path / "zed.json"
    code, lines, err = privacy(assistant, "export", "--channel", "sms", "--contact", sender, "--out", str(out))
    assert code == 0, err
    export = json.loads(out.read_text())
    said_in_chat = [m for s in export["conversations"] for m in s["messages"] if said in m["text"]]
    assert {m["author"] for m in said_in_chat} == {"customer", "agent"}
    assert [m["author"] for m in export["handoffs"][0]["messages"] if said in m["text"]] == ["agent", "customer"]
    assert any(said in (s["comment"] or "") for s in export["surveys"]) and export["profile"][0]["name"] == "Zed"
    assert {c["hubspot_object"] for c in export["crm"]} >= {"contact", "ticket"}

    code, lines, err = privacy(assistant, "forget", "--channel", "sms", "--contact", sender, "--yes")
    assert code == 0, err
    receipt = json.loads(lines[-1])
    assert receipt["found"] and receipt["handoffs"] == {"erased": 1, "open_when_erased": 1}
    assert sender not in lines[-1] and said not in lines[-1]
    assert {t: n for t, n in receipt["deleted"].items() if n} == {t: n for t, n in export["counts"].items() if n}

    assert scan(database, said) == []
    tracker = httpx.get(f"{assistant.url}/conversations/{sender}/tracker", params={"token": assistant.token}, timeout=30)
    assert tracker.status_code == 200 and said not in tracker.text and "Zed" not in tracker.text
    gone = desk(assistant, "GET", f"/handoffs/{handoff['id']}")
    assert gone.status_code == 410 and "erased at their request" in gone.json()["error"]
    assert all(h["id"] != handoff["id"] for h in desk(assistant, "GET", "/handoffs?status=all").json()["handoffs"])
    [gdpr] = [r for r in hubspot.requests if r.path == "/crm/v3/objects/contacts/gdpr-delete"]
    assert gdpr.method == "POST" and gdpr.body == {"objectId": contact["id"]} and gdpr.status == 204
    assert hubspot.archived["tickets"] and all(c.get("phone") != sender for c in hubspot.contacts())
    assert receipt["hubspot"]["contacts_gdpr_deleted"] == 1 and receipt["hubspot"]["status"] == "done"

    assert assistant.say(sender, "hello", channel="sms")  # the assistant carries on: a new conversation
    code, lines, _ = privacy(assistant, "forget", "--channel", "sms", "--contact", sender, "--yes")
    again = json.loads(lines[-1])
    assert code == 0 and again["earlier_erasures"] == [receipt["at"]]
    assert again["deleted"]["frontdesk_handoffs"] == 0 and again["hubspot"]["contacts_gdpr_deleted"] <= 1


def test_a_lead_forgets_a_web_chat_visitor_from_the_desk_and_an_agent_may_not(running) -> None:
    assistant, hubspot = running
    said = phrase()
    visitor = assistant.visitor("webchat")
    visitor.say(f"hello, my {said} is missing", name="Uma")
    visitor.say("can I talk to a human please")
    handoff = handoff_of(assistant, visitor.conversation_id)
    database = open_database(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    assert scan(database, said)

    refused = desk(assistant, "POST", f"/handoffs/{handoff['id']}/forget", token=assistant.tokens["Bob"])
    assert refused.status_code == 403 and "only a lead" in refused.json()["error"] and scan(database, said)
    done = desk(assistant, "POST", f"/handoffs/{handoff['id']}/forget")
    assert done.status_code == 200, done.text
    assert done.json()["found"] and done.json()["requested_by"] == "lead" and done.json()["channel"] == "webchat"
    assert scan(database, said) == []
    assert desk(assistant, "GET", f"/handoffs/{handoff['id']}", token=assistant.tokens["Bob"]).status_code == 410
    assert said not in json.dumps(visitor.history())
    assert visitor.say("hi again")  # the visitor's page keeps working: a new conversation
    audit = [line for line in _audit(assistant) if "forget" in line]
    assert len(audit) == 1 and "lead" in audit[0] and handoff["id"] in audit[0]


def _audit(assistant) -> list[str]:
    env = dict(os.environ, FRONTDESK_STATE_DIR=str(assistant.state_dir), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-m", "bot.ops.cli", "agents", "audit"], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    return done.stdout.splitlines()


def test_the_running_assistant_purges_old_conversations_by_itself_and_keeps_their_figures(running) -> None:
    assistant, _ = running
    database = open_database(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")

    def purged():
        with database.connect() as db:
            return db.execute(sa.select(store.erasures.c.receipt).where(
                store.erasures.c.kind == "purge", store.erasures.c.requested_by == "retention")).scalars().all()

    [receipt] = wait_for(purged, timeout=150, what="the daily purge")  # its first check is a minute after start-up
    assert receipt["conversations"] == 1 and receipt["report_figures_kept"] == 1 and not receipt["dry_run"]
    assert scan(database, "old zebra question") == []
