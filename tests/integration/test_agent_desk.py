"""The agent desk under agent accounts, over real HTTP against the running assistant (no AGENT_TOKEN: the
accounts alone switch the desk on): who is signed in, what they may do, sessions and cookies, CSRF, the limit
on wrong tokens, the audit log; and the desk page in headless Chromium."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import add_agents, always_open_assistant_file, frontdesk, sign_in
from tests.integration.test_webchat_browser import browser, wait_for  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.integration

AGENTS = {"Bob": "agent", "Cleo": "agent", "Ann": "lead", "Pat": "agent", "Rev": "agent"}
COOKIE = "frontdesk_agent"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agent-desk")
    tokens = add_agents(tmp / "state", AGENTS)
    running = start_assistant(tmp, {"ASSISTANT_FILE": always_open_assistant_file(tmp, unclaimed_after_s=3600),
                                    "TRUSTED_PROXIES": "127.0.0.1"})
    running.tokens = tokens
    yield running
    running.stop()


_addresses = iter(range(1, 250))


def fresh_address() -> str:
    """A client address of its own (sent as X-Forwarded-For through the trusted 127.0.0.1), so deliberate wrong
    tokens in one test never count against another's."""
    return f"198.51.100.{next(_addresses)}"


def api(desk, method: str, path: str, agent: str | None = None, token: str | None = None,
        headers: dict | None = None, **kwargs) -> httpx.Response:
    headers = dict(headers or {})
    token = token or (desk.tokens[agent] if agent else None)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, f"{desk.url}/agent/api{path}", headers=headers, timeout=30, **kwargs)


def handed_over(desk, sender: str, name: str = "Ana") -> str:
    """A new conversation handed to a person; returns its handoff id."""
    desk.say(sender, "hi", name=name)
    desk.say(sender, "I want to talk to a human")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for h in api(desk, "GET", "/handoffs", "Ann").json()["handoffs"]:
            if api(desk, "GET", f"/handoffs/{h['id']}", "Ann").json()["summary"]["conversation_id"] == sender:
                return h["id"]
        time.sleep(0.3)
    raise AssertionError(f"no handoff for {sender}")


def agent_lines(desk, sender: str) -> list[tuple[str | None, str]]:
    """(agent, text) of what agents and notices said to the customer, from the conversation's tracker."""
    events = desk.tracker(sender)["events"]
    return [((e.get("metadata") or {}).get("agent"), e["text"]) for e in events
            if e["event"] == "bot" and (e.get("metadata") or {}).get("handoff_id")]


def log_in(desk, agent: str, headers: dict | None = None, client: httpx.Client | None = None) -> httpx.Response:
    post = (client or httpx).post
    return post(f"{desk.url}/agent/login", data={"token": desk.tokens[agent]}, timeout=30,
                headers={"Origin": desk.url} | (headers or {}))


def with_cookie(session_id: str, **headers: str) -> dict:
    return {"Cookie": f"{COOKIE}={session_id}"} | headers


