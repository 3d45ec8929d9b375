"""How long one CRM sync scan takes on a tracker store with a long history (bench/README.md, "CRM sync").

Builds a SQLite database with Rasa's `events` table (created by the real
tracker store) holding `--senders` past conversations of `--events` events
each, then times:
  backfill: the first scan, which queues a note for every past conversation;
  steady:   then an hour of traffic on a simulated clock (`--per-hour` new
            conversations, a scan a minute, then `--rounds` timed scans 5 s apart).
No HubSpot calls are made; only the scanner runs.

    .venv/bin/python bench/crm_scan.py --senders 2000 --events 50 --per-hour 4000 --rounds 12
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rasa.shared.core.domain import Domain

from bot.crm.sync import CrmConfig, Scanner
from bot.crm.records import EVENTS
from bot.messaging.store import open_database
from bot.messaging.tracker_store import URLTrackerStore

PARSE_DATA = {"intent": {"name": "ask", "confidence": 0.97},
              "intent_ranking": [{"name": f"intent_{i}", "confidence": 0.01} for i in range(10)],
              "entities": [], "text": "", "message_id": "0" * 32}


def event_rows(sender: str, start: float, count: int) -> list[dict]:
    rows, t = [], start
    kinds = ["action", "session_started", "action"] + ["user", "slot", "slot", "bot", "action"] * count
    for kind in kinds[:count]:
        t += 0.5
        data: dict = {"event": kind, "timestamp": t}
        if kind == "user":
            data.update(text="how do I cancel my membership please", input_channel="rest", metadata={},
                        parse_data=dict(PARSE_DATA, text="how do I cancel my membership please"))
        elif kind == "bot":
            data.update(text="You can cancel your membership from the app under Account > Membership.", data={}, metadata={})
        elif kind == "slot":
            data.update(name="kb_decision", value="answer")
        elif kind == "action":
            data.update(name="action_session_start" if t - start < 1 else "action_listen")
        rows.append({"sender_id": sender, "type_name": kind, "timestamp": t, "intent_name": None,
                     "action_name": data.get("name"), "data": json.dumps(data)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=2000, help="past conversations (a day ago)")
    parser.add_argument("--events", type=int, default=50, help="events per past conversation")
    parser.add_argument("--per-hour", type=int, default=4000, help="conversations starting per hour from then on")
    parser.add_argument("--rounds", type=int, default=12, help="steady scans timed, 5 s apart")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'frontdesk.db'}"
        engine = open_database(url)
        URLTrackerStore(Domain.empty(), host=url)  # creates Rasa's events table
        now = time.time()
        with engine.begin() as db:
            for i in range(args.senders):
                db.execute(EVENTS.insert(), event_rows(f"past-{i}", now - 86400 + i * 10, args.events))
        scanner = Scanner(engine, CrmConfig())
        started = time.perf_counter()
        queued = scanner.scan(now)
        backfill = time.perf_counter() - started
        print(f"{args.senders * args.events} events in {args.senders} past conversations: backfill scan "
              f"{backfill * 1000:.0f} ms ({queued} notes queued)")
        # then an hour of traffic on a simulated clock: new conversations of 12 events, a scan every 5 s
        count, steady, notes = 0, [], 0
        steps = list(range(0, 3600, 60)) + list(range(3600, 3600 + 5 * args.rounds, 5))  # untimed scans a minute apart
        for step, following in zip(steps, steps[1:] + [steps[-1] + 5]):
            t = now + step
            starting = int(following * args.per_hour / 3600) - int(step * args.per_hour / 3600)
            with engine.begin() as db:
                for _ in range(starting):
                    db.execute(EVENTS.insert(), event_rows(f"live-{count}", t - 6, 12))
                    count += 1
            started = time.perf_counter()
            notes += scanner.scan(t)
            if step >= 3600:  # timed: scans 5 s apart, an hour of conversations behind them
                steady.append(time.perf_counter() - started)
        print(f"  then {count} conversations over an hour ({args.per_hour}/h), {notes} notes queued; "
              f"scan time over the last {args.rounds} scans: median {statistics.median(steady) * 1000:.1f} ms "
              f"(min {min(steady) * 1000:.1f}, max {max(steady) * 1000:.1f})")


if __name__ == "__main__":
    main()
