"""Knowledge-base speed at 1,000 entries x 10 questions: build, decide, pick up an edit.

    python bench/kb_speed.py [--entries 1000] [--queries 300]

The knowledge base is made from real customer-service phrasings (clinc150's
train split: each entry takes 10 questions of one intent, so an intent spans
several entries) in a temporary folder. Measures:
  build_s        from an empty state folder (embedding every question + head + FAISS)
  restart_s      a second start with the saved snapshot (no embedding)
  decide_p50/p99 one question at a time, warm (embed, rank, decide)
  edit_s         one file changed -> a snapshot with the edit serving (inside
                 KnowledgeBase.reload; the watcher adds up to reload_interval_s
                 of polling on top)
  refine_s       then until the head is refined for the edit and swapped in
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from bot.kb.decide import DecisionConfig
from bot.kb.encoder import Encoder
from bot.kb.service import KnowledgeBase
from bot.settings import Settings

from make_dev_kbs import SHARED  # noqa: E402  (bench/ is on sys.path when run as a script)

DATA = SHARED / "clinc150" / "train_val.json"


def make_kb(root: Path, n_entries: int) -> list[str]:
    data = json.loads(DATA.read_text())
    by_intent = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append(text)
    made = 0
    for part in range(10):
        for intent in sorted(by_intent):
            if made == n_entries:
                return [t for t, _ in data["val"]]
            questions = by_intent[intent][part * 10 : part * 10 + 10]
            body = "\n".join(f"  - {json.dumps(q)}" for q in questions)
            (root / f"{intent}_{part}.md").write_text(
                f"---\ntitle: {json.dumps(intent.replace('_', ' ') + f' {part}')}\nquestions:\n{body}\n---\nAnswer {made}.\n"
            )
            made += 1
    return [t for t, _ in data["val"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    encoder.encode(["warm up"])
    config = DecisionConfig.from_file(settings.assistant_file)
    with tempfile.TemporaryDirectory() as tmp:
        root, state = Path(tmp) / "kb", Path(tmp) / "state"
        root.mkdir()
        queries = make_kb(root, args.entries)
        started = time.perf_counter()
        kb = KnowledgeBase(root, state, encoder, config)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        KnowledgeBase(root, state, encoder, config)
        restart_s = time.perf_counter() - started
        random.Random(1).shuffle(queries)
        latencies = []
        for text in queries[: args.queries]:
            latencies.append(kb.ask(text).elapsed_ms)
        latencies.sort()
        edited = sorted(root.glob("*.md"))[len(list(root.glob("*.md"))) // 2]
        edited.write_text(edited.read_text().replace("questions:\n", "questions:\n  - \"a brand new way to ask this\"\n"))
        before = kb.snapshot.fingerprint
        started = time.perf_counter()
        reload = threading.Thread(target=kb.reload)
        reload.start()
        while kb.snapshot.fingerprint == before:
            time.sleep(0.005)
        edit_s = time.perf_counter() - started
        re_embedded = kb.snapshot.embedded
        reload.join()
        refine_s = time.perf_counter() - started
        assert kb.snapshot.trained
        print(json.dumps({
            "entries": len(kb.snapshot), "questions": int(len(kb.snapshot.owners)),
            "build_s": round(build_s, 2), "restart_s": round(restart_s, 2),
            "decide_p50_ms": round(statistics.median(latencies), 2),
            "decide_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
            "edit_s": round(edit_s, 2), "edit_re_embedded": re_embedded, "refine_s": round(refine_s, 2),
        }))


if __name__ == "__main__":
    main()
