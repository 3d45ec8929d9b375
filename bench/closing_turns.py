"""Latency of the closing and survey turns, next to an FAQ turn, over a running assistant's REST channel.

    python bench/closing_turns.py [--url URL] [--token T] [--conversations N]

Each conversation (a new sender id) asks one FAQ question, says goodbye
(recap + contact details + the CSAT question: action_close_conversation and
the form's activation), rates the chat (validate_feedback_form stores a row)
and skips the comment (the row update and the thanks). Prints the median and
p90 latency of each step in milliseconds as one JSON line. Choosing sender ids
needs the Rasa API token (--token or RASA_API_TOKEN).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid

import httpx

STEPS = [("faq", "how do I book a class?"), ("goodbye", "no, that's all thanks"), ("rating", "4"), ("comment", "skip")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="Rasa server base URL")
    parser.add_argument("--token", default=os.environ.get("RASA_API_TOKEN", ""),
                        help="the assistant's Rasa API token (default: $RASA_API_TOKEN)")
    parser.add_argument("--conversations", type=int, default=30)
    args = parser.parse_args()
    if not args.token:
        parser.error("pass --token or set RASA_API_TOKEN: choosing sender ids over REST needs the Rasa API token")
    timings: dict[str, list[float]] = {name: [] for name, _ in STEPS}
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {args.token}"}) as client:
        for _ in range(args.conversations):
            sender = f"bench-closing-{uuid.uuid4().hex[:12]}"
            for name, text in STEPS:
                started = time.perf_counter()
                reply = client.post(f"{args.url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
                reply.raise_for_status()
                if not reply.json():
                    raise RuntimeError(f"empty reply to {name!r}")
                timings[name].append((time.perf_counter() - started) * 1000)
    summary = {
        name: {"p50_ms": round(statistics.median(values), 1),
               "p90_ms": round(statistics.quantiles(values, n=10)[-1], 1)}
        for name, values in timings.items()
    }
    print(json.dumps({"conversations": args.conversations, **summary}))


if __name__ == "__main__":
    main()
