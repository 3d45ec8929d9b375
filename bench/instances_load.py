"""The same FAQ load over REST against 1 instance on SQLite, 1 on PostgreSQL and 2 behind nginx, side by side.

    python bench/instances_load.py [--rounds 3] [--messages 240] [--concurrency 20] [--setup sqlite ...]

Starts a throwaway PostgreSQL, Redis and nginx (tests/servers.py) and the real assistants (`frontdesk run`,
tests/integration/conftest.py), all at once and kept running, then runs bench/rest_load.py's FAQ load
(`--script faq`: every turn runs action_answer_faq) against each set-up in turn, round by round, so machine
noise hits them alike. Set-ups (`--setup`, repeatable):

- `sqlite`: one instance, the default SQLite file, no Redis;
- `postgres`: one instance on PostgreSQL, no Redis;
- `postgres+redis`: one instance on PostgreSQL and Redis (the per-conversation lock in Redis);
- `two`: two instances on one PostgreSQL database and Redis, behind nginx (deploy/nginx/proxy.conf), as in
  deploy/README.md.

Per run: p50/p99 latency per message and messages/s (rest_load), the CPU time the Rasa servers and the
action servers spent per message (/proc/PID/stat, user + system, children included, less what they spent
idle in the 3 s before the run, also reported as `*_idle_cpu_pct`), and on PostgreSQL the
rows written and commits per message (pg_stat_user_tables, pg_stat_database). One JSON line per run; the last
line is the medians per set-up with messages/s as a ratio to the first set-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rest_load import FAQ, load  # noqa: E402

from tests.integration.conftest import RunningAssistant, child_pids, free_port, start_assistant  # noqa: E402
from tests.servers import Nginx, Postgres, Redis, postgres_bindir  # noqa: E402

SETUPS = ("sqlite", "postgres", "postgres+redis", "two")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children (waited-for and live: the action servers' workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(f) for f in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    return own + sum(cpu_seconds(child) for child in child_pids(pid))


def server_cpu(instances: list[RunningAssistant]) -> dict[str, float]:
    totals = {"rasa": 0.0, "actions": 0.0}
    for instance in instances:
        for kind, pid in instance.server_pids().items():
            totals[kind] += cpu_seconds(pid)
    return totals


def pg_writes(url: str) -> dict[str, float]:
    """Rows inserted + updated + deleted per table, and the database's commits, so far."""
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")
            counts = {f"rows:{name}": float(n) for name, n in cursor.fetchall()}
            cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            counts["commits"] = float(cursor.fetchone()[0])
    finally:
        connection.close()
    return counts


