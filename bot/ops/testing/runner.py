"""`frontdesk test-conversations`: play conversation files against the real assistant and report.

Each conversation talks to the REST channel under a fresh sender id; a step's
channel and profile name travel as `metadata.channel` / `metadata.name`, so the
turn is handled as that channel's (e.g. the SMS wording). Every message carries
`metadata.test`, so a handoff it opens is stored as a test (no agent is told, the desk's
queue leaves it out) and the service report leaves the conversation out, even when the
runner plays against a live assistant with `--url`. Choosing the sender
and playing another channel need the Rasa API token, sent as
`Authorization: Bearer`; slots and the paused state come from Rasa's tracker
API (`GET /conversations/<id>/tracker`, the same token).

Without a URL the runner starts the assistant itself (`python -m bot.ops.cli run`,
a temporary state folder, free ports, the trained model from the project's
models folder) and stops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

import httpx

from bot.errors import SetupError
from bot.config import Settings
from bot.ops.testing.conversations import Conversation, Reply, Step, check, find_files, load_file, needs_tracker

STARTUP_TIMEOUT_S = 300
READY_LINE = b"Frontdesk is running."


class AssistantClient:
    """The two HTTP calls a conversation test makes: send a message, read the tracker (both with the API token)."""

    def __init__(self, url: str, token: str, timeout_s: float = 60) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.http = httpx.Client(timeout=timeout_s)
        self.bearer = {"Authorization": f"Bearer {token}"}

    def say(self, sender: str, step: Step) -> list[dict]:
        metadata = {"channel": step.channel, "test": True}  # a test conversation: kept off the desk's queue and the report
        if step.profile_name:
            metadata["name"] = step.profile_name
        reply = self.http.post(f"{self.url}/webhooks/rest/webhook", headers=self.bearer,
                               json={"sender": sender, "message": step.say, "metadata": metadata})
        if reply.status_code != 200:
            raise StepError(f"the REST channel answered {reply.status_code}: {reply.text.strip()[:300]}")
        return reply.json()

    def restart(self, sender: str) -> None:
        """Forget the sender's earlier conversation (Rasa's `restart` event), so a fixed sender starts afresh."""
        reply = self.http.post(f"{self.url}/conversations/{sender}/tracker/events", params={"token": self.token},
                               json=[{"event": "restart"}])
        reply.raise_for_status()

    def tracker(self, sender: str) -> dict:
        reply = self.http.get(f"{self.url}/conversations/{sender}/tracker", params={"token": self.token})
        if reply.status_code != 200:
            raise StepError(f"the tracker API answered {reply.status_code} (is the token right?): {reply.text.strip()[:300]}")
        return reply.json()

    def close(self) -> None:
        self.http.close()


class StepError(Exception):
    """A step could not be played (HTTP error); reported as the step's failure."""


@dataclass
class Outcome:
    conversations: int = 0
    steps: int = 0
    failed: int = 0  # conversations with a failing step


def _transcript(lines: list[str]) -> str:
    return "\n".join(f"    {line}" for line in lines)


def _exchange_lines(step: Step, messages: list[dict]) -> list[str]:
    who = f"customer ({step.channel}{', ' + step.profile_name if step.profile_name else ''})"
    lines = [f"{who}: {step.say}"]
    if not messages:
        lines.append("assistant: (nothing)")
    for message in messages:
        text = str(message.get("text") or "").replace("\n", "\n               ")
        lines.append(f"assistant: {text}")
        buttons = message.get("buttons") or []
        if buttons:
            lines.append("  buttons: " + " | ".join(f"{b.get('title')} ({b.get('payload')})" for b in buttons))
    return lines


def play(conversation: Conversation, client: AssistantClient, out: TextIO) -> tuple[bool, int]:
    """Play one conversation under a fresh sender id; print the failing step. (passed, steps played)."""
    sender = conversation.sender or f"convtest-{uuid.uuid4().hex[:12]}"
    exchange: list[str] = []
    if conversation.sender:
        client.restart(sender)  # a fixed sender may have talked before (a running assistant): start afresh
    offered_before: list[str] | None = None  # what the previous step offered, for `picked`
    for number, step in enumerate(conversation.steps, start=1):
        messages: list[dict] = []
        try:
            messages = client.say(sender, step)
            reply = Reply(messages)
            if needs_tracker(step.expect):
                state = client.tracker(sender)
                reply = Reply(messages, state.get("slots") or {}, bool(state.get("paused")), offered_before)
            offered_before = list(reply.slots.get("kb_offered") or []) if "kb_offered" in step.expect else None
            failures = check(step.expect, reply)
        except (StepError, httpx.HTTPError, ValueError) as error:
            failures = [f"could not play the step: {error}"]
        exchange.extend(_exchange_lines(step, messages))
        if failures:
            print(f"FAIL {conversation.path}:{step.line}: {conversation.name!r}, step {number} (say: {step.say!r})",
                  file=out)
            for failure in failures:
                print(f"  - {failure}", file=out)
            print(f"  exchange so far (sender {sender}):", file=out)
            print(_transcript(exchange), file=out)
            print(file=out)
            return False, number
    return True, len(conversation.steps)


