"""A fake Twilio REST API on 127.0.0.1 (port 0): records Messages.json calls and can fail on purpose.

Speaks the real wire format: POST /2010-04-01/Accounts/{AccountSid}/Messages.json
with form fields To, From, Body, StatusCallback and HTTP basic auth; answers
201 with a Message resource, or Twilio's error shape {"code", "message", "status"}.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.fakes import LoopbackAPI


class FakeTwilioAPI(LoopbackAPI):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict] = []  # accepted messages
        self.attempts: list[dict] = []
        self.faults: list[int] = []
        self._lock = threading.Lock()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self.faults.extend([status] * count)

    def sent_to(self, to: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["To"] == to]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        expected_auth = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        with self._lock:
            self.attempts.append(fields)
            fault = self.faults.pop(0) if self.faults else None
        if handler.headers.get("Authorization") != expected_auth:
            return self.reply(handler, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        if handler.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return self.reply(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
        if fault is not None:
            return self.reply(handler, fault, {"code": 20000 + fault, "message": "Service unavailable", "status": fault})
        sid = "SM" + uuid.uuid4().hex
        message = dict(fields, sid=sid)
        with self._lock:
            self.messages.append(message)
        self.reply(handler, 201, {
            "sid": sid, "account_sid": self.account_sid, "to": fields.get("To"), "from": fields.get("From"),
            "body": fields.get("Body"), "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), "api_version": "2010-04-01",
        })
