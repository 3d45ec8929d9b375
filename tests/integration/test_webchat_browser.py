"""The web chat page in a real browser (headless Chromium): a new user types and is answered."""

from __future__ import annotations

import shutil

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
