"""Time `frontdesk report` over 10,000 generated conversations in a temporary SQLite tracker store.

    python bench/report_speed.py [--conversations 10000] [--runs 3] [--keep DIR]

Conversations (a week, mixed channels, returning customers, KB answers,
clarifications and fallbacks, handoffs claimed, resolved, released or never
claimed, closings, CSAT/NPS answers and skips) are built as Rasa events and
bulk-inserted into the `events` table the way Rasa's SQLTrackerStore.save
writes them. Before timing, one conversation is saved through the real
tracker store (bot.messaging.tracker_store.URLTrackerStore) and its rows are compared
with the generator's rows for the same events: same columns, same type,
intent and action names, same JSON keys. Prints one JSON line per run and a
summary with the median wall and CPU time and the load average (the machine
is shared: CPU seconds say what the report costs, wall seconds what it took).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, SessionStarted, SlotSet, UserUttered

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from bot.messaging import store  # noqa: E402
from bot.messaging.tracker_store import URLTrackerStore  # noqa: E402

START = 1780272000.0  # 2026-06-01 00:00 UTC
DAYS = 7
CHANNELS = [("rest", 0.3), ("webchat", 0.2), ("telegram", 0.2), ("whatsapp", 0.2), ("sms", 0.1)]
ANSWERED = ["opening_hours", "parking", "freeze_membership", "cancel_membership", "reset_password", "guest_passes",
            "swimming_lessons", "payment_date", "towels_and_lockers", "personal_training"]
TOPICS = ["swimming pool", "sauna", "steam room", "climbing wall", "dog", "protein shake", "wifi", "yoga mat",
          "creche", "student discount", "squash court", "tennis court", "massage", "physio", "cafe", "bike storage",
          "hair dryer", "nutrition plan", "kids party", "corporate event"]
TEMPLATES = ["do you have a {t}", "is there a {t} at the club", "can I use the {t}", "what about the {t}?",
             "how much is the {t}", "is the {t} open today", "where is the {t}", "{t} please"]
REASONS = [("request", 0.5), ("frustration", 0.2), ("failures", 0.25), ("abuse", 0.05)]


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def row(sender: str, event) -> dict:
    """The row Rasa's SQLTrackerStore.save writes for `event` (rasa/core/tracker_store.py)."""
    data = event.as_dict()
    return {"sender_id": sender, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"), "action_name": data.get("name"),
            "data": json.dumps(data)}


class Builder:
    def __init__(self, sender: str, channel: str) -> None:
        self.sender, self.channel, self.events = sender, channel, []

    def session(self, at: float, carried: dict) -> None:
        self.events += [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at)]
        self.events += [SlotSet(k, v, timestamp=at) for k, v in carried.items()]
        self.events.append(ActionExecuted("action_listen", timestamp=at))

    def user(self, at: float, text: str, intent: str = "faq") -> None:
        parse = {"intent": {"name": intent, "confidence": 0.97}, "entities": [], "text": text}
        self.events.append(UserUttered(text, parse["intent"], [], parse, input_channel=self.channel, timestamp=at,
                                       metadata={"name": "Alex"}))

    def bot(self, at: float, text: str, metadata: dict | None = None) -> None:
        self.events.append(BotUttered(text, {"elements": None, "buttons": None}, metadata or {}, timestamp=at))

    def act(self, at: float, name: str) -> None:
        self.events.append(ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=at))

    def slot(self, at: float, name: str, value) -> None:
        self.events.append(SlotSet(name, value, timestamp=at))

    def faq(self, at: float, text: str, decision: str, entry: str | None, reply_s: float) -> float:
        self.user(at, text)
        self.act(at + 0.05, "action_answer_faq")
        done = at + reply_s
        self.bot(done, "An answer." if decision == "answer" else "Did you mean one of these?")
        self.slot(done, "kb_decision", decision)
        self.slot(done, "kb_answered", entry if decision == "answer" else None)
        self.act(done, "action_listen")
        return done


def gap_text(rng: random.Random) -> str:
    if rng.random() < 0.25:  # a long tail of one-off messages
        return f"where is my refund for order {rng.randint(10000, 99999)}"
    return rng.choice(TEMPLATES).format(t=rng.choice(TOPICS))


