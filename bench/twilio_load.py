"""Signed Twilio SMS webhooks from many concurrent conversations: acknowledgement latency and delivery.

    python bench/twilio_load.py                               # this tree, one run (aiohttp load generator)
    python bench/twilio_load.py --client httpx --client aiohttp --rounds 2   # the load generator's own cost
    python bench/twilio_load.py --before f446ac7 --rounds 2   # A B A B: the code at a commit vs this tree
    python bench/twilio_load.py --variant thread --variant loop:FRONTDESK_TURN_THREAD=0 --rounds 2
    python bench/twilio_load.py --script faq --rest --rounds 3   # SMS against REST, same FAQ questions, A B A B

Starts a fake Twilio REST API on loopback and the real assistant (Rasa server
+ action server, `frontdesk run`) configured for SMS against it. Each
conversation posts a signed webhook, waits until its reply reached the fake
API, then sends its next turn once its turn is done (the inbox row marked done, read
from the assistant's SQLite file, as a REST client gets the whole turn's reply).
Per run: acknowledgement p50/p99 (webhook POST -> empty TwiML), the server's own
handler time from its Server-Timing header (the rest of an acknowledgement is
waiting), reply latency (POST -> first reply at the fake API), turns per second,
where the time went (inbox wait, turn, outbox send, from the assistant's rows),
and whether every reply was delivered exactly once (the fake API got each stored
reply once, every message's turn is done).

`--rest` also runs variant `rest`: a fresh assistant given the same messages over
the REST channel (`POST /webhooks/rest/webhook`, one sender per conversation,
the same number at once, the same load generator), so channel turns/s can be
read against REST's on one machine in one run (`turns_per_s_ratio_to_rest`).
`--script faq` sends bench/rest_load.py's knowledge-base questions instead of
the default greeting-question-thanks turns.

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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rest_load import FAQ  # noqa: E402 - the REST benchmark's knowledge-base questions, for --script faq

SCRIPTS = {"default": TURNS, "faq": FAQ}
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
    """Counts the replies at the fake API per customer, and notes which messages' turns are done (the
    assistant's inbox rows), with one poll every 20 ms for all conversations (50 conversations polling on
    their own kept the bench's loop busy and inflated its ack figures)."""

    def __init__(self, api: FakeTwilioAPI, database: Path) -> None:
        self.api = api
        self.database = database
        self.changed = asyncio.Condition()
        self.counts: dict[str, int] = {}
        self.done: set[str] = set()
        self._db = None

    def _finished(self, since: float) -> list[tuple[str, float]]:
        """Inbox rows finished since `since` (one connection kept open: the poll shares the cores it measures)."""
        import sqlite3

        if not self.database.exists():
            return []
        try:
            if self._db is None:
                self._db = sqlite3.connect(self.database, timeout=5, check_same_thread=False)
            # 5 s back: a row stamped earlier can commit after a later one (turns end on several threads)
            return self._db.execute("SELECT external_id, finished_at FROM frontdesk_inbox WHERE finished_at >= ?",
                                    (since - 5,)).fetchall()
        except sqlite3.Error as error:  # busy for longer than 5 s, say: try again on the next poll
            print(json.dumps({"watcher": repr(error)[:200]}), file=sys.stderr, flush=True)
            return []

    async def watch(self) -> None:
        seen, since = 0, 0.0
        while True:
            await asyncio.sleep(0.02)
            messages = list(self.api.messages)
            finished = await asyncio.to_thread(self._finished, since)
            finished = [(external_id, at) for external_id, at in finished if external_id not in self.done]
            if len(messages) != seen or finished:
                seen = len(messages)
                counts: dict[str, int] = {}
                for message in messages:
                    counts[message["To"]] = counts.get(message["To"], 0) + 1
                async with self.changed:
                    self.counts = counts
                    for external_id, at in finished:
                        self.done.add(external_id)
                        since = max(since, at)
                    self.changed.notify_all()

    async def wait_for_reply(self, customer: str, than: int, timeout: float = 120) -> None:
        """Until the customer has more than `than` replies."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.counts.get(customer, 0) > than), timeout)

    async def wait_done(self, message_sid: str, timeout: float = 120) -> None:
        """Until the message's turn is done (its inbox row)."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: message_sid in self.done), timeout)


