"""A helpdesk's webhook endpoint on 127.0.0.1 (port 0): records each POST's headers and raw body."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fakes import LoopbackAPI


@dataclass
class Delivery:
    path: str
    headers: dict
    body: bytes


class FakeWebhookReceiver(LoopbackAPI):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[Delivery] = []
        self.failures_left = 0  # answer 503 to this many requests first
        self._lock = threading.Lock()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._lock:
            failing = self.failures_left > 0
            if failing:
                self.failures_left -= 1
            else:
                self.deliveries.append(Delivery(handler.path, dict(handler.headers), body))
        self.reply(handler, 503 if failing else 200, {"ok": not failing})
