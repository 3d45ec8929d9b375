"""The knowledge base learns from its conversations, end to end on the real assistant: a customer picks an entry
from a clarification and says it helped, the wording reaches the editors as a suggestion (`frontdesk kb
suggestions`), one approval adds one line to the entry's markdown, and the running assistant then answers that
wording directly. And on the desk: an agent links a handed-over question to an entry, a lead reviews it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import add_agents, always_open_assistant_file, frontdesk, sign_in, wait_until
from tests.integration.test_webchat_browser import browser, wait_for  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.integration

# Clarified between "Cancel a class or court booking" and "Waiting lists" by the starter knowledge base
# (kb search: probabilities 0.28 and 0.18); nobody wrote "can't make it" in the booking entry.
WORDING = "I can't make it to spin tonight"
ENTRY = "cancel_a_booking"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("learning")
    tokens = add_agents(tmp / "state", {"Ann": "lead", "Bob": "agent"})
    settings = yaml.safe_load(Path(always_open_assistant_file(tmp, unclaimed_after_s=3600)).read_text())
    settings["knowledge_base"].update(folder=str(tmp / "knowledge_base"), reload_interval_s=0.5)
    (tmp / "assistant-learning.yml").write_text(yaml.safe_dump(settings))
    assistant = start_assistant(tmp, {"ASSISTANT_FILE": str(tmp / "assistant-learning.yml")})
    assistant.tokens = tokens
    assistant.cli = lambda *argv: frontdesk(tmp / "state", *argv, "--kb", str(assistant.knowledge_base))
    yield assistant
    assistant.stop()


def api(running, method: str, path: str, agent: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{running.url}/agent/api{path}", timeout=30,
                         headers={"Authorization": f"Bearer {running.tokens[agent]}"}, **kwargs)


def offered(reply: dict) -> list[str]:
    return re.findall(r'"kb_entry": "([^"]+)"', " ".join(b["payload"] for b in reply.get("buttons") or []))


def test_a_confirmed_choice_becomes_a_question_the_assistant_answers_after_one_approval(running) -> None:
    sender = f"learn-{uuid.uuid4().hex[:8]}"
    [clarified] = running.say(sender, WORDING)
    assert ENTRY in offered(clarified), clarified
    [answer] = running.say(sender, '/choose_entry{"kb_entry": "%s"}' % ENTRY)
    assert running.tracker(sender)["slots"]["kb_answered"] == ENTRY
    running.say(sender, "yes, thanks")

    listing = running.cli("kb", "suggestions", "--entry", ENTRY)
    [line] = [line for line in listing if WORDING in line]
    assert "1 customer(s): clarification 1" in line
    suggestion = re.search(r"#(\d+)", line).group(1)

    path = next(running.knowledge_base.rglob(f"{ENTRY}.md"))
    before = path.read_text().splitlines()
    [done] = running.cli("kb", "suggestions", "approve", suggestion)
    assert WORDING in done
    after = path.read_text().splitlines()
    assert len(after) == len(before) + 1 and [line for line in after if line not in before] == [f"  - {WORDING}"]

    def answered() -> bool:
        sender = f"learn-{uuid.uuid4().hex[:8]}"
        running.say(sender, WORDING)
        return running.tracker(sender)["slots"]["kb_answered"] == ENTRY
    wait_until(answered, timeout=60, what="the running assistant to answer the approved wording")


def test_a_no_withdraws_and_a_test_conversation_teaches_nothing(running) -> None:
    wording = "my spin class clashes with work, what now"
    for sender, metadata, reply in ((f"learn-{uuid.uuid4().hex[:8]}", {}, "no"),
                                    (f"learn-{uuid.uuid4().hex[:8]}", {"test": True}, "yes")):
        running.say(sender, wording, **metadata)
        running.say(sender, '/choose_entry{"kb_entry": "%s"}' % ENTRY, **metadata)
        running.say(sender, reply, **metadata)
    assert not [line for line in running.cli("kb", "suggestions") if wording in line]


def test_an_agent_links_a_handed_over_question_and_a_lead_approves_it(running) -> None:
    sender = f"learn-{uuid.uuid4().hex[:8]}"
    running.say(sender, "my locker code stopped working on level two")
    running.say(sender, "I want to talk to a human")
    handoff = wait_until(lambda: next((h["id"] for h in api(running, "GET", "/handoffs", "Ann").json()["handoffs"]
                                       if api(running, "GET", f"/handoffs/{h['id']}", "Ann").json()["summary"]
                                       ["conversation_id"] == sender), None), what="the handoff")
    entries = {e["id"] for e in api(running, "GET", "/entries", "Bob").json()["entries"]}
    assert "towels_and_lockers" in entries
    assert api(running, "POST", f"/handoffs/{handoff}/entry", "Bob", json={"entry": "no_such_entry"}).status_code == 404
    linked = api(running, "POST", f"/handoffs/{handoff}/entry", "Bob", json={"entry": "towels_and_lockers"})
    assert linked.status_code == 201, linked.text
    assert linked.json()["wording"] == "my locker code stopped working on level two"

    assert api(running, "GET", "/suggestions", "Bob").status_code == 403
    [found] = [s for s in api(running, "GET", "/suggestions", "Ann").json()["suggestions"]
               if s["wording"] == "my locker code stopped working on level two"]
    assert (found["entry"], found["evidence"]) == ("towels_and_lockers", {"agent": 1})
    assert api(running, "POST", "/suggestions/approve", "Ann", json={"ids": [999999]}).status_code == 404
    approved = api(running, "POST", "/suggestions/approve", "Ann", json={"ids": [found["id"]]})
    assert approved.status_code == 200, approved.text
    path = next(running.knowledge_base.rglob("towels_and_lockers.md"))
    assert "  - my locker code stopped working on level two\n" in path.read_text()


def test_an_agent_links_and_a_lead_approves_on_the_desk_page_with_customer_words_as_text(running, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    hostile = 'is the sauna <img src=x onerror="window.__x=1"> mixed?'
    sender = f"learn-{uuid.uuid4().hex[:8]}"
    running.say(sender, hostile)
    running.say(sender, "I want to talk to a human")
    handoff = wait_until(lambda: next((h["id"] for h in api(running, "GET", "/handoffs", "Ann").json()["handoffs"]
                                       if api(running, "GET", f"/handoffs/{h['id']}", "Ann").json()["summary"]
                                       ["conversation_id"] == sender), None), what="the handoff")
    sign_in(running, browser, "Ann", "Ann (lead)")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff}"]'))[0].click()
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#answered-entry option")) > 10)
    Select(browser.find_element(By.ID, "answered-entry")).select_by_value("towels_and_lockers")
    browser.find_element(By.ID, "link-entry").click()
    wait_for(browser, lambda d: "Suggested" in d.find_element(By.ID, "notice").text)

    browser.find_element(By.ID, "suggestions-link").click()
    item = wait_for(browser, lambda d: [li for li in d.find_elements(By.CSS_SELECTOR, "#suggestions li")
                                        if hostile in li.text])
    assert browser.execute_script("return window.__x") is None  # shown as text, never as markup
    item[0].find_element(By.XPATH, ".//button[text()='Approve']").click()
    path = next(running.knowledge_base.rglob("towels_and_lockers.md"))
    wait_until(lambda: hostile in path.read_text(), what="the approved wording in the entry's file")
