"""Drive a running assistant over its REST channel and print latency and throughput.

    python bench/rest_load.py [--url URL] [--token T] [--messages N] [--concurrency C ...] [--script faq]

C concurrent senders each hold conversations of --turns messages (a new
sender id per conversation, as real customers come and go) until --messages
are sent. Prints p50/p99 latency per message and
messages per second for each concurrency level, as one JSON line each, so
two bots (ours and a stock `rasa init` bot, see bench/README.md) can be
compared side by side in one run with --url given twice.

Choosing sender ids needs the Rasa API token (`Authorization: Bearer`, from
--token or RASA_API_TOKEN); the stock bot ignores the header.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid

import httpx

# Messages both our assistant and the stock moodbot understand.
SCRIPT = ["hi", "are you a bot?", "bye", "hello"]
# --script faq: questions for the knowledge base (each turn runs action_answer_faq: mood, search, decision).
FAQ = ["how do I reset my password?", "how do I cancel a class booking?", "when do you take the monthly payment?",
       "can I bring a friend to the gym?"]
SCRIPTS = {"greetings": SCRIPT, "faq": FAQ}


async def conversation(client: httpx.AsyncClient, url: str, turns: int, latencies: list[float],
                       script: list[str] = SCRIPT) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for i in range(turns):
        started = time.perf_counter()
        reply = await client.post(url, json={"sender": sender, "message": script[i % len(script)]})
        reply.raise_for_status()
        if not reply.json():
            raise RuntimeError("empty reply")
        latencies.append((time.perf_counter() - started) * 1000)


async def sender_loop(client: httpx.AsyncClient, url: str, turns: int, budget: list[int], latencies: list[float],
                      script: list[str]) -> None:
    while budget[0] > 0:
        budget[0] -= turns
        await conversation(client, url, turns, latencies, script)


async def load(base: str, token: str, concurrency: int, messages: int, turns: int, script: list[str] = SCRIPT) -> dict:
    url = f"{base.rstrip('/')}/webhooks/rest/webhook"
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits, headers={"Authorization": f"Bearer {token}"}) as client:
        await conversation(client, url, 2, [], script)  # warm-up
        started = time.perf_counter()
        budget = [messages]
        await asyncio.gather(*(sender_loop(client, url, turns, budget, latencies, script) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "url": base,
        "concurrency": concurrency,
        "messages": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "msgs_per_s": round(len(latencies) / elapsed, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="Rasa server base URL (repeatable); default http://127.0.0.1:5005")
    parser.add_argument("--token", default=os.environ.get("RASA_API_TOKEN", ""),
                        help="the assistant's Rasa API token (default: $RASA_API_TOKEN)")
    parser.add_argument("--messages", type=int, default=200, help="messages per concurrency level and bot")
    parser.add_argument("--turns", type=int, default=8, help="messages per conversation")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--rounds", type=int, default=3, help="alternate the bots this many times; medians reported")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="greetings",
                        help="what the customers say: greetings (both bots understand them) or faq (knowledge-base questions)")
    args = parser.parse_args()
    if not args.token:
        parser.error("pass --token or set RASA_API_TOKEN: choosing sender ids over REST needs the Rasa API token")
    urls = args.url or ["http://127.0.0.1:5005"]
    for concurrency in args.concurrency:
        runs: dict[str, list[dict]] = {u: [] for u in urls}
        for _ in range(args.rounds):
            for url in urls:  # interleaved, so machine noise hits every bot alike
                runs[url].append(await load(url, args.token, concurrency, args.messages, args.turns, SCRIPTS[args.script]))
        for url, results in runs.items():
            summary = dict(results[0])
            for key in ("p50_ms", "p99_ms", "msgs_per_s"):
                summary[key] = round(statistics.median(r[key] for r in results), 1)
            summary["rounds"] = len(results)
            summary["script"] = args.script
            print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
