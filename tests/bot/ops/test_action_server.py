"""The action server's edge: loopback by default, and only callers with the shared secret run actions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.ops.action_server import SECRET_HEADER, binding_warning, is_loopback
from tests.conftest import PROJECT_DIR
from tests.integration.conftest import free_port

SECRET = "s" * 32


def action_call(action: str, sender: str = "+15551199042") -> dict:
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": [], "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": None}}


def start(tmp_path: Path, host: str, secret: str | None = SECRET) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HF_HUB_OFFLINE": "1"}
    if secret is not None:
        env["ACTIONS_SECRET"] = secret
    log = tmp_path / f"actions-{port}.log"
    process = subprocess.Popen([sys.executable, "-m", "bot.ops.action_server", "--actions", "tests.fakes.echo_actions",
                                "--without-services", "--host", host, "--port", str(port)], cwd=PROJECT_DIR, env=env,
                               stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}", log


def wait_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"action server did not start:\n{log.read_text()}")


def listening_addresses(port: int) -> set[str]:
    """Local addresses of listening TCP sockets on `port`, from /proc/net/tcp (IPv4)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, url, log = start(tmp_path_factory.mktemp("actions"), "127.0.0.1")
    wait_up(process, url, log)
    yield url, log
    process.terminate()
    process.wait(20)


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong" * 8}, {SECRET_HEADER: ""},
                                     {"Authorization": f"Bearer {SECRET}"}])
def test_a_call_without_the_secret_gets_401_and_runs_no_action(server, headers) -> None:
    url, _ = server
    reply = httpx.post(f"{url}/webhook", json=action_call("action_echo"), headers=headers, timeout=10)
    assert reply.status_code == 401
    assert "ACTION" in reply.json()["error"].upper() and "echo" not in reply.text
    assert httpx.get(f"{url}/actions", headers=headers, timeout=10).status_code == 401


def test_the_rasa_server_with_the_secret_runs_actions(server) -> None:
    url, _ = server
    reply = httpx.post(f"{url}/webhook", json=action_call("action_echo"), headers={SECRET_HEADER: SECRET}, timeout=10)
    assert reply.status_code == 200
    assert reply.json()["responses"][0]["text"] == "echo +15551199042"
    assert httpx.get(f"{url}/health", timeout=10).json() == {"status": "ok"}


def test_a_failing_action_answers_500_without_echoing_the_conversation(server) -> None:
    url, log = server
    reply = httpx.post(f"{url}/webhook", json=action_call("action_break"), headers={SECRET_HEADER: SECRET}, timeout=10)
    assert reply.status_code == 500
    assert "action_break" in reply.json()["error"] and "+15551199042" not in reply.text


def test_it_listens_on_loopback_only_by_default(server) -> None:
    url, _ = server
    assert listening_addresses(int(url.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_another_interface_is_allowed_with_a_warning(tmp_path) -> None:
    process, url, log = start(tmp_path, "0.0.0.0")
    try:
        wait_up(process, url, log)
        assert "WARNING: the action server listens on 0.0.0.0" in log.read_text()
        assert listening_addresses(int(url.rsplit(":", 1)[1])) == {"0.0.0.0"}
        reply = httpx.post(f"{url}/webhook", json=action_call("action_echo"), timeout=10)
        assert reply.status_code == 401
    finally:
        process.terminate()
        process.wait(20)


def test_without_a_secret_it_refuses_to_start(tmp_path) -> None:
    process, url, log = start(tmp_path, "127.0.0.1", secret=None)
    assert process.wait(60) == 1
    assert "ACTIONS_SECRET is not set" in log.read_text()


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.0.0.53", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("::", False),
                                            ("10.0.0.5", False), ("actions.internal", False)])
def test_loopback_is_recognised(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (binding_warning(host) is None) is loopback