def test_two_agents_act_under_their_own_names_and_not_on_each_others_claims(desk) -> None:
    sender = "accounts-two-agents"
    handoff_id = handed_over(desk, sender)
    claimed = api(desk, "POST", f"/handoffs/{handoff_id}/claim", "Bob", json={"agent": "Cleo"})  # the body's name is ignored
    assert claimed.status_code == 200 and claimed.json()["agent"] == "Bob"
    for path, body in [("/messages", {"text": "Cleo here"}), ("/resolve", None), ("/release", None)]:
        refused = api(desk, "POST", f"/handoffs/{handoff_id}{path}", "Cleo", json=body)
        assert refused.status_code == 403 and "Bob has claimed this handoff" in refused.json()["error"]
    assert api(desk, "POST", f"/handoffs/{handoff_id}/claim", "Cleo").status_code == 409
    sent = api(desk, "POST", f"/handoffs/{handoff_id}/messages", "Bob", json={"text": "Hi Ana, Bob here.", "agent": "Cleo"})
    assert sent.status_code == 201 and sent.json()["agent"] == "Bob"
    assert api(desk, "GET", "/me", "Cleo").json() == {"name": "Cleo", "role": "agent"}

    # A lead writes into Bob's handoff under her own name and gives it to Cleo.
    assert api(desk, "POST", f"/handoffs/{handoff_id}/messages", "Ann", json={"text": "Ann, team lead."}).json()["agent"] == "Ann"
    refused = api(desk, "POST", f"/handoffs/{handoff_id}/assign", "Bob", json={"agent": "Bob"})
    assert refused.status_code == 403 and "lead" in refused.json()["error"]
    assert api(desk, "POST", f"/handoffs/{handoff_id}/assign", "Ann", json={"agent": "nobody"}).status_code == 400
    assigned = api(desk, "POST", f"/handoffs/{handoff_id}/assign", "Ann", json={"agent": "cleo"})
    assert assigned.status_code == 200 and assigned.json()["agent"] == "Cleo"
    assert api(desk, "POST", f"/handoffs/{handoff_id}/messages", "Bob", json={"text": "still me"}).status_code == 403
    assert api(desk, "POST", f"/handoffs/{handoff_id}/messages", "Cleo", json={"text": "Cleo now."}).status_code == 201
    assert api(desk, "POST", f"/handoffs/{handoff_id}/resolve", "Cleo").status_code == 200
    assert agent_lines(desk, sender)[:-1] == [
        (None, "Bob from the S-Club team has joined and is reading our conversation."),
        ("Bob", "Hi Ana, Bob here."), ("Ann", "Ann, team lead."),
        (None, "Cleo from the S-Club team has joined and is reading our conversation."), ("Cleo", "Cleo now.")]
    assert agent_lines(desk, sender)[-1][1].startswith("Cleo has marked your conversation as resolved")
    newest = api(desk, "GET", "/handoffs?status=closed&limit=1", "Ann").json()
    assert [h["id"] for h in newest["handoffs"]] == [handoff_id] and isinstance(newest["more"], bool)
    refused = api(desk, "GET", "/handoffs?limit=0", "Ann")
    assert refused.status_code == 400 and refused.json() == {"error": "'limit' must be a number from 1 to 1000"}

    audit = "\n".join(frontdesk(desk.state_dir, "agents", "audit", "--since", "1d"))
    for who, action in [("Bob", "claim"), ("Bob", "reply"), ("Ann", "assign"), ("Cleo", "reply"), ("Cleo", "resolve"),
                        ("Ann", "view")]:
        assert any(who in line and action in line and handoff_id in line for line in audit.splitlines()), (who, action)
    assert "Bob -> Cleo" in audit and "Hi Ana" not in audit  # no message text in the audit log


def test_missing_and_wrong_credentials_get_401_with_a_reason_and_change_nothing(desk) -> None:
    handoff_id = handed_over(desk, "accounts-no-credential")
    address = {"X-Forwarded-For": fresh_address()}
    for token in (None, "nonsense", desk.tokens["Bob"][:-2] + "xx"):
        for method, path in [("GET", "/handoffs"), ("POST", f"/handoffs/{handoff_id}/claim")]:
            refused = api(desk, method, path, token=token, headers=address)
            assert refused.status_code == 401 and refused.json()["error"] and "\n" not in refused.json()["error"]
    assert api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["status"] == "waiting"
    api(desk, "POST", f"/handoffs/{handoff_id}/resolve", "Ann")


def test_a_token_in_the_address_logs_nobody_in(desk) -> None:
    page = httpx.get(f"{desk.url}/agent", params={"token": desk.tokens["Bob"]}, timeout=30)
    assert page.status_code == 401 and 'id="queue"' not in page.text and "no longer log in" in page.text
    assert "set-cookie" not in page.headers


def test_the_login_form_gives_a_session_cookie_not_the_token_and_logout_ends_it(desk) -> None:
    login = log_in(desk, "Pat")
    assert login.status_code == 303 and login.headers["location"] == "/agent"
    cookie = login.headers["set-cookie"]
    session_id = login.cookies[COOKIE]
    assert desk.tokens["Pat"] not in cookie and len(session_id) >= 40
    for part in ("HttpOnly", "SameSite=Strict", "Path=/agent", "Max-Age=43200"):
        assert part in cookie
    assert "Secure" not in cookie  # plain http from the test
    page = httpx.get(f"{desk.url}/agent", headers=with_cookie(session_id), timeout=30)
    assert page.status_code == 200 and 'id="queue"' in page.text and desk.tokens["Pat"] not in page.text
    assert api(desk, "GET", "/me", headers=with_cookie(session_id)).json()["name"] == "Pat"

    out = httpx.post(f"{desk.url}/agent/logout", headers=with_cookie(session_id, Origin=desk.url), timeout=30)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    refused = api(desk, "GET", "/handoffs", headers=with_cookie(session_id))
    assert refused.status_code == 401 and "ended" in refused.json()["error"]


