"""What one inbox claim costs as the table grows: this tree's `Inbox.claim_due` against the one at a git commit.

    python bench/inbox_claim.py --before df4144d~1 [--database sqlite|postgresql] [--repeat 30]

For each table (done rows kept for days, pending rows queued behind them, from how many senders) it fills a
fresh database, then times `claim_due(["sms"], 8)` followed by giving the claims back, alternating the two
versions call by call; prints the median ms per version and table as JSON lines. The version at the commit is
bot/messaging/inbox.py as it was there, run on this tree's schema (the same table, new indexes included), so
the difference is the query alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.messaging.inbox import Inbox  # noqa: E402
from bot.messaging.store import inbox, open_database  # noqa: E402

TABLES = [(0, 50, 50), (100_000, 50, 50), (100_000, 5_000, 500), (100_000, 5_000, 4)]  # done, pending, senders


def inbox_at(ref: str) -> type:
    source = subprocess.run(["git", "show", f"{ref}:bot/messaging/inbox.py"], check=True, capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parent.parent).stdout
    module = types.ModuleType("inbox_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "inbox_before.py", "exec"), module.__dict__)
    return module.Inbox


def fill(engine, done: int, pending: int, senders: int) -> None:
    rows = [{"channel": "sms", "external_id": f"D{i:07d}", "sender": f"old-{i % 3000}", "payload": {"text": "kept"},
             "status": "done", "attempts": 1, "next_attempt_at": 0.0, "received_at": float(i)} for i in range(done)]
    rows += [{"channel": "sms", "external_id": f"P{i:07d}", "sender": f"new-{i % senders}", "payload": {"text": "queued"},
              "status": "pending", "attempts": 0, "next_attempt_at": 0.0, "received_at": 1e7 + i} for i in range(pending)]
    with engine.begin() as db:
        for start in range(0, len(rows), 10_000):
            db.execute(inbox.insert(), rows[start:start + 10_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, metavar="REF")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    versions = {"before": inbox_at(args.before), "after": Inbox}
    with tempfile.TemporaryDirectory() as tmp:
        postgres = None
        if args.database == "postgresql":
            from tests.servers import Postgres, postgres_bindir

            postgres = Postgres(postgres_bindir()).start()
        try:
            for n, (done, pending, senders) in enumerate(TABLES):
                url = postgres.new_database() if postgres else f"sqlite:///{tmp}/claim{n}.db"
                engine = open_database(url)
                fill(engine, done, pending, senders)
                timings: dict[str, list[float]] = {name: [] for name in versions}
                claimed: dict[str, int] = {}
                for _ in range(args.repeat):
                    for name, kind in versions.items():
                        box = kind(engine)
                        started = time.perf_counter()
                        messages = box.claim_due(["sms"], 8)
                        timings[name].append((time.perf_counter() - started) * 1000)
                        claimed[name] = len(messages)
                        box.release([m.key for m in messages])
                print(json.dumps({"database": args.database, "done_rows": done, "pending_rows": pending, "senders": senders,
                                  **{f"{name}_ms": round(statistics.median(t), 2) for name, t in timings.items()},
                                  **{f"{name}_claimed": count for name, count in claimed.items()}}), flush=True)
                engine.dispose()
        finally:
            if postgres is not None:
                postgres.remove()


if __name__ == "__main__":
    main()
