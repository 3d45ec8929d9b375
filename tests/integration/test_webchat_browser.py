"""The web chat page in a real browser (headless Chromium): a visitor types and is answered with their session,
a reload shows the history (with the buttons of a question not answered yet), text is never run as HTML, the
assistant's markdown is rendered safely (an entry's script or javascript: link never runs), an empty page is
welcomed, a typing indicator shows while the assistant works, and buttons stay in view and go stale once answered.
The agent's side (name, survey buttons by polling) is in test_agent_desk.py and test_handoff.py."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("browser tests need Chromium and its driver: apt-get install chromium chromium-driver (.ci/run does this)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=800,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def bot_messages(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".msg.bot")]


def wait_for(driver, condition, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def test_web_chat_greets_by_name_answers_and_offers_clickable_choices(assistant, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{assistant.url}/webhooks/webchat/")
    browser.find_element(By.ID, "name").send_keys("Ana")
    box = browser.find_element(By.ID, "text")
    box.send_keys("hello\n")
    wait_for(browser, lambda d: len(bot_messages(d)) >= 1)
    assert bot_messages(browser)[0].startswith("Hi Ana!")

    box.send_keys("I want to cancel\n")
    buttons = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".buttons button"))
    assert "Something else" in [b.text for b in buttons]
    next(b for b in buttons if b.text == "Cancel your membership").click()
    wait_for(browser, lambda d: any("30 days' notice" in m for m in bot_messages(d)))



def conversation_id(driver) -> str:
    return driver.execute_script("return JSON.parse(localStorage.getItem('frontdesk-session')).conversation_id")


def log_texts(driver) -> list[tuple[str, str]]:
    """Every message in the page's log, as (class, text), in order."""
    from selenium.webdriver.common.by import By

    return [(e.get_attribute("class"), e.text) for e in driver.find_elements(By.CSS_SELECTOR, "#log .msg")]


HTML_LOOKALIKE = "<script>window.__x=1</script><b>bold</b>"


