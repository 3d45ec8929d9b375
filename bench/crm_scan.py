"""How long one CRM sync scan takes on a tracker store with a long history (bench/README.md, "CRM sync").

Builds a SQLite database with Rasa's `events` table (created by the real
tracker store) holding `--senders` past conversations of `--events` events
each, plus `--active` conversations going on now, then times:
  backfill: the first scan, which queues a note for every past conversation;
  steady:   scans 40 minutes later (simulated clock), the every-few-seconds case with
            nothing new to queue, with the event-id checkpoints and without them.
No HubSpot calls are made; only the scanner runs.

    .venv/bin/python bench/crm_scan.py --senders 2000 --events 50 --active 50 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rasa.shared.core.domain import Domain

from bot.crm import CHECKPOINTS, CrmConfig, Scanner
from bot.crm_records import EVENTS
from bot.store import open_database
from bot.tracker_store import URLTrackerStore

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
    parser.add_argument("--senders", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--active", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
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
        # 40 minutes on (simulated clock): conversations going on now, scanned every 5 s
        later = now + 2400
        with engine.begin() as db:
            for i in range(args.active):
                db.execute(EVENTS.insert(), event_rows(f"live-{i}", later - 60, 12))
        for step in range(0, 2400, 60):  # the scans in between, leaving their checkpoints
            scanner.scan(now + step)
        total = args.senders * args.events + args.active * 12
        print(f"{total} events, {args.senders} past + {args.active} live conversations; backfill scan "
              f"{backfill * 1000:.0f} ms ({queued} notes queued)")
        modes = ("with checkpoints", "without (time filter over all events)")
        steady: dict[str, list[float]] = {mode: [] for mode in modes}
        for round_ in range(args.rounds):  # alternating, round by round
            for mode in modes:
                saved = scanner.state.get(*CHECKPOINTS)
                if mode.startswith("without"):
                    scanner.state.put(*CHECKPOINTS, None)
                started = time.perf_counter()
                assert scanner.scan(later + round_ * 5) == 0
                steady[mode].append(time.perf_counter() - started)
                scanner.state.put(*CHECKPOINTS, saved)  # the same starting point for every round
        for mode, times in steady.items():
            print(f"  steady scan {mode}: median {statistics.median(times) * 1000:.1f} ms "
                  f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
