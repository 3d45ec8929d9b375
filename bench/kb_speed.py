"""Knowledge-base speed at 1,000 entries x 10 questions: build, decide, pick up an edit.

    python bench/kb_speed.py [--entries 1000] [--queries 300] [--questions 10] [--tune-steps N]

The knowledge base is made from real customer-service phrasings (clinc150's
train split: each entry takes 10 (--questions) questions of one intent, so an
intent spans several entries) in a temporary folder. Measures:
  build_s        from an empty state folder (embedding every question + head + FAISS)
  restart_s      a second start with the saved snapshot (no embedding)
  decide_p50/p99 one question at a time, warm (embed, rank, decide)
  tune_s         with fine-tuning on: from the base snapshot serving until the tuning is
                 settled (the guard's tuning and check; if accepted, the tuning on every
                 row, entries re-embedded, head, swapped in; else the base model stays);
                 decide_during_tuning_p50 is the decision time meanwhile
  restart_tuned_s  a start with the tuned model and snapshot saved
  decide_tuned_p50/p99  decisions with the tuned encoder
  edit_s         one file changed -> a snapshot with the edit serving (inside
                 KnowledgeBase.reload, with the tuned encoder; the watcher adds up
                 to reload_interval_s of polling on top)
  refine_s       then until the head is refined for the edit and swapped in
  embed_*_ms     per message: the base model's pass with every layer (Encoder.encode_layers,
                 as the frustration scorer calls it), then
                 the tuned model re-using the base pass's frozen bottom layers, or alone

--tune-steps caps the fine-tuning (the recipe's cap is MAX_STEPS in bot/kb/tune.py)
to time the rest on a busy machine; tune_steps and tune_step_s are printed so the
full tuning time can be worked out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from bot.kb.encoder import Encoder
from bot.kb import tune
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedEncoder, TunedModels
from bot.config import AssistantConfig
from bot.config.settings import Settings

from make_dev_kbs import SHARED  # noqa: E402  (bench/ is on sys.path when run as a script)

DATA = SHARED / "clinc150" / "train_val.json"


def make_kb(root: Path, n_entries: int, per_entry: int = 10) -> list[str]:
    data = json.loads(DATA.read_text())
    by_intent = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append(text)
    made = 0
    for part in range(100):
        for intent in sorted(by_intent):
            if made == n_entries:
                return [t for t, _ in data["val"]]
            questions = by_intent[intent][part * per_entry : part * per_entry + per_entry]
            body = "\n".join(f"  - {json.dumps(q)}" for q in questions)
            topic = intent.replace("_", " ")
            (root / f"{intent}_{part}.md").write_text(  # an answer long enough to be a passage (embedded at <= 3 questions)
                f"---\ntitle: {json.dumps(f'{topic} {part}')}\nquestions:\n{body}\n---\n"
                f"Answer {made}: what to know about {topic}, part {part}.\n"
            )
            made += 1
    return [t for t, _ in data["val"]]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 2)


def decide_times(kb: KnowledgeBase, queries: list[str]) -> list[float]:
    return [kb.ask(text).elapsed_ms for text in queries]


def embed_times(tuned, texts: list[str]) -> dict:
    """Per message: the base model's one pass (the frustration scorer), then the tuned one (the knowledge base)."""
    base, after_base, alone = [], [], []
    for text in texts:
        for sink, call in ((base, tuned.base.encode_layers), (after_base, tuned.encode)):
            started = time.perf_counter()
            call([text])
            sink.append((time.perf_counter() - started) * 1000)
        tuned.base.bottoms.clear()
        started = time.perf_counter()
        tuned.encode([text])
        alone.append((time.perf_counter() - started) * 1000)
    return {"embed_base_ms": percentile(base, 0.5), "embed_tuned_after_base_ms": percentile(after_base, 0.5),
            "embed_tuned_alone_ms": percentile(alone, 0.5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--questions", type=int, default=10, help="per entry (1-3: answer passages are embedded too)")
    parser.add_argument("--tune-steps", type=int, default=tune.MAX_STEPS)
    args = parser.parse_args()
    tune.MAX_STEPS = args.tune_steps
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    encoder.encode(["warm up"])
    config = AssistantConfig.load(settings.assistant_file).knowledge_base
    with tempfile.TemporaryDirectory() as tmp:
        root, state, models = Path(tmp) / "kb", Path(tmp) / "state", TunedModels(Path(tmp) / "models")
        root.mkdir()
        queries = make_kb(root, args.entries, args.questions)
        random.Random(1).shuffle(queries)
        queries = queries[: args.queries]
        started = time.perf_counter()
        kb = KnowledgeBase(root, state, encoder, config)  # no tuned models: the base snapshot, as served first
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        KnowledgeBase(root, state, encoder, config)
        restart_s = time.perf_counter() - started
        latencies = decide_times(kb, queries)

        started = time.perf_counter()
        kb = KnowledgeBase(root, state, encoder, config, tuned_models=models)  # base snapshot saved: tunes in background
        during = []
        while not kb.settled and not kb.last_tuning.get("error"):  # tuned, or the guard kept the base model
            during += decide_times(kb, queries[:20])
        assert not kb.last_tuning.get("error"), kb.last_tuning
        tune_s = time.perf_counter() - started
        rows = len(kb.snapshot.owners)
        steps = min(tune.EPOCHS * -(-rows // tune.BATCH), tune.MAX_STEPS)
        tuning = kb.last_tuning
        kb.stop()
        started = time.perf_counter()
        kb = KnowledgeBase(root, state, encoder, config, tuned_models=models)
        restart_tuned_s = time.perf_counter() - started
        assert kb.settled
        served = kb.describe_model()
        tuned_latencies = decide_times(kb, queries)

        edited = sorted(root.glob("*.md"))[len(list(root.glob("*.md"))) // 2]
        edited.write_text(edited.read_text().replace("questions:\n", "questions:\n  - \"a brand new way to ask this\"\n"))
        before = kb.snapshot.fingerprint
        kb.tuning = "saved"  # time the edit alone, not the re-tuning it starts
        started = time.perf_counter()
        reload = threading.Thread(target=kb.reload)
        reload.start()
        while kb.snapshot.fingerprint == before:
            time.sleep(0.005)
        edit_s = time.perf_counter() - started
        re_embedded = kb.snapshot.embedded
        reload.join()
        refine_s = time.perf_counter() - started
        assert kb.snapshot.trained and isinstance(kb.snapshot.encoder, TunedEncoder) == (tuning["verdict"]["use"] == "tuned")
        serving = kb.snapshot.encoder
        print(json.dumps({
            "questions_per_entry": args.questions, "served": served,
            "entries": len(kb.snapshot), "questions": rows, "load": os.getloadavg()[0],
            "build_s": round(build_s, 2), "restart_s": round(restart_s, 2),
            "decide_p50_ms": percentile(latencies, 0.5), "decide_p99_ms": percentile(latencies, 0.99),
            "tune_s": round(tune_s, 1), "tune_steps": steps, "tune_train_s": tuning.get("tune_s"),
            "decide_during_tuning_p50_ms": percentile(during, 0.5) if during else None,
            "restart_tuned_s": round(restart_tuned_s, 2),
            "decide_tuned_p50_ms": percentile(tuned_latencies, 0.5), "decide_tuned_p99_ms": percentile(tuned_latencies, 0.99),
            "edit_s": round(edit_s, 2), "edit_re_embedded": re_embedded, "refine_s": round(refine_s, 2),
            **(embed_times(serving, queries[:100]) if isinstance(serving, TunedEncoder) else {}),
        }))


if __name__ == "__main__":
    main()
