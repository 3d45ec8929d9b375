"""Signed Twilio SMS webhooks from many concurrent conversations: acknowledgement latency and delivery.

    python bench/twilio_load.py [--conversations 50] [--turns 4]

Starts a fake Twilio REST API on loopback and the real assistant (Rasa server
+ action server, `frontdesk run`) configured for SMS against it. Each
conversation posts a signed webhook, waits until its reply reached the fake
API, then sends its next turn. Prints acknowledgement p50/p99 (webhook POST ->
empty TwiML), reply latency p50/p99 (POST -> reply at the fake API), and
whether every reply was delivered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.twilio_api import FakeTwilioAPI  # noqa: E402
from tests.integration.conftest import start_assistant  # noqa: E402

SID, TOKEN, PUBLIC, NUMBER = "AC" + "0" * 32, "bench-token", "https://bench.example", "+15005550006"
TURNS = ["hi", "how do I reset my password", "what time do you open on sunday", "thanks", "bye"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 1)


async def conversation(client: httpx.AsyncClient, base: str, api: FakeTwilioAPI, index: int, turns: int,
                       acks: list[float], replies: list[float]) -> None:
    customer = f"+1555{index:07d}"
    path = "/webhooks/sms/webhook"
    for turn in range(turns):
        fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": SID, "From": customer, "To": NUMBER,
                  "Body": TURNS[turn % len(TURNS)], "NumMedia": "0"}
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, fields)
        before = len(api.sent_to(customer))
        started = time.perf_counter()
        response = await client.post(base + path, content=urlencode(fields).encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        acks.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        while len(api.sent_to(customer)) <= before:
            await asyncio.sleep(0.01)
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"no reply for {customer} turn {turn}")
        replies.append((time.perf_counter() - started) * 1000)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    with FakeTwilioAPI(SID, TOKEN) as api, tempfile.TemporaryDirectory() as tmp:
        assistant = start_assistant(Path(tmp), {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
                                                "TWILIO_SMS_NUMBER": NUMBER, "PUBLIC_BASE_URL": PUBLIC,
                                                "TWILIO_API_BASE": api.url})
        try:
            acks: list[float] = []
            replies: list[float] = []
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=args.conversations + 5)) as client:
                started = time.perf_counter()
                await asyncio.gather(*(conversation(client, assistant.url, api, i, args.turns, acks, replies)
                                       for i in range(args.conversations)))
                elapsed = time.perf_counter() - started
            await asyncio.sleep(2)  # anything sent twice would show up now
            expected = args.conversations * args.turns
            print(json.dumps({
                "conversations": args.conversations, "webhooks": len(acks),
                "ack_p50_ms": percentile(acks, 0.5), "ack_p99_ms": percentile(acks, 0.99),
                "reply_p50_ms": percentile(replies, 0.5), "reply_p99_ms": percentile(replies, 0.99),
                "replies_delivered": len(api.messages), "replies_expected": expected,
                "exactly_once": len(api.messages) == expected, "elapsed_s": round(elapsed, 1),
            }))
        finally:
            assistant.stop()


if __name__ == "__main__":
    asyncio.run(main())