def test_web_chat_keeps_its_session_over_a_reload_and_shows_html_as_text(assistant, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{assistant.url}/webhooks/webchat/")
    box = browser.find_element(By.ID, "text")
    box.send_keys(HTML_LOOKALIKE + "\n")
    wait_for(browser, lambda d: len(bot_messages(d)) >= 1)
    sender = conversation_id(browser)
    assert sender.startswith("webchat:")
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".msg.user")] == [HTML_LOOKALIKE]
    assert browser.find_elements(By.CSS_SELECTOR, "#log b, #log script") == []
    assert browser.execute_script("return window.__x") is None
    assert [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"] == [HTML_LOOKALIKE]
    stranger = httpx.get(f"{assistant.url}/webhooks/rest/history", params={"sender": sender}, timeout=30)
    assert stranger.status_code == 401 and "bold" not in stranger.text

    box.send_keys("I want to cancel\n")
    wait_for(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".buttons button")
                                 if b.text == "Cancel your membership"])[0].click()
    wait_for(browser, lambda d: any("30 days' notice" in m for m in bot_messages(d)))
    before = log_texts(browser)

    browser.refresh()
    wait_for(browser, lambda d: len(log_texts(d)) >= len(before))
    assert conversation_id(browser) == sender  # the same conversation after the reload
    assert log_texts(browser) == before  # its history in order: the clicked button shows as its title
    assert browser.find_elements(By.CSS_SELECTOR, "#log b, #log script") == []
    assert browser.execute_script("return window.__x") is None
    browser.find_element(By.ID, "text").send_keys("thanks\n")
    wait_for(browser, lambda d: len(bot_messages(d)) > len([m for m in before if "bot" in m[0]]))
    assert [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"][-1] == "thanks"


HOSTILE_ENTRY = """---
title: Trampoline park
questions:
  - Do you have a trampoline park?
  - Can I book the trampolines?
  - Is there a trampoline zone at S-Club?
paraphrase: "you'd like to know about the trampoline park"
sms: "Our trampoline park is open at weekends."
tags:
  - trampolines
---

The **trampoline park** is open at weekends. <script>window.__entry=1</script><img src=x onerror="window.__img=1">
Book on [our website](https://www.s-club.example/trampolines) or [here](javascript:window.__js=1).
"""


def answered_by_the_new_entry(assistant) -> bool:
    return any("trampoline park" in (m.get("text") or "") for m in assistant.say("kb-reload-probe", "Do you have a trampoline park?"))


def log_has(driver, css: str) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#log " + css)


def test_web_chat_renders_answers_markdown_safely_with_a_welcome_and_a_typing_indicator(assistant, browser) -> None:
    from selenium.webdriver.common.by import By

    entry = assistant.knowledge_base / "facilities" / "trampoline_park.md"
    entry.write_text(HOSTILE_ENTRY)
    try:
        wait_for(browser, lambda d: answered_by_the_new_entry(assistant), timeout=60)
        browser.get(f"{assistant.url}/webhooks/webchat/")
        welcome = browser.find_element(By.ID, "welcome")
        assert welcome.is_displayed() and "S-Club" in welcome.text and "{company}" not in welcome.text
        browser.execute_script(
            "window.__typing = false; new MutationObserver(() => { if (document.getElementById('typing')) "
            "window.__typing = true; }).observe(document.getElementById('log'), {childList: true});")
        box = browser.find_element(By.ID, "text")
        box.send_keys("When is customer service open?\n")
        wait_for(browser, lambda d: any("Monday to Friday" in m for m in bot_messages(d)))
        assert browser.execute_script("return window.__typing") is True  # shown while the assistant worked
        assert log_has(browser, "#typing") == [] and not welcome.is_displayed()
        assert "Monday to Friday:" in [e.text for e in log_has(browser, ".msg.bot strong")]
        assert not any("**" in m for m in bot_messages(browser))
        [mail] = log_has(browser, '.msg.bot a[href="mailto:support@s-club.example"]')
        assert mail.get_attribute("target") == "_blank" and "noopener" in mail.get_attribute("rel")

        box.send_keys("Do you have a trampoline park?\n")
        wait_for(browser, lambda d: any("is open at weekends" in m for m in bot_messages(d)))
        answer = next(m for m in bot_messages(browser) if "is open at weekends" in m)
        assert "<script>window.__entry=1</script>" in answer  # shown as text, never run
        assert log_has(browser, "script") == [] and log_has(browser, "img") == []
        assert browser.execute_script("return [window.__entry, window.__img, window.__js]") == [None, None, None]
        assert [a.get_attribute("href") for a in log_has(browser, ".msg.bot a")][-1] == "https://www.s-club.example/trampolines"
        assert not [a for a in log_has(browser, "a") if not a.get_attribute("href").startswith(("https:", "mailto:"))]
        # The page told the server it is the web chat: the report counts it apart from rest.
        events = assistant.tracker(conversation_id(browser))["events"]
        assert {e["input_channel"] for e in events if e["event"] == "user"} == {"webchat"}
    finally:
        entry.unlink()


def in_view(driver, element) -> bool:
    """True when `element` is wholly inside the visible part of the conversation's log."""
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(), l = document.getElementById('log').getBoundingClientRect();"
        "return r.height > 0 && r.top >= l.top - 1 && r.bottom <= l.bottom + 1;", element)


def test_web_chat_buttons_are_in_view_disabled_once_answered_and_back_after_a_reload(assistant, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(800, 560)
    browser.get(f"{assistant.url}/webhooks/webchat/")
    box = browser.find_element(By.ID, "text")
    box.send_keys("What are your opening times on bank holidays?\n")
    wait_for(browser, lambda d: any("09:00" in m for m in bot_messages(d)))
    box.send_keys("I want to cancel\n")
    choice = wait_for(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".buttons button")
                                          if b.text == "Cancel your membership"])[0]
    time.sleep(0.3)
    assert in_view(browser, choice)  # the newest buttons, not half hidden under the input
    earlier = browser.find_elements(By.CSS_SELECTOR, ".buttons:not(:last-of-type) button")
    assert earlier and not any(b.is_enabled() for b in earlier)  # the answer's buttons went stale when she typed

    browser.refresh()
    choice = wait_for(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".buttons button")
                                          if b.text == "Cancel your membership"])[0]
    assert choice.is_enabled() and in_view(browser, choice)  # the pending question's buttons are offered again
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".buttons button")][-1] == "Something else"
    choice.click()
    wait_for(browser, lambda d: any("30 days' notice" in m for m in bot_messages(d)))
    clicked_row = [b for b in browser.find_elements(By.CSS_SELECTOR, ".buttons button") if b.text == "Cancel your membership"]
    assert clicked_row and not any(b.is_enabled() for b in clicked_row)