def test_the_cookie_is_secure_behind_a_trusted_https_proxy_only(desk) -> None:
    behind_tls = log_in(desk, "Pat", {"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls.headers["set-cookie"]
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as untrusted:  # not in TRUSTED_PROXIES
        spoofed = log_in(desk, "Pat", {"X-Forwarded-Proto": "https"}, client=untrusted)
    assert spoofed.status_code == 303 and "Secure" not in spoofed.headers["set-cookie"]


def test_cookie_requests_from_another_site_are_refused(desk) -> None:
    handoff_id = handed_over(desk, "accounts-csrf")
    session_id = log_in(desk, "Bob").cookies[COOKIE]
    claim = f"/handoffs/{handoff_id}/claim"
    for headers, reason in [({}, "Origin or Referer"), ({"Origin": "https://evil.example"}, "another site"),
                            ({"Referer": "https://evil.example/page"}, "another site")]:
        refused = api(desk, "POST", claim, headers=with_cookie(session_id, **headers))
        assert refused.status_code == 403 and reason in refused.json()["error"]
    assert api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["status"] == "waiting"
    logout = httpx.post(f"{desk.url}/agent/logout", headers=with_cookie(session_id, Origin="https://evil.example"), timeout=30)
    assert logout.status_code == 403
    assert api(desk, "POST", claim, headers=with_cookie(session_id, Origin=desk.url)).json()["agent"] == "Bob"
    assert api(desk, "POST", f"/handoffs/{handoff_id}/resolve", "Bob").status_code == 200  # bearer: no Origin needed


def test_a_revoked_agent_is_refused_at_once_including_an_open_desk_session(desk) -> None:
    session_id = log_in(desk, "Rev").cookies[COOKIE]
    address = {"X-Forwarded-For": fresh_address()}
    assert api(desk, "GET", "/handoffs", "Rev", headers=address).status_code == 200  # checked and remembered
    assert api(desk, "GET", "/handoffs", headers=with_cookie(session_id)).status_code == 200
    frontdesk(desk.state_dir, "agents", "revoke", "Rev")
    by_token = api(desk, "GET", "/handoffs", "Rev", headers=address)
    assert by_token.status_code == 401 and "revoked" in by_token.json()["error"]
    assert api(desk, "GET", "/handoffs", headers=with_cookie(session_id)).status_code == 401
    page = httpx.get(f"{desk.url}/agent", headers=with_cookie(session_id), timeout=30)
    assert page.status_code == 401 and 'id="queue"' not in page.text

    new_token = frontdesk(desk.state_dir, "agents", "reset", "Rev")[-1]
    assert api(desk, "GET", "/handoffs", token=new_token, headers=address).status_code == 200
    assert api(desk, "GET", "/handoffs", "Rev", headers=address).status_code == 401  # the old one stays dead
    desk.tokens["Rev"] = new_token


def test_ten_wrong_tokens_a_minute_from_one_address_then_429(desk) -> None:
    guesser = {"X-Forwarded-For": fresh_address()}
    for _ in range(9):
        assert api(desk, "GET", "/handoffs", token="guess.guess", headers=guesser).status_code == 401
    form = httpx.post(f"{desk.url}/agent/login", data={"token": "guess.guess"}, headers=guesser | {"Origin": desk.url},
                      timeout=30)
    assert form.status_code == 401  # the tenth, through the login form
    blocked = api(desk, "GET", "/handoffs", "Bob", headers=guesser)  # even the right token now
    assert blocked.status_code == 429 and 0 < int(blocked.headers["Retry-After"]) <= 60
    assert "too many" in blocked.json()["error"]
    assert log_in(desk, "Bob", guesser).status_code == 429
    assert api(desk, "GET", "/handoffs", "Bob", headers={"X-Forwarded-For": fresh_address()}).status_code == 200
    assert "login_failed" in "\n".join(frontdesk(desk.state_dir, "agents", "audit", "--since", "1h"))


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(desk) -> None:
    # 127.0.0.3: a peer of its own (127.0.0.2 logs in elsewhere), not in TRUSTED_PROXIES
    with httpx.Client(base_url=f"{desk.url}/agent/api", transport=httpx.HTTPTransport(local_address="127.0.0.3"),
                      timeout=30) as peer:
        for n in range(10):  # a different claimed address each time: all counted against the peer itself
            headers = {"Authorization": "Bearer guess.guess", "X-Forwarded-For": f"203.0.113.{n + 1}"}
            assert peer.get("/handoffs", headers=headers).status_code == 401
        right = {"Authorization": f"Bearer {desk.tokens['Bob']}", "X-Forwarded-For": "203.0.113.99"}
        assert peer.get("/handoffs", headers=right).status_code == 429


def test_the_desk_page_logs_in_claims_replies_shows_customer_text_as_text_resolves_and_logs_out(desk, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    sender = "accounts-browser"
    handoff_id = handed_over(desk, sender, name="Zoe")
    hostile = "<script>window.__x=1</script><b>bold</b>"
    assert desk.say(sender, hostile) == []  # the bot is paused: it goes to the agent

    browser.get(f"{desk.url}/agent?token={desk.tokens['Pat']}")
    assert browser.find_elements(By.ID, "queue") == []  # a token in the address does not log in
    browser.find_element(By.ID, "token").send_keys(desk.tokens["Pat"])
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "queue"))
    assert desk.tokens["Pat"] not in browser.current_url + browser.page_source
    wait_for(browser, lambda d: d.find_element(By.ID, "me").text == "Pat")
    item = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff_id}"]'))
    item[0].click()
    wait_for(browser, lambda d: hostile in d.find_element(By.ID, "transcript").text)
    transcript = browser.find_element(By.ID, "transcript")
    assert transcript.find_elements(By.TAG_NAME, "b") == [] and transcript.find_elements(By.TAG_NAME, "script") == []
    assert browser.execute_script("return window.__x") is None
    assert browser.find_element(By.ID, "assign-box").get_attribute("hidden") is not None  # not a lead
    assert browser.find_element(By.ID, "forget").get_attribute("hidden") is not None

    browser.find_element(By.ID, "claim").click()
    wait_for(browser, lambda d: api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["agent"] == "Pat")
    browser.find_element(By.ID, "reply-text").send_keys("Hi Zoe, Pat here.\n")
    wait_for(browser, lambda d: ("Pat", "Hi Zoe, Pat here.") in agent_lines(desk, sender))
    wait_for(browser, lambda d: "Hi Zoe, Pat here." in d.find_element(By.ID, "transcript").text)
    wait_for(browser, lambda d: d.find_element(By.ID, "resolve").is_enabled())
    browser.find_element(By.ID, "resolve").click()
    wait_for(browser, lambda d: api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["status"] == "resolved")

    session_id = browser.get_cookie(COOKIE)["value"]
    assert api(desk, "GET", "/me", headers=with_cookie(session_id)).status_code == 200
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "token"))  # the login form again
    assert api(desk, "GET", "/me", headers=with_cookie(session_id)).status_code == 401