def run_files(paths: list[Path], client: AssistantClient, out: TextIO = sys.stdout) -> Outcome:
    """Play every conversation in `paths` (files or folders); print failures and a summary."""
    files = find_files(paths)
    conversations = [c for path in files for c in load_file(path)]  # a bad file stops the run before any talk
    outcome = Outcome()
    for conversation in conversations:
        passed, steps = play(conversation, client, out)
        outcome.conversations += 1
        outcome.steps += steps
        if not passed:
            outcome.failed += 1
        elif out.isatty():
            print(f"ok   {conversation.path}: {conversation.name}", file=out)
    verdict = "all passed" if not outcome.failed else f"{outcome.failed} failed"
    print(f"{outcome.conversations} conversation(s) in {len(files)} file(s), {outcome.steps} step(s) played: {verdict}",
          file=out)
    return outcome


# -- starting the assistant --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_assistant(settings: Settings, echo=print) -> Iterator[tuple[str, str]]:
    """Start `frontdesk run` on free ports with a temporary state folder; yield (url, token); stop it."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-conversations-") as tmp:
        rasa_port, actions_port = _free_port(), _free_port()
        token = secrets.token_urlsafe(18)
        env = dict(settings.env)
        env.update({
            "FRONTDESK_STATE_DIR": str(Path(tmp) / "state"),
            "FRONTDESK_MODELS_DIR": str(settings.models_dir),
            "DATABASE_URL": "",  # the temporary state folder's SQLite database
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(actions_port),
            "FRONTDESK_HOST": "127.0.0.1",
            "RASA_API_TOKEN": token,
            # The agent desk is on, as in a deployment, so conversations can be handed to a person.
            "AGENT_TOKEN": settings.handoff.agent_token or secrets.token_urlsafe(24),
            "HF_HUB_OFFLINE": "1",
            "RASA_TELEMETRY_ENABLED": "false",
        })
        log = Path(tmp) / "frontdesk-run.log"
        echo(f"Starting the assistant for the conversation tests (log: {log}) ...")
        with open(log, "wb") as output:
            process = subprocess.Popen([sys.executable, "-m", "bot.ops.cli", "run"], cwd=settings.project_dir, env=env,
                                       stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while READY_LINE not in log.read_bytes():
                if process.poll() is not None:
                    raise SetupError(f"the assistant exited during start-up (code {process.returncode}):\n"
                                     + "\n".join(log.read_text(errors="replace").splitlines()[-20:]))
                if time.monotonic() > deadline:
                    raise SetupError(f"the assistant did not start in {STARTUP_TIMEOUT_S} s (log: {log})")
                time.sleep(0.5)
            yield f"http://127.0.0.1:{rasa_port}", token
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # the supervisor stops both servers
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def run_command(paths: list[Path], url: str | None, token: str | None, settings: Settings,
                       out: TextIO = sys.stdout) -> int:
    """The command: 0 when every conversation passed, 1 otherwise."""
    for path in find_files(paths):  # report format errors before starting anything
        load_file(path)
    with contextlib.ExitStack() as stack:
        if url is None:
            url, token = stack.enter_context(running_assistant(settings, echo=lambda m: print(m, file=out)))
        elif not token:
            if settings.api_token_generated:
                raise SetupError("pass --token (or set RASA_API_TOKEN): the running assistant's Rasa API token, "
                                 "to play channels and read slots")
            token = settings.rasa_api_token
        client = AssistantClient(url, token)
        stack.callback(client.close)
        try:
            client.http.get(f"{client.url}/", timeout=10)
        except httpx.HTTPError as error:
            raise SetupError(f"no assistant answers at {url} ({type(error).__name__}): start it with `make run`") from None
        outcome = run_files(paths, client, out)
    return 1 if outcome.failed or not outcome.conversations else 0
