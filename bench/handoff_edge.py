"""What the handoff check at the channels' edge costs per customer message.

Every inbound message is checked twice against the handoff table (before and
after Rasa's turn, `HandoffStore.customer_message`). This times that check on
the default SQLite database (pooled, WAL), in the two cases that matter: no
open handoff for the sender (almost every message), and an open handoff (the
message is stored for the agent), with 200 other handoffs in the table.

    .venv/bin/python bench/handoff_edge.py [--messages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bot.handoff.store import HandoffStore
from bot.messaging.store import open_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = HandoffStore(open_database(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        for index in range(200):
            handoff, _ = store.create(f"other-{index}", "telegram", str(index), None, "request", {"message_ids": []})
            if index % 2:
                store.close(handoff.id, "resolved")
        store.create("paused", "telegram", "1", None, "request", {"message_ids": []})
        results: dict[str, list[float]] = {"no open handoff": [], "open handoff (stored)": []}
        for round_ in range(args.rounds):
            for label, sender in (("no open handoff", "someone"), ("open handoff (stored)", "paused")):
                started = time.perf_counter()
                for n in range(args.messages):
                    store.customer_message(sender, "a customer message", f"{round_}-{n}")
                results[label].append((time.perf_counter() - started) / args.messages * 1000)
        for label, per_round in results.items():
            print(f"{label:24s} median {statistics.median(per_round):.3f} ms per check "
                  f"(rounds: {', '.join(f'{v:.3f}' for v in per_round)})")


if __name__ == "__main__":
    main()