async def conversation(client: "Client", base: str, replies_seen: Replies, index: int, turns: int,
                       acks: list[float], handlers: list[float], replies: list[float], later_acks: list[float],
                       script: list[str]) -> None:
    customer = f"+1555{index:07d}"
    path = "/webhooks/sms/webhook"
    for turn in range(turns):
        fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": SID, "From": customer, "To": NUMBER,
                  "Body": script[turn % len(script)], "NumMedia": "0"}
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
        await replies_seen.wait_for_reply(customer, before)
        replies.append((time.perf_counter() - started) * 1000)
        await replies_seen.wait_done(fields["MessageSid"])  # the whole turn, as a REST client waits for it


async def rest_conversation(client: "Client", base: str, token: str, index: int, turns: int, replies: list[float],
                            script: list[str]) -> None:
    """The same turns over the REST channel: each POST answers with the whole turn's reply."""
    sender = f"bench-rest-{uuid.uuid4().hex[:8]}-{index}"
    for turn in range(turns):
        started = time.perf_counter()
        status, _ = await client.post(f"{base}/webhooks/rest/webhook", json.dumps(
            {"sender": sender, "message": script[turn % len(script)]}).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        if status != 200:
            raise RuntimeError(f"REST answered {status}")
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


def where_time_went(database: Path) -> dict:
    """Per webhook, from the assistant's own rows (its SQLite file): waiting in the inbox (accepted -> Rasa logs
    the user event, the NLU parse included), the turn (-> its first reply stored in the outbox; -> the inbox row marked done, `turn_done`) and the send
    (outbox -> accepted by the fake API); p50/p99 in ms each."""
    import sqlite3

    db = sqlite3.connect(database)
    try:
        user_at: dict[str, float] = {}
        for data, at in db.execute("SELECT data, timestamp FROM events WHERE type_name = 'user'"):
            message_id = json.loads(data).get("message_id")
            if message_id:
                user_at[message_id] = at
        replies: dict[str, list[tuple[float, float]]] = {}
        for conversation, created, sent in db.execute(
                "SELECT conversation_id, created_at, sent_at FROM frontdesk_outbox WHERE status = 'sent' ORDER BY created_at"):
            replies.setdefault(conversation, []).append((created, sent))
        sent_rows = db.execute("SELECT count(*) FROM frontdesk_outbox WHERE status = 'sent'").fetchone()[0]
        unfinished = db.execute("SELECT count(*) FROM frontdesk_inbox WHERE status != 'done'").fetchone()[0]
        queued, turn, send, whole = [], [], [], []
        for external_id, sender, received, finished in db.execute(
                "SELECT external_id, sender, received_at, finished_at FROM frontdesk_inbox"):
            started = user_at.get(external_id)
            first = next((r for r in replies.get(sender, []) if started is not None and r[0] >= started), None)
            if started is None or first is None:
                continue
            queued.append((started - received) * 1000)
            turn.append((first[0] - started) * 1000)
            send.append((first[1] - first[0]) * 1000)
            whole.append((finished - started) * 1000)
    finally:
        db.close()
    return {"replies_stored": sent_rows, "turns_not_done": unfinished, **{f"{name}_{label}_ms": percentile(values, p) for name, values in
            (("inbox_wait", queued), ("turn", turn), ("turn_done", whole), ("outbox_send", send)) for label, p in (("p50", 0.5), ("p99", 0.99))}}


def checkout(ref: str, into: Path) -> Path:
    """The project at git `ref`, with this tree's venv and trained models linked in."""
    archive = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / ".venv").symlink_to(PROJECT_DIR / ".venv")
    (into / ".state").mkdir(exist_ok=True)
    (into / ".state" / "models").symlink_to(PROJECT_DIR / ".state" / "models")
    return into


