"""Start the real assistant (`frontdesk run`: Rasa server + action server) for tests.

The model comes from the project's `.state/models` (trained by `make train`
before pytest runs); everything else (tracker database, logs) goes to a
temporary state folder. The servers listen on 127.0.0.1 on free ports and are
stopped with SIGTERM at the end, as an operator's Ctrl-C would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import PROJECT_DIR

STARTUP_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Visitor:
    """A web chat or REST visitor: a session from POST /webhooks/rest/session, sent with every request."""

    url: str
    conversation_id: str
    headers: dict[str, str]

    def say(self, text: str, **metadata) -> list[dict]:
        reply = httpx.post(f"{self.url}/webhooks/rest/webhook", json={"message": text, "metadata": metadata},
                           headers=self.headers, timeout=60)
        reply.raise_for_status()
        return reply.json()

    def poll(self, since: int | None = None) -> dict:
        reply = httpx.get(f"{self.url}/webhooks/rest/messages", params={"since": since} if since is not None else None,
                          headers=self.headers, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def history(self) -> dict:
        reply = httpx.get(f"{self.url}/webhooks/rest/history", headers=self.headers, timeout=30)
        reply.raise_for_status()
        return reply.json()


@dataclass
class RunningAssistant:
    process: subprocess.Popen
    url: str
    token: str
    state_dir: Path
    output: Path
    knowledge_base: Path
    actions_url: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        """The operator's header: any sender, any channel (tests that play a visitor use a session instead)."""
        return {"Authorization": f"Bearer {self.token}"}

    def say(self, sender: str, text: str, **metadata) -> list[dict]:
        reply = httpx.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata},
            headers=self.bearer,
            timeout=60,
        )
        reply.raise_for_status()
        return reply.json()

    def visitor(self, channel: str = "rest") -> Visitor:
        reply = httpx.post(f"{self.url}/webhooks/rest/session", json={"channel": channel}, timeout=30)
        assert reply.status_code == 201, reply.text
        session = reply.json()
        return Visitor(self.url, session["conversation_id"], {session["header"]: session["session"]})

    def tracker(self, sender: str) -> dict:
        reply = httpx.get(f"{self.url}/conversations/{sender}/tracker", params={"token": self.token}, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def children(self) -> list[int]:
        return child_pids(self.process.pid)

    def server_pids(self) -> dict[str, int]:
        """{'actions': pid, 'rasa': pid} from the children's command lines."""
        found = {}
        for pid in self.children():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            found["actions" if b"bot.ops.action_server" in cmdline else "rasa"] = pid
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def private_knowledge_base(tmp_dir: Path) -> Path:
    """A copy of the starter knowledge base and an assistant.yml pointing at it, for tests that edit it."""
    kb = tmp_dir / "knowledge_base"
    shutil.copytree(PROJECT_DIR / "knowledge_base", kb, dirs_exist_ok=True)  # a restart may reuse the folder
    settings = yaml.safe_load((PROJECT_DIR / "assistant.yml").read_text())
    settings["knowledge_base"].update(folder=str(kb), reload_interval_s=0.5)
    path = tmp_dir / "assistant.yml"
    path.write_text(yaml.safe_dump(settings))
    return path


def start_assistant(tmp_dir: Path, extra_env: dict[str, str] | None = None) -> RunningAssistant:
    rasa_port, actions_port = free_port(), free_port()
    token = "test-token-" + os.urandom(6).hex()
    env = dict(os.environ)
    env.update(
        {
            "FRONTDESK_STATE_DIR": str(tmp_dir / "state"),
            "FRONTDESK_MODELS_DIR": str(PROJECT_DIR / ".state" / "models"),
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(actions_port),
            "RASA_API_TOKEN": token,
            "HF_HUB_OFFLINE": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "ASSISTANT_FILE": str(private_knowledge_base(tmp_dir)),
        }
    )
    env.update(extra_env or {})
    output = tmp_dir / "frontdesk-run.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.cli", "run"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=open(output, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assistant = RunningAssistant(process, f"http://127.0.0.1:{rasa_port}", token, tmp_dir / "state", output,
                                 tmp_dir / "knowledge_base", f"http://127.0.0.1:{actions_port}")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while b"Frontdesk is running." not in output.read_bytes():
        if process.poll() is not None:
            raise RuntimeError(f"frontdesk run exited with {process.returncode}:\n{output.read_text()}")
        if time.monotonic() > deadline:
            assistant.stop()
            raise RuntimeError(f"frontdesk run did not start in {STARTUP_TIMEOUT_S} s:\n{output.read_text()}")
        time.sleep(0.5)
    return assistant


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    running = start_assistant(tmp_path_factory.mktemp("assistant"))
    yield running
    running.stop()