class Setup:
    """One set-up's instances and where the load goes."""

    def __init__(self, name: str, tmp: Path, token: str, postgres: Postgres | None, redis: Redis | None,
                 nginx_binary: str | None) -> None:
        self.name, self.tmp, self.token = name, tmp / name.replace("+", "-"), token
        self.database_url = postgres.new_database() if postgres is not None and name != "sqlite" else None
        env = {"RASA_API_TOKEN": token, "FRONTDESK_SESSION_KEY": "k" * 40}
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if name in ("postgres+redis", "two"):
            env["REDIS_URL"] = redis.url
        self.ports = [free_port() for _ in range(2 if name == "two" else 1)]
        self.env = env
        self.instances: list[RunningAssistant] = []
        self.nginx: Nginx | None = None
        self.nginx_binary = nginx_binary

    def start(self) -> None:
        def one(index: int) -> RunningAssistant:
            folder = self.tmp / f"instance{index}"
            folder.mkdir(parents=True, exist_ok=True)
            return start_assistant(folder, {**self.env, "RASA_PORT": str(self.ports[index]),
                                            "ACTIONS_PORT": str(free_port())})

        with ThreadPoolExecutor(len(self.ports)) as pool:
            self.instances = list(pool.map(one, range(len(self.ports))))
        if self.name == "two":
            self.nginx = Nginx(self.nginx_binary, self.ports).start()

    @property
    def url(self) -> str:
        return self.nginx.url if self.nginx is not None else f"http://127.0.0.1:{self.ports[0]}"  # RASA_PORT given

    def stop(self) -> None:
        for instance in self.instances:
            with contextlib.suppress(Exception):
                instance.stop()
        if self.nginx is not None:
            self.nginx.remove()

    async def run(self, concurrency: int, messages: int, turns: int, idle_s: float = 3.0) -> dict:
        idle_from = server_cpu(self.instances)  # what the servers spend doing nothing (polls, watchers), per s
        await asyncio.sleep(idle_s)
        cpu_before = server_cpu(self.instances)
        idle = {kind: (cpu_before[kind] - idle_from[kind]) / idle_s for kind in cpu_before}
        rows_before = pg_writes(self.database_url) if self.database_url else {}
        started = time.perf_counter()
        result = await load(self.url, self.token, concurrency, messages, turns, FAQ)
        wall = time.perf_counter() - started
        cpu_after = server_cpu(self.instances)
        sent = result["messages"] + 2  # rest_load's warm-up conversation is 2 messages
        result.update(setup=self.name, instances=len(self.instances), wall_s=round(wall, 1),
                      **{f"{kind}_cpu_ms_per_msg": round((cpu_after[kind] - cpu_before[kind] - idle[kind] * wall) * 1000 / sent, 1)
                         for kind in ("rasa", "actions")},
                      **{f"{kind}_idle_cpu_pct": round(idle[kind] * 100, 1) for kind in ("rasa", "actions")})
        if self.database_url:
            await asyncio.sleep(1.0)  # PostgreSQL publishes its counters at the end of each transaction, with a lag
            rows_after = pg_writes(self.database_url)
            per_table = {key[5:]: round((rows_after[key] - rows_before.get(key, 0)) / sent, 1)
                         for key in rows_after if key.startswith("rows:") and rows_after[key] != rows_before.get(key, 0)}
            result.update(pg_rows_written_per_msg=round(sum(per_table.values()), 1), pg_rows_per_table=per_table,
                          pg_commits_per_msg=round((rows_after["commits"] - rows_before["commits"]) / sent, 1))
        result["load_1min"] = round(os.getloadavg()[0], 2)
        return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="append", choices=SETUPS,
                        help="repeatable; default: sqlite, postgres, two")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=240, help="messages per run")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent senders")
    parser.add_argument("--turns", type=int, default=8, help="messages per conversation (a new sender each)")
    args = parser.parse_args()
    names = args.setup or ["sqlite", "postgres", "two"]
    bindir = postgres_bindir()
    nginx_binary = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if Path(p).exists()), None)
    needs_pg = any(name != "sqlite" for name in names)
    if needs_pg and bindir is None:
        parser.error("PostgreSQL (initdb, postgres) is not installed: apt-get install postgresql")
    if any(name in ("postgres+redis", "two") for name in names) and not Path("/usr/bin/redis-server").exists():
        parser.error("redis-server is not installed: apt-get install redis-server")
    if "two" in names and nginx_binary is None:
        parser.error("nginx is not installed: apt-get install nginx")
    token = "bench-" + os.urandom(6).hex()
    with tempfile.TemporaryDirectory(prefix="frontdesk-instances-") as tmp, contextlib.ExitStack() as stack:
        postgres = redis = None
        if needs_pg:
            postgres = Postgres(bindir).start()
            stack.callback(postgres.remove)
        if any(name in ("postgres+redis", "two") for name in names):
            redis = Redis("/usr/bin/redis-server").start()
            stack.callback(redis.remove)
        setups = [Setup(name, Path(tmp), token, postgres, redis, nginx_binary) for name in names]
        for setup in setups:
            stack.callback(setup.stop)
        with ThreadPoolExecutor(len(setups)) as pool:  # start-up is the slow part: all at once
            list(pool.map(Setup.start, setups))
        runs: dict[str, list[dict]] = {setup.name: [] for setup in setups}
        for round_number in range(args.rounds):
            for setup in setups:  # interleaved, so machine noise hits every set-up alike
                result = await setup.run(args.concurrency, args.messages, args.turns)
                runs[setup.name].append(result)
                print(json.dumps({"round": round_number + 1, **result}), flush=True)
    keys = ("p50_ms", "p99_ms", "msgs_per_s", "rasa_cpu_ms_per_msg", "actions_cpu_ms_per_msg", "rasa_idle_cpu_pct",
            "actions_idle_cpu_pct",
            "pg_rows_written_per_msg", "pg_commits_per_msg", "load_1min")
    summary: dict = {"concurrency": args.concurrency, "messages_per_run": args.messages, "rounds": args.rounds,
                     "script": "faq", "setups": {}}
    for name, results in runs.items():
        summary["setups"][name] = {key: round(statistics.median(r[key] for r in results), 1)
                                   for key in keys if all(key in r for r in results)}
    first = next(iter(summary["setups"].values()))
    for medians in summary["setups"].values():
        medians["msgs_per_s_ratio_to_first"] = round(medians["msgs_per_s"] / first["msgs_per_s"], 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