def test_a_lead_reassigns_from_the_desk_page(desk, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    handoff_id = handed_over(desk, "accounts-browser-lead", name="Yan")
    api(desk, "POST", f"/handoffs/{handoff_id}/claim", "Bob")
    sign_in(desk, browser, "Ann", "Ann (lead)")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff_id}"]'))[0].click()
    wait_for(browser, lambda d: d.find_element(By.ID, "assign-box").get_attribute("hidden") is None)
    wait_for(browser, lambda d: "Cleo" in [o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, "#assign-to option")])
    Select(browser.find_element(By.ID, "assign-to")).select_by_value("Cleo")
    browser.find_element(By.ID, "assign").click()
    wait_for(browser, lambda d: api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["agent"] == "Cleo")
    api(desk, "POST", f"/handoffs/{handoff_id}/resolve", "Cleo")


def test_a_lead_forgets_a_customer_from_the_desk_page_after_confirming(desk, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    sender = "accounts-browser-forget"
    handoff_id = handed_over(desk, sender, name="Vic")
    desk.say(sender, "my violet teapot went missing")
    sign_in(desk, browser, "Ann", "Ann (lead)")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff_id}"]'))[0].click()
    forget = wait_for(browser, lambda d: d.find_element(By.ID, "forget") if d.find_element(By.ID, "forget").is_displayed() else None)
    forget.click()
    alert = wait_for(browser, lambda d: d.switch_to.alert)
    assert "Forget Vic?" in alert.text and "cannot be undone" in alert.text
    alert.dismiss()  # changed their mind: nothing happens
    time.sleep(1)
    assert api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").status_code == 200
    browser.find_element(By.ID, "forget").click()
    wait_for(browser, lambda d: d.switch_to.alert).accept()
    gone = wait_for(browser, lambda d: d.find_elements(By.ID, "gone"))[0]
    assert gone.text.startswith("Erased ") and "about Vic" in gone.text
    answer = api(desk, "GET", f"/handoffs/{handoff_id}", "Bob")
    assert answer.status_code == 410 and "by Ann" in answer.json()["error"]
    assert "violet teapot" not in str(desk.tracker(sender))
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff_id}"]'))


UK_TIME = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d{2}:\d{2}"


