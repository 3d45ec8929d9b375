"""Run the action server (ACTION_SERVERS of them, sharing one port) and the Rasa server as one supervised unit.

Both run as child processes in their own process groups. Ctrl-C or SIGTERM
stops both; if either dies, the other is stopped and `run()` returns
non-zero. On Linux the children also get SIGTERM if the supervisor itself is
killed, so nothing is left behind. Children's output goes to
`<state>/logs/{actions,rasa}.log` (`actions-2.log`, ... for further action servers); the tail is printed
when one fails. Before anything starts, the database is upgraded (bot/messaging/schema.py), REDIS_URL is
checked, and this instance is registered among those on the database (bot/messaging/instances.py).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.ops.action_server import binding_warning
from bot.ops.channels_config import crm_line, desk_line, retention_line, write_credentials
from bot.errors import SetupError
from bot.messaging import session_key
from bot.messaging.instances import Instance, register
from bot.messaging.schema import shown, upgrade_database
from bot.messaging.store import pooled_engine
from bot.config import Settings
from bot.responses import open_responses
from bot.ops.training import ensure_trained

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 240
STOP_TIMEOUT_S = 15
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def check_port_free(host: str, port: int, variable: str) -> None:
    """Raise SetupError naming `variable` when `host:port` cannot be bound."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers bind: connections of a previous run in TIME_WAIT (a restart) do not count, a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise SetupError(
                f"port {port} on {host} is already in use (is another `make run` running?): "
                f"stop that process or set {variable} to a free port"
            ) from None


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment both servers get: ports, the action server's address and secret, database URL, offline
    model loading, and the Rasa API token of this run (generated or not), which the REST channel checks
    operators' requests against. The rest is the environment the settings were read from (with .env)."""
    env = dict(settings.env)
    env.update(
        {
            "ACTIONS_PORT": str(settings.actions_port),
            "ACTIONS_HOST": settings.actions_host,
            "ACTIONS_CONNECT_HOST": settings.actions_connect_host,
            "ACTIONS_SECRET": settings.actions_secret,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,  # endpoints.yml's lock_store; empty: the in-process lock
            "FRONTDESK_STATE_DIR": str(settings.state_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            "RASA_API_TOKEN": settings.rasa_api_token,
        }
    )
    return env


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def _start(name: str, cmd: list[str], settings: Settings, env: dict[str, str]) -> Child:
    log_path = settings.state_dir / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    process = subprocess.Popen(
        cmd,
        cwd=settings.project_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    log.close()
    return Child(name, process, log_path)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):  # noqa: ARG001 - signal handler signature
    raise _Stop(signal.Signals(signum).name)


def run(settings: Settings, echo=print) -> int:
    """Train if needed, start both servers, and supervise them until stopped.

    Returns 0 after a requested stop (Ctrl-C, SIGTERM) and 1 when a server
    died or never became ready.
    """
    check_port_free(settings.host, settings.rasa_port, "RASA_PORT")
    check_port_free(settings.actions_host, settings.actions_port, "ACTIONS_PORT")
    warning = binding_warning(settings.actions_host)
    if warning:
        echo(warning)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    before, after = upgrade_database(settings.database_url)  # an unreachable database stops here: one line, exit 1
    if before != after:
        echo(f"Database {shown(settings.database_url)}: schema upgraded from {before or 'no revision'} to {after}")
    check_redis(settings)
    session_key(settings)  # made or checked before the servers start: a bad key file stops start-up with its reason
    open_responses(settings, reload_interval_s=None)  # likewise a catalogue with errors: path:line: message
    model = ensure_trained(settings, echo=echo)
    credentials, enabled = write_credentials(settings)
    env = child_environment(settings)
    python = sys.executable
    action_server = [python, "-m", "bot.ops.action_server", "--actions", "actions",
                     "--host", settings.actions_host, "--port", str(settings.actions_port)]
    if settings.action_servers > 1:  # ACTION_SERVERS: processes sharing the port (SO_REUSEPORT)
        action_server.append("--reuse-port")
    commands = {
        **{("actions" if n == 1 else f"actions-{n}"): action_server for n in range(1, settings.action_servers + 1)},
        "rasa": [
            python, "-m", "bot.ops.rasa_server", "run",
            "--model", str(model),
            "--endpoints", "endpoints.yml",
            "--credentials", str(credentials),
            # "--auth-token=T", not "--auth-token T": a generated token may start with "-", which argparse reads as an option
            "--enable-api", f"--auth-token={settings.rasa_api_token}",
            "--interface", settings.host, "--port", str(settings.rasa_port),
        ],
    }
    health = {
        "actions": f"http://{settings.actions_connect_host}:{settings.actions_port}/health",
        "rasa": f"{settings.rasa_url}/",
    }
    instance = join_instances(settings)  # several instances on one database need REDIS_URL: one line if not
    children: list[Child] = []
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name, cmd in commands.items():
            children.append(_start(name, cmd, settings, env))
        servers = "the action server" if settings.action_servers == 1 else f"{settings.action_servers} action servers"
        echo(f"Starting {servers} and the Rasa server (logs in {settings.state_dir / 'logs'}) ...")
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        pending = dict(health)
        while pending:
            for child in children:
                if child.process.poll() is not None:
                    echo(f"The {child.name} server exited during start-up (code {child.process.returncode}):")
                    echo(child.tail())
                    return 1
            for name in list(pending):
                if _ready(pending[name]):
                    del pending[name]
            if time.monotonic() > deadline:
                echo(f"Timed out after {STARTUP_TIMEOUT_S} s waiting for: {', '.join(pending)}")
                return 1
            time.sleep(0.5)
        _print_banner(settings, enabled, echo)
        while True:
            for child in children:
                code = child.process.poll()
                if code is not None:
                    echo(f"The {child.name} server stopped unexpectedly (code {code}); stopping the other.")
                    echo(child.tail())
                    return 1
            _renew(instance)
            time.sleep(0.5)
    except _Stop as stop:
        echo(f"Received {stop}; stopping both servers ...")
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _leave(instance)


def check_redis(settings: Settings) -> None:
    """SetupError with one line naming REDIS_URL (password hidden) when it is set and does not answer."""
    if settings.redis_url:
        from bot.messaging.lock_store import TurnLockStore  # imports Rasa: only when it is needed

        try:
            TurnLockStore(url=settings.redis_url).turn_lock.ping()
        except Exception as error:  # noqa: BLE001 - redis's errors, a bad URL: all one line
            raise SetupError(f"cannot reach Redis at {shown(settings.redis_url)}: {error}") from None


def join_instances(settings: Settings) -> Instance:
    """Register this instance on the database; SetupError when another live instance shares it and either
    lacks REDIS_URL."""
    engine = pooled_engine(settings.database_url, future=True)
    return register(engine, f"{settings.host}:{settings.rasa_port}", shared_lock=bool(settings.redis_url))


def _renew(instance: Instance) -> None:
    try:
        instance.renew()
    except Exception as error:  # noqa: BLE001 - the database may be away for a moment; the servers say so
        logger.warning("could not renew this instance's row: %s", type(error).__name__)


def _leave(instance: Instance) -> None:
    try:
        instance.leave()
    except Exception:  # noqa: BLE001 - it goes stale by itself
        pass


def _print_banner(settings: Settings, enabled: list[str], echo) -> None:
    base = settings.rasa_url
    if settings.api_token_generated:
        token = f"{settings.rasa_api_token} (generated for this run; set RASA_API_TOKEN to keep one)"
    else:
        token = "the value of RASA_API_TOKEN"
    echo("")
    echo("Frontdesk is running.")
    echo(f"  Web chat:      {base}/webhooks/webchat/")
    echo(f"  REST channel:  POST {base}/webhooks/rest/session, then /webhooks/rest/webhook with its X-Frontdesk-Session")
    echo(f"  Channels on:   {', '.join(name for name in enabled if name not in ('crm', 'retention', 'follow_up'))}")
    echo(f"  HubSpot CRM:   {crm_line(settings)}")
    echo(f"  Agent desk:    {desk_line(settings)}")
    echo(f"  Customer data: {retention_line(settings)}")
    echo(f"  Rasa HTTP API: {base}/conversations/<id>/tracker?token=<RASA_API_TOKEN>")
    echo(f"  API token:     {token}")
    echo("  Terminal chat: make chat   |   Stop: Ctrl-C")
    echo("")
