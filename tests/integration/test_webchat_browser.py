"""The web chat page in a real browser (headless Chromium): a visitor types and is answered with their session,
an agent's reply arrives by polling, a reload shows the history, and text is never run as HTML."""

from __future__ import annotations

import shutil

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
