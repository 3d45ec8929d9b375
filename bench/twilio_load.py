"""Signed Twilio SMS webhooks from many concurrent conversations: acknowledgement latency and delivery.

    python bench/twilio_load.py                               # this tree, one run (aiohttp load generator)
    python bench/twilio_load.py --client httpx --client aiohttp --rounds 2   # the load generator's own cost
    python bench/twilio_load.py --before f446ac7 --rounds 2   # A B A B: the code at a commit vs this tree
    python bench/twilio_load.py --variant thread --variant loop:FRONTDESK_TURN_THREAD=0 --rounds 2

Starts a fake Twilio REST API on loopback and the real assistant (Rasa server
+ action server, `frontdesk run`) configured for SMS against it. Each
conversation posts a signed webhook, waits until its reply reached the fake
API, then sends its next turn. Per run: acknowledgement p50/p99 (webhook POST
-> empty TwiML), the server's own handler time from its Server-Timing header
(the rest of an acknowledgement is waiting), reply latency (POST -> reply at
the fake API), and whether every reply was delivered exactly once.

Variants (`--variant NAME[:VAR=VALUE,...]`, `--before REF`) run interleaved,
round by round, so machine noise hits them alike; the last line printed is one
JSON summary: per variant the medians over rounds, and the ratio to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import tests.integration.conftest as assistant_runner  # noqa: E402
from tests.fakes.twilio_api import FakeTwilioAPI  # noqa: E402

SID, TOKEN, PUBLIC, NUMBER = "AC" + "0" * 32, "bench-token", "https://bench.example", "+15005550006"
TURNS = ["hi", "how do I reset my password", "what time do you open on sunday", "thanks", "bye"]
PROJECT_DIR = Path(__file__).resolve().parent.parent


def percentile(values: list[float], p: float) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 1) if values else None


def handler_ms(header: str) -> float | None:
    """The `total` duration of a Server-Timing header, in ms."""
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name == "total" and rest:
            return float(rest)
    return None


class Replies:
    """Counts the replies at the fake API per customer with one poll every 20 ms for all conversations
    (50 conversations polling on their own kept the bench's loop busy and inflated its ack figures)."""

    def __init__(self, api: FakeTwilioAPI) -> None:
        self.api = api
        self.changed = asyncio.Condition()
        self.counts: dict[str, int] = {}

    async def watch(self) -> None:
        seen = 0
        while True:
            await asyncio.sleep(0.02)
            messages = list(self.api.messages)
            if len(messages) != seen:
                seen = len(messages)
                counts: dict[str, int] = {}
                for message in messages:
                    counts[message["To"]] = counts.get(message["To"], 0) + 1
                async with self.changed:
                    self.counts = counts
                    self.changed.notify_all()

    async def wait_for_more(self, customer: str, than: int, timeout: float = 120) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.counts.get(customer, 0) > than), timeout)


async def conversation(client: "Client", base: str, replies_seen: Replies, index: int, turns: int,
                       acks: list[float], handlers: list[float], replies: list[float], later_acks: list[float]) -> None:
    customer = f"+1555{index:07d}"
    path = "/webhooks/sms/webhook"
    for turn in range(turns):
        fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": SID, "From": customer, "To": NUMBER,
                  "Body": TURNS[turn % len(TURNS)], "NumMedia": "0"}
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, fields)
        before = replies_seen.counts.get(customer, 0)
        started = time.perf_counter()
        status, timing = await client.post(base + path, urlencode(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        acks.append((time.perf_counter() - started) * 1000)
        if turn > 0:  # the first turns arrive as one burst of 50 new connections at a cold server
            later_acks.append(acks[-1])
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        spent = handler_ms(timing)
        if spent is not None:
            handlers.append(spent)
        await replies_seen.wait_for_more(customer, before)
        replies.append((time.perf_counter() - started) * 1000)


class Client:
    """POSTs a body and returns (status, Server-Timing header), with httpx or aiohttp.

    The load generator shares the 2 cores with the server, so its own cost per request is part of every
    acknowledgement it measures: httpx spends a few ms of CPU per request, aiohttp (what Rasa's own
    server stack uses) less; `--client` compares them."""

    def __init__(self, kind: str, connections: int) -> None:
        self.kind = kind
        self.connections = connections

    async def __aenter__(self) -> "Client":
        if self.kind == "httpx":
            self.session = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=self.connections))
        else:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                                 connector=aiohttp.TCPConnector(limit=self.connections))
        return self

    async def __aexit__(self, *exc) -> None:
        await (self.session.aclose() if self.kind == "httpx" else self.session.close())

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        if self.kind == "httpx":
            response = await self.session.post(url, content=body, headers=headers)
            return response.status_code, response.headers.get("Server-Timing", "")
        async with self.session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status, response.headers.get("Server-Timing", "")


def checkout(ref: str, into: Path) -> Path:
    """The project at git `ref`, with this tree's venv and trained models linked in."""
    archive = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / ".venv").symlink_to(PROJECT_DIR / ".venv")
    (into / ".state").mkdir(exist_ok=True)
    (into / ".state" / "models").symlink_to(PROJECT_DIR / ".state" / "models")
    return into