def test_the_desk_reads_at_a_glance_in_the_teams_time_with_answers_rendered(desk, browser) -> None:  # noqa: F811
    import re
    from zoneinfo import ZoneInfo

    from selenium.webdriver.common.by import By

    from bot.handoff import local_time

    sender = "accounts-browser-glance"
    desk.say(sender, "hi", name="Mo")
    desk.say(sender, "When is customer service open?")
    desk.say(sender, "thanks. I want to talk to a human")
    handoff_id = next(h["id"] for h in api(desk, "GET", "/handoffs", "Ann").json()["handoffs"]
                      if api(desk, "GET", f"/handoffs/{h['id']}", "Ann").json()["summary"]["conversation_id"] == sender)
    browser.set_window_size(900, 560)
    sign_in(desk, browser, "Ann")
    item = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue li[data-id="{handoff_id}"]'))[0]
    assert item.find_element(By.CSS_SELECTOR, ".preview").text == "When is customer service open?"
    assert re.fullmatch(r"waiting \d+ (s|min)", item.find_element(By.CSS_SELECTOR, ".waited").text)
    item.click()

    glance = [wait_for(browser, lambda d: d.find_elements(By.ID, "glance-status"))[0], browser.find_element(By.ID, "glance-mood")]
    assert glance[0].text == "Status: waiting" and glance[1].text.startswith("Mood: ")
    browser.execute_script("const s = document.getElementById('summary'); s.scrollTop = s.scrollHeight;")
    for element in glance:  # in sight without scrolling the page, and while the summary is scrolled
        assert browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(), s = document.getElementById('summary').getBoundingClientRect();"
            "return r.height > 0 && r.top >= s.top - 1 && r.bottom <= Math.min(s.bottom, window.innerHeight) + 1;", element)

    summary = api(desk, "GET", f"/handoffs/{handoff_id}", "Ann").json()["summary"]
    london = ZoneInfo("Europe/London")
    started = next(d for d in browser.find_elements(By.CSS_SELECTOR, "#summary dt") if d.text == "Started")
    started_text = started.find_element(By.XPATH, "following-sibling::dd[1]").text
    assert re.match(UK_TIME + r" · handed over " + UK_TIME, started_text)
    assert started_text.startswith(local_time(summary["started_at"], london))
    who = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#transcript .who")]
    assert who and all(re.fullmatch(r"(customer|bot|agent|system|\w+) · " + UK_TIME, w) for w in who)

    transcript = browser.find_element(By.ID, "transcript")
    assert "Monday to Friday:" in [e.text for e in transcript.find_elements(By.CSS_SELECTOR, ".msg.bot strong")]
    assert "**" not in transcript.text
    assert transcript.find_elements(By.CSS_SELECTOR, '.msg.bot a[href="mailto:support@s-club.example"]')


def test_a_web_chat_customer_sees_the_agent_by_name_and_rates_with_the_survey_buttons(desk, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    from tests.integration.test_webchat_browser import bot_messages, conversation_id

    browser.get(f"{desk.url}/webhooks/webchat/")
    browser.find_element(By.ID, "name").send_keys("Lia")
    browser.find_element(By.ID, "text").send_keys("I want to talk to a human\n")
    wait_for(browser, lambda d: any("person" in m for m in bot_messages(d)))
    sender = conversation_id(browser)
    handoff_id = wait_for(browser, lambda d: next(
        (h["id"] for h in api(desk, "GET", "/handoffs", "Ann").json()["handoffs"]
         if api(desk, "GET", f"/handoffs/{h['id']}", "Ann").json()["summary"]["conversation_id"] == sender), None))
    assert api(desk, "POST", f"/handoffs/{handoff_id}/claim", "Rev").status_code == 200
    assert api(desk, "POST", f"/handoffs/{handoff_id}/messages", "Rev", json={"text": "Hi Lia, Rev here."}).status_code == 201
    message = wait_for(browser, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, ".msg.agent") if "Rev here" in e.text])[0]
    assert message.find_element(By.CSS_SELECTOR, ".who").text == "Rev"

    assert api(desk, "POST", f"/handoffs/{handoff_id}/resolve", "Rev").status_code == 200
    scale = wait_for(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".buttons button") if b.is_enabled()])
    assert [b.text for b in scale] == ["1", "2", "3", "4", "5"]  # the survey that arrived by polling keeps its buttons
    browser.refresh()  # a reload offers the unanswered question's buttons again
    scale = wait_for(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".buttons button") if b.is_enabled()])
    assert [b.text for b in scale] == ["1", "2", "3", "4", "5"]
    scale[3].click()
    wait_for(browser, lambda d: next((e.get("value") for e in desk.tracker(sender)["events"]
                                      if e["event"] == "slot" and e["name"] == "csat" and e.get("value") is not None), None) == 4)
    assert not any(b.is_enabled() for b in scale)  # answered: that row is stale now
