"""Set-up shared by the integration tests of handoffs and the agent desk: a team that is always in, agent
accounts made with the real `frontdesk agents add` command, signing an agent in on the desk page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.conftest import PROJECT_DIR


def always_open_assistant_file(tmp_dir: Path, unclaimed_after_s: int) -> str:
    """assistant.yml with the team in all day, every day, so the tests do not depend on the clock."""
    settings = yaml.safe_load((PROJECT_DIR / "assistant.yml").read_text())
    settings["knowledge_base"]["folder"] = str(PROJECT_DIR / "knowledge_base")
    settings["team"] = {"time_zone": "Europe/London", "hours": {day: "00:00-24:00" for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
        "holidays": [], "unclaimed_update_after_s": unclaimed_after_s}
    path = tmp_dir / "assistant-open.yml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def frontdesk(state_dir: Path, *argv: str) -> list[str]:
    """Run `frontdesk ...` on the database in `state_dir`; its output lines (the command must succeed)."""
    env = dict(os.environ, FRONTDESK_STATE_DIR=str(state_dir), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-m", "bot.ops.cli", *argv], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def add_agents(state_dir: Path, roles: dict[str, str]) -> dict[str, str]:
    """Create agents {name: role}; returns {name: token} (the last line `frontdesk agents add` prints)."""
    return {name: frontdesk(state_dir, "agents", "add", name, "--role", role)[-1] for name, role in roles.items()}


def wait_until(condition, timeout: float = 30, what: str = "condition"):
    """The first true value of `condition()`, polled every 0.2 s; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


def sign_in(running, browser, agent: str, shown: str | None = None) -> None:
    """Sign `agent` in on `running`'s desk page (a fresh session) by typing their token (`running.tokens`) into the
    login form; returns once the page names them: `shown` exactly (e.g. "Ann (lead)"), else a name starting so."""
    from selenium.webdriver.common.by import By

    from tests.integration.test_webchat_browser import wait_for

    def named(driver) -> bool:
        me = driver.find_elements(By.ID, "me")
        return bool(me) and (me[0].text == shown if shown else me[0].text.startswith(agent))

    browser.delete_all_cookies()
    browser.get(f"{running.url}/agent")
    browser.find_element(By.ID, "token").send_keys(running.tokens[agent])
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    wait_for(browser, named)
