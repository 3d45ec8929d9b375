"""How often two instances run one conversation's turns at once: Rasa 3.6's RedisLockStore against ours.

    python bench/lock_race.py [--trials 20]

Starts a throwaway redis-server (tests/servers.py), then per trial gives two lock stores (two "instances",
each on its own thread and event loop) a message of one new conversation at the same moment, each turn
holding the lock for 20 ms; prints, per lock store, in how many trials the turns overlapped or one failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rasa.core.lock_store import RedisLockStore  # noqa: E402

from bot.messaging.lock_store import TurnLockStore  # noqa: E402
from tests.bot.messaging.test_lock_store import one_turn_each, overlapped  # noqa: E402
from tests.servers import redis_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    with redis_server() as redis:
        kinds = {"rasa RedisLockStore": lambda: RedisLockStore(host="127.0.0.1", port=redis.port, db=0),
                 "frontdesk TurnLockStore": lambda: TurnLockStore(url=redis.url)}
        for name, make in kinds.items():
            stores, broken = [make(), make()], 0
            for trial in range(args.trials):
                spans, errors = one_turn_each(stores, f"rest:{name.split()[0]}-{trial}")
                broken += overlapped(spans) or bool(errors)
            print(json.dumps({"lock store": name, "trials": args.trials, "overlapped or failed": broken}))


if __name__ == "__main__":
    main()
