"""Do general questions stay clarified, and specific ones answered, however the fine-tuning falls?

    python bench/kb_ambiguity.py [--kb knowledge_base] [--seeds 0,1,2,3] [--add FILE:QUESTION ...] [--extra DIR]
                                 [--compare answer_runner_up=1,answer_margin=0.4,answer_confidence=0.3]

The fine-tuned encoder (bot/kb/tune.py) is seeded, but any edit to the entries
re-tunes it, and the probabilities move with it. This script stands in for
such edits: it opens the knowledge base as the assistant does, fine-tuned once
per seed (about 25 s each on the starter knowledge base), asks it a set of
general questions that two entries answer ("I want to cancel": membership or
booking) and specific ones, and prints for each question the runner-up's
probability and the margin over all seeds, and the decision (assistant.yml's
thresholds) per seed. It first copies the knowledge base to a temporary folder
when it is to be edited: `--add billing/failed_payment.md:"My card was declined"`
appends that question to the entry (an unrelated edit, as an editor would
make); `--extra DIR` adds the entry files under DIR (bench/data/kb_extra: two
entries the starter knowledge base lacks). `--compare` also prints the
decisions under other thresholds (assistant.yml's with those settings replaced).

What to look for: every general question clarified under every seed, and
every specific one answered (bench/README.md has the figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

from bot.kb.decide import Decision, decide
from bot.kb.encoder import Encoder
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedModels
from bot.config import AssistantConfig
from bot.config.settings import Settings

GENERAL = ["I want to cancel", "I'd like to cancel", "cancel", "how do I cancel", "can I cancel?",
           "I need to cancel", "cancel please"]
SPECIFIC = ["How do I cancel my membership?", "cancel my yoga class tonight", "I want to cancel my gym membership",
            "I need to cancel a court booking", "what time do you open", "I forgot my password"]


def add_question(root: Path, spec: str) -> None:
    """Append a question to an entry's `questions:` list (FILE:QUESTION, FILE relative to root)."""
    name, _, question = spec.partition(":")
    path = root / name
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("questions:") + 1
    while at < len(lines) and lines[at].startswith("  - "):
        at += 1
    lines.insert(at, f"  - {json.dumps(question)}")  # a JSON string is a valid YAML double-quoted scalar
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _label(decision: Decision) -> str:
    return f"answer {decision.top.entry.id}" if decision.kind == "answer" else decision.kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=Path("knowledge_base"))
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--add", action="append", default=[], metavar="FILE:QUESTION")
    parser.add_argument("--extra", type=Path, help="a folder of entry files to add to the knowledge base")
    parser.add_argument("--compare", default="", metavar="NAME=VALUE,...")
    args = parser.parse_args()
    settings = Settings.from_env()
    config = dataclasses.replace(AssistantConfig.load(settings.assistant_file).knowledge_base, fine_tune=True)
    changes = dict(pair.split("=") for pair in args.compare.split(",")) if args.compare else {}
    other = dataclasses.replace(config, **{name: float(value) for name, value in changes.items()})
    base = Encoder(settings.embedding_model, threads=2)
    questions = GENERAL + SPECIFIC
    seen: dict[str, list[tuple[float, float, str, str]]] = {q: [] for q in questions}
    with tempfile.TemporaryDirectory(prefix="kb-ambiguity-") as scratch:
        root = args.kb
        if args.add or args.extra:
            root = Path(scratch) / "kb"
            shutil.copytree(args.kb, root)
            if args.extra:
                shutil.copytree(args.extra, root, dirs_exist_ok=True)
            for spec in args.add:
                add_question(root, spec)
        for seed in (int(s) for s in args.seeds.split(",")):
            kb = KnowledgeBase(root, Path(scratch) / f"state-{seed}", base, config,
                               tuned_models=TunedModels(Path(scratch) / "models"), tuning="wait", seed=seed)
            for question in questions:
                ranked = list(kb.ask(question).ranked)
                seen[question].append((ranked[1].probability, ranked[0].probability - ranked[1].probability,
                                       _label(decide(ranked, config)), _label(decide(ranked, other))))
    print(f"{'question':36s} {'runner-up min..max':>18s} {'margin min..max':>16s}  decisions by seed"
          + (f" | with {args.compare}" if changes else ""))
    for kind, group in (("general", GENERAL), ("specific", SPECIFIC)):
        print(f"-- {kind}")
        for question in group:
            runner_up, margin, labels, others = zip(*seen[question])
            print(f"{question:36s} {min(runner_up):8.2f}..{max(runner_up):.2f} {min(margin):10.2f}..{max(margin):.2f}  "
                  + ", ".join(labels) + (" | " + ", ".join(others) if changes else ""))


if __name__ == "__main__":
    main()
