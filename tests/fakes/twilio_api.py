"""A fake Twilio REST API on 127.0.0.1 (port 0): records Messages.json calls and can fail on purpose.

Speaks the real wire format: POST /2010-04-01/Accounts/{AccountSid}/Messages.json
with form fields To, From, Body (or ContentSid + ContentVariables), StatusCallback and HTTP basic auth;
answers 201 with a Message resource, or Twilio's error shape {"code", "message", "more_info", "status"}.

With `whatsapp_window_s`, it keeps WhatsApp's customer-service window as Twilio does: a free-form message
(Body) to a `whatsapp:` number whose last inbound message (`customer_wrote`) is older than the window, or
who never wrote, is refused with 400 and code 63016; a template (ContentSid `HX` + 32 hex, ContentVariables
a JSON object of strings) is accepted whenever. A ContentSid it does not know (`templates`, when given) is
refused with 63027, as Twilio refuses a template that does not exist or is not approved.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.fakes import LoopbackAPI


class FakeTwilioAPI(LoopbackAPI):
    def __init__(self, account_sid: str, auth_token: str, whatsapp_window_s: float | None = None,
                 templates: set[str] | None = None) -> None:
        super().__init__()
        self.whatsapp_window_s = whatsapp_window_s
        self.templates = templates
        self.inbound: dict[str, float] = {}  # whatsapp:+... -> when the customer last wrote
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict] = []  # accepted messages
        self.attempts: list[dict] = []
        self.faults: list[int] = []
        self._lock = threading.Lock()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self.faults.extend([status] * count)

    def customer_wrote(self, number: str, at: float | None = None) -> None:
        """The customer `number` (whatsapp:+...) wrote to us: their window is open for `whatsapp_window_s`."""
        with self._lock:
            self.inbound[number] = time.time() if at is None else at

    def refused(self, to: str) -> list[dict]:
        """Attempts to `to` that Twilio refused for the window or a template."""
        with self._lock:
            return [a for a in self.attempts if a.get("To") == to and a.get("_refused")]

    def _window_error(self, fields: dict) -> tuple[int, str] | None:
        """(code, message) when Twilio would refuse this WhatsApp message for the window or its template."""
        to = fields.get("To", "")
        if "ContentSid" in fields:
            if not re.fullmatch(r"HX[0-9a-fA-F]{32}", fields["ContentSid"]):
                return 21655, "The ContentSid is Invalid"
            if self.templates is not None and fields["ContentSid"] not in self.templates:
                return 63027, "Template does not exist for a language and locale"
            try:
                variables = json.loads(fields.get("ContentVariables") or "{}")
            except json.JSONDecodeError:
                variables = None
            if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
                return 21656, "The ContentVariables Parameter is invalid"
            return None
        if self.whatsapp_window_s is None or not to.startswith("whatsapp:"):
            return None
        with self._lock:
            last = self.inbound.get(to)
        if last is None or time.time() - last >= self.whatsapp_window_s:
            return 63016, ("Failed to send freeform message because you are outside the allowed window. "
                           "If you are using WhatsApp, please use a Message Template.")
        return None

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
        if (refusal := self._window_error(fields)) is not None:
            code, text = refusal
            with self._lock:
                fields["_refused"] = code
            return self.reply(handler, 400, {"code": code, "message": text, "status": 400,
                                             "more_info": f"https://www.twilio.com/docs/errors/{code}"})
        sid = "SM" + uuid.uuid4().hex
        message = dict(fields, sid=sid)
        with self._lock:
            self.messages.append(message)
        self.reply(handler, 201, {
            "sid": sid, "account_sid": self.account_sid, "to": fields.get("To"), "from": fields.get("From"),
            "body": fields.get("Body"), "status": "queued", "content_sid": fields.get("ContentSid"), "num_segments": "1", "direction": "outbound-api",
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), "api_version": "2010-04-01",
        })