async def one_run(tree: Path, env: dict[str, str], conversations: int, turns: int, client_kind: str) -> dict:
    assistant_runner.PROJECT_DIR = tree  # start_assistant runs `python -m bot.ops.cli run` in this tree
    with FakeTwilioAPI(SID, TOKEN) as api, tempfile.TemporaryDirectory() as tmp:
        assistant = assistant_runner.start_assistant(Path(tmp), {
            "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_SMS_NUMBER": NUMBER,
            "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": api.url, "PYTHONPATH": str(tree), **env})
        try:
            acks: list[float] = []
            handlers: list[float] = []
            replies: list[float] = []
            later_acks: list[float] = []
            load = os.getloadavg()[0]
            replies_seen = Replies(api)
            watcher = asyncio.create_task(replies_seen.watch())
            async with Client(client_kind, conversations + 5) as client:
                started = time.perf_counter()
                await asyncio.gather(*(conversation(client, assistant.url, replies_seen, i, turns, acks, handlers, replies, later_acks)
                                       for i in range(conversations)))
                elapsed = time.perf_counter() - started
            watcher.cancel()
            await asyncio.sleep(2)  # anything sent twice would show up now
            expected = conversations * turns
            return {
                "client": client_kind, "conversations": conversations, "webhooks": len(acks),
                "ack_p50_ms": percentile(acks, 0.5), "ack_p99_ms": percentile(acks, 0.99),
                "later_turns_ack_p50_ms": percentile(later_acks, 0.5), "later_turns_ack_p99_ms": percentile(later_acks, 0.99),
                "handler_p50_ms": percentile(handlers, 0.5), "handler_p99_ms": percentile(handlers, 0.99),
                "reply_p50_ms": percentile(replies, 0.5), "reply_p99_ms": percentile(replies, 0.99),
                "replies_delivered": len(api.messages), "replies_expected": expected,
                "exactly_once": len(api.messages) == expected, "elapsed_s": round(elapsed, 1),
                "load_1min": round((load + os.getloadavg()[0]) / 2, 2),
            }
        finally:
            assistant.stop()


def parse_variant(spec: str) -> tuple[str, dict[str, str]]:
    name, _, assignments = spec.partition(":")
    env = dict(pair.split("=", 1) for pair in assignments.split(",") if pair)
    return name, env


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="run every variant this many times, interleaved")
    parser.add_argument("--before", metavar="REF", help="also run the code at this git commit, as variant 'before', first")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME[:VAR=VALUE,...]",
                        help="this tree with these environment variables (repeatable; default: 'after')")
    parser.add_argument("--client", action="append", choices=("aiohttp", "httpx"),
                        help="HTTP client of the load generator (repeatable: each variant runs with each; default aiohttp)")
    args = parser.parse_args()
    clients = args.client or ["aiohttp"]
    with tempfile.TemporaryDirectory() as tmp:
        variants = [(name, env, PROJECT_DIR) for name, env in map(parse_variant, args.variant or ["after"])]
        if args.before:
            variants.insert(0, ("before", {}, checkout(args.before, Path(tmp))))
        if len(clients) > 1:
            variants = [(f"{name}/{kind}", {**env, "_client": kind}, tree) for name, env, tree in variants for kind in clients]
        else:
            variants = [(name, {**env, "_client": clients[0]}, tree) for name, env, tree in variants]
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
        for round_number in range(args.rounds):
            for name, env, tree in variants:
                server_env = {key: value for key, value in env.items() if key != "_client"}
                try:
                    result = await one_run(tree, server_env, args.conversations, args.turns, env["_client"])
                except (httpx.HTTPError, aiohttp.ClientError, RuntimeError, asyncio.TimeoutError) as error:  # e.g. another process took the port
                    print(json.dumps({"round": round_number + 1, "variant": name, "error": repr(error)[:300]}), flush=True)
                    result = await one_run(tree, server_env, args.conversations, args.turns, env["_client"])
                runs[name].append(result)
                print(json.dumps({"round": round_number + 1, "variant": name, **result}), flush=True)
    keys = ("ack_p50_ms", "ack_p99_ms", "later_turns_ack_p50_ms", "later_turns_ack_p99_ms", "handler_p50_ms", "handler_p99_ms", "reply_p50_ms", "reply_p99_ms", "elapsed_s", "load_1min")
    summary: dict = {"conversations": args.conversations, "webhooks_per_run": args.conversations * args.turns,
                     "rounds": args.rounds, "variants": {}}
    for name, results in runs.items():
        medians = {key: round(statistics.median(r[key] for r in results), 1) for key in keys
                   if all(r[key] is not None for r in results)}  # the code before the inbox sends no Server-Timing
        medians["all_delivered_exactly_once"] = all(r["exactly_once"] for r in results)
        summary["variants"][name] = medians
    first = next(iter(summary["variants"].values()))
    for medians in list(summary["variants"].values())[1:]:
        medians["ack_p99_ratio_to_first"] = round(medians["ack_p99_ms"] / first["ack_p99_ms"], 2)
        medians["ack_p50_ratio_to_first"] = round(medians["ack_p50_ms"] / first["ack_p50_ms"], 2)
        medians["later_turns_ack_p99_ratio_to_first"] = round(
            medians["later_turns_ack_p99_ms"] / first["later_turns_ack_p99_ms"], 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