async def one_run(tree: Path, env: dict[str, str], conversations: int, turns: int, client_kind: str,
                  script: list[str], rest: bool = False) -> dict:
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
            database = Path(tmp) / "state" / "frontdesk.db"
            if rest:
                async with Client(client_kind, conversations + 5) as client:
                    await rest_conversation(client, assistant.url, assistant.token, -1, 2, [], script)  # warm-up
                    started = time.perf_counter()
                    await asyncio.gather(*(rest_conversation(client, assistant.url, assistant.token, i, turns, replies, script)
                                           for i in range(conversations)))
                    elapsed = time.perf_counter() - started
                return {"channel": "rest", "client": client_kind, "conversations": conversations, "messages": len(replies),
                        "reply_p50_ms": percentile(replies, 0.5), "reply_p99_ms": percentile(replies, 0.99),
                        "turns_per_s": round(len(replies) / elapsed, 1), "elapsed_s": round(elapsed, 1),
                        "exactly_once": len(replies) == conversations * turns,
                        "load_1min": round((load + os.getloadavg()[0]) / 2, 2)}
            replies_seen = Replies(api, database)
            watcher = asyncio.create_task(replies_seen.watch())
            async with Client(client_kind, conversations + 5) as client:
                await conversation(client, assistant.url, replies_seen, 9999999, 1, [], [], [], [], script)  # warm-up, as REST's
                started = time.perf_counter()
                await asyncio.gather(*(conversation(client, assistant.url, replies_seen, i, turns, acks, handlers, replies,
                                                    later_acks, script) for i in range(conversations)))
                elapsed = time.perf_counter() - started
            watcher.cancel()
            await asyncio.sleep(2)  # anything sent twice would show up now
            rows = where_time_went(database)
            return {**rows,
                "client": client_kind, "conversations": conversations, "webhooks": len(acks),
                "ack_p50_ms": percentile(acks, 0.5), "ack_p99_ms": percentile(acks, 0.99),
                "later_turns_ack_p50_ms": percentile(later_acks, 0.5), "later_turns_ack_p99_ms": percentile(later_acks, 0.99),
                "handler_p50_ms": percentile(handlers, 0.5), "handler_p99_ms": percentile(handlers, 0.99),
                "reply_p50_ms": percentile(replies, 0.5), "reply_p99_ms": percentile(replies, 0.99),
                "replies_delivered": len(api.messages),
                "exactly_once": len(api.messages) == rows["replies_stored"] and rows["turns_not_done"] == 0
                and len(replies) == conversations * turns, "elapsed_s": round(elapsed, 1),
                "turns_per_s": round(len(replies) / elapsed, 1),
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
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="default",
                        help="what the customers say: default (hi, two questions, thanks) or faq (bench/rest_load.py's questions)")
    parser.add_argument("--rest", action="store_true",
                        help="also run variant 'rest': the same messages over the REST channel, interleaved")
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
        if args.rest:
            variants.append(("rest", {"_client": clients[0], "_rest": "1"}, PROJECT_DIR))
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
        for round_number in range(args.rounds):
            for name, env, tree in variants:
                server_env = {key: value for key, value in env.items() if not key.startswith("_")}
                run = (tree, server_env, args.conversations, args.turns, env["_client"], SCRIPTS[args.script], "_rest" in env)
                try:
                    result = await one_run(*run)
                except (httpx.HTTPError, aiohttp.ClientError, RuntimeError, asyncio.TimeoutError) as error:  # e.g. another process took the port
                    print(json.dumps({"round": round_number + 1, "variant": name, "error": repr(error)[:300]}), flush=True)
                    result = await one_run(*run)
                runs[name].append(result)
                print(json.dumps({"round": round_number + 1, "variant": name, **result}), flush=True)
    keys = ("ack_p50_ms", "ack_p99_ms", "later_turns_ack_p50_ms", "later_turns_ack_p99_ms", "handler_p50_ms", "handler_p99_ms",
            "reply_p50_ms", "reply_p99_ms", "inbox_wait_p50_ms", "inbox_wait_p99_ms", "turn_p50_ms", "turn_p99_ms", "turn_done_p50_ms", "turn_done_p99_ms",
            "outbox_send_p50_ms", "outbox_send_p99_ms", "turns_per_s", "elapsed_s", "load_1min")
    summary: dict = {"conversations": args.conversations, "webhooks_per_run": args.conversations * args.turns,
                     "rounds": args.rounds, "script": args.script, "variants": {}}
    for name, results in runs.items():
        medians = {key: round(statistics.median(r[key] for r in results), 1) for key in keys
                   if all(r.get(key) is not None for r in results)}  # the code before the inbox sends no Server-Timing
        medians["all_delivered_exactly_once"] = all(r["exactly_once"] for r in results)
        summary["variants"][name] = medians
    rest = summary["variants"].pop("rest", None)
    first = next(iter(summary["variants"].values()))
    for medians in summary["variants"].values():
        if rest and rest.get("turns_per_s"):
            medians["turns_per_s_ratio_to_rest"] = round(medians["turns_per_s"] / rest["turns_per_s"], 2)
    for medians in list(summary["variants"].values())[1:]:
        medians["ack_p99_ratio_to_first"] = round(medians["ack_p99_ms"] / first["ack_p99_ms"], 2)
        medians["ack_p50_ratio_to_first"] = round(medians["ack_p50_ms"] / first["ack_p50_ms"], 2)
        medians["later_turns_ack_p99_ratio_to_first"] = round(
            medians["later_turns_ack_p99_ms"] / first["later_turns_ack_p99_ms"], 2)
    if rest:
        summary["variants"]["rest"] = rest
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
