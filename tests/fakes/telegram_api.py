"""A fake Telegram Bot API on 127.0.0.1 (port 0) that records calls and can fail on purpose.

Speaks the real wire format: POST /bot<token>/<method> with form or JSON
parameters; answers {"ok": true, "result": ...} or Telegram's error shape
({"ok": false, "error_code", "description", "parameters": {"retry_after"}}).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.fakes import LoopbackAPI


@dataclass
class Call:
    method: str
    params: dict
    at: float = field(default_factory=time.time)
    message_id: int | None = None  # what sendMessage answered (agents reply to it)


class FakeTelegramAPI(LoopbackAPI):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []  # successful calls only
        self.attempts: list[Call] = []  # every request, including the failed ones
        self.faults: list[tuple[int, dict]] = []  # (status, body) answered to the next requests, in order
        self._lock = threading.Lock()
        self._message_id = 1000

    def fail_next(self, count: int, status: int = 500, retry_after: int | None = None) -> None:
        body = {"ok": False, "error_code": status, "description": "Internal Server Error" if status >= 500 else "Too Many Requests"}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        with self._lock:
            self.faults.extend([(status, body)] * count)

    def sent_to(self, chat_id: int) -> list[dict]:
        with self._lock:
            return [c.params for c in self.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id]

    def _params(self, handler: BaseHTTPRequestHandler) -> dict:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        kind = handler.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return json.loads(raw or b"{}")
        params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        for key, value in params.items():
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
        return params

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        _, bot_token, method = handler.path.split("/", 2)
        params = self._params(handler)
        call = Call(method, params)
        with self._lock:
            self.attempts.append(call)
            fault = self.faults.pop(0) if self.faults else None
            if fault is None and bot_token == f"bot{self.token}":
                self.calls.append(call)
                self._message_id += 1
                message_id = call.message_id = self._message_id
        if fault is not None:
            status, body = fault
        elif bot_token != f"bot{self.token}":
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif method == "sendMessage":
            status, body = 200, {"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": int(params["chat_id"]), "type": "private"}}}
        else:
            status, body = 200, {"ok": True, "result": True}
        self.reply(handler, status, body)