def conversation(rng: random.Random, b: Builder, at: float, carried: dict, handoffs: list, surveys: list) -> dict:
    """One session with a random outcome; returns the slots a next session would carry over."""
    b.session(at, carried)
    t = at + rng.uniform(0, 2)
    b.user(t, "hi", intent="greet")
    b.act(t + 0.05, "action_greet")
    t += rng.uniform(0.3, 3)
    b.bot(t, "Hi, I'm Sam.")
    b.act(t, "action_listen")
    outcome = rng.random()
    slots = dict(carried)
    for _ in range(rng.randint(0, 2)):  # questions that went fine
        t = b.faq(t + rng.uniform(5, 60), rng.choice(["when do you open", "is there parking"]), "answer",
                  rng.choice(ANSWERED), rng.uniform(0.3, 2))
    if outcome < 0.45:  # answered, confirmed
        t = b.faq(t + rng.uniform(5, 60), "how do I freeze my membership", "answer", rng.choice(ANSWERED), rng.uniform(0.3, 2))
        b.user(t + rng.uniform(5, 30), "yes thanks", intent="thank")
        b.slot(t + 31, "answer_helped", True)
        slots["answer_helped"] = True
    elif outcome < 0.6:  # clarify, then answered, then closed
        t = b.faq(t + rng.uniform(5, 60), gap_text(rng), "clarify", None, rng.uniform(0.3, 2))
        t = b.faq(t + rng.uniform(3, 20), "/choose_entry", "answer", rng.choice(ANSWERED), 0.4)
        b.slot(t + rng.uniform(60, 600), "conversation_closed", True)
    elif outcome < 0.85:  # fell back, handed to a person
        t = b.faq(t + rng.uniform(5, 60), gap_text(rng), "fallback", None, rng.uniform(0.3, 2))
        t += rng.uniform(5, 40)
        b.user(t, "can I speak to someone", intent="request_human")
        handoff_id = uuid.uuid4().hex
        b.slot(t + 1, "handoff_id", handoff_id)
        b.events.append(ConversationPaused(timestamp=t + 1))
        fate = rng.random()
        claimed = t + rng.uniform(20, 900) if fate < 0.85 else None
        reply = claimed + rng.uniform(5, 120) if claimed else None
        closed = reply + rng.uniform(60, 1800) if reply and fate < 0.75 else (reply + 30 if reply else None)
        status = "waiting" if not claimed else "resolved" if fate < 0.75 else "released"
        if reply:
            b.bot(reply, "Hi, this is Priya.", {"agent": "Priya", "handoff_id": handoff_id})
        handoffs.append(dict(id=handoff_id, conversation_id=b.sender, channel=b.channel, recipient=b.sender,
                             reason=pick(rng, REASONS), status=status, agent="Priya" if claimed else None,
                             created_at=t + 1, claimed_at=claimed, first_agent_reply_at=reply, closed_at=closed,
                             summary={}, updated_at=closed or t + 1))
    else:  # fell back and left
        b.faq(t + rng.uniform(5, 60), gap_text(rng), "fallback", None, rng.uniform(0.3, 2))
    if rng.random() < 0.5:
        score = None if rng.random() < 0.1 else rng.choices(range(1, 6), [1, 1, 2, 4, 6])[0]
        surveys.append(dict(conversation_id=b.sender, channel=b.channel, kind="csat", score=score, created_at=t + 700))
    if rng.random() < 0.3:
        score = None if rng.random() < 0.15 else rng.randint(0, 10)
        surveys.append(dict(conversation_id=b.sender, channel=b.channel, kind="nps", score=score, created_at=t + 710))
    return slots


def generate(url: str, count: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    URLTrackerStore(host=url).engine.dispose()  # Rasa creates its `events` table
    engine = store.open_database(url)
    events_table = sa.Table("events", sa.MetaData(), autoload_with=engine)
    senders = [f"bench-{i:06d}" for i in range(int(count * 0.8))]  # a fifth of conversations are returning customers
    plan = sorted((rng.choice(senders) if i >= len(senders) else senders[i], START + rng.uniform(0, DAYS * 86400))
                  for i in range(count))
    rows, handoffs, surveys, carried, total, last_end = [], [], [], {}, 0, 0.0
    for i, (sender, at) in enumerate(plan):
        previous = plan[i - 1][0] if i else None
        if sender == previous:  # Rasa starts a new session after an hour of silence
            at = max(at, last_end + 3700)
        b = Builder(sender, pick(rng, CHANNELS) if sender != previous else b.channel)
        carried = conversation(rng, b, at, carried if sender == previous else {}, handoffs, surveys)
        last_end = max(e.timestamp for e in b.events)
        rows += [row(sender, e) for e in b.events]
        if len(rows) > 20000:
            total += _flush(engine, events_table, rows)
    total += _flush(engine, events_table, rows)
    with engine.begin() as db:
        db.execute(store.handoffs.insert(), handoffs)
        db.execute(store.surveys.insert(), surveys)
    engine.dispose()
    return {"conversations": count, "senders": len({p[0] for p in plan}), "events": total, "handoffs": len(handoffs),
            "surveys": len(surveys)}


def _flush(engine, table, rows: list[dict]) -> int:
    n = len(rows)
    if rows:
        with engine.begin() as db:
            db.execute(table.insert(), rows)
        rows.clear()
    return n


def check_shape(folder: Path) -> None:
    """Rows the generator writes == rows Rasa's own store writes for the same events."""
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    url = f"sqlite:///{folder / 'shape.db'}"
    b = Builder("shape-check", "telegram")
    conversation(random.Random(1), b, START, {}, [], [])
    slots = [AnySlot(n, mappings=[{"type": "custom"}]) for n in ("kb_decision", "kb_answered", "answer_helped",
                                                                 "conversation_closed", "handoff_id")]
    asyncio.run(URLTrackerStore(host=url).save(DialogueStateTracker.from_events(b.sender, b.events, slots=slots)))
    engine = sa.create_engine(url)
    with engine.connect() as db:
        real = [dict(r._mapping) for r in db.execute(sa.text("select * from events order by id"))]
    ours = [row(b.sender, e) for e in b.events]
    assert len(real) == len(ours), (len(real), len(ours))
    for mine, theirs in zip(ours, real):
        assert set(theirs) - {"id"} == set(mine), (set(theirs), set(mine))
        for key in ("sender_id", "type_name", "timestamp", "intent_name", "action_name"):
            assert mine[key] == theirs[key], (key, mine[key], theirs[key])
        assert json.loads(mine["data"]) == json.loads(theirs["data"]), (mine["data"], theirs["data"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    check_shape(folder)
    print(json.dumps({"shape": "generated rows match rows written by URLTrackerStore"}))
    url = f"sqlite:///{folder / 'frontdesk.db'}"
    started = time.perf_counter()
    print(json.dumps({"generated": generate(url, args.conversations), "seconds": round(time.perf_counter() - started, 1)}))
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               OMP_NUM_THREADS="1", FRONTDESK_STATE_DIR=str(folder / "state"))
    command = [sys.executable, "-m", "bot.ops.cli", "report", "--from", "2026-06-01", "--to", "2026-06-08",
               "--database-url", url]
    times, cpus = [], []
    for run in range(args.runs):
        load = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        result = subprocess.run(command + ["--out", str(folder / f"out-{run}")], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - began
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            return 1
        times.append(elapsed)
        cpus.append(cpu)
        metrics = json.loads((folder / f"out-{run}" / "metrics.json").read_text())
        print(json.dumps({"run": run + 1, "seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1),
                          "load_1min_before": round(load, 2),
                          "conversations": metrics["overall"]["conversations"],
                          "gap_messages": metrics["gaps"]["messages"], "gap_distinct": metrics["gaps"]["distinct"],
                          "clustered_distinct": metrics["gaps"]["clustered_distinct"],
                          "gap_clusters": len(metrics["gaps"]["clusters"])}))
    print(result.stdout)
    print(json.dumps({"median_s": round(statistics.median(times), 1), "median_cpu_s": round(statistics.median(cpus), 1),
                      "runs": len(times),
                      "load_1min_after": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(), "folder": str(folder)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
