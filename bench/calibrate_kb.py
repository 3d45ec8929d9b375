"""Calibrate the knowledge-base decision thresholds on the development tune splits.

    python bench/calibrate_kb.py [--dev bench/out/dev] [--max-wrong 0.035] [--max-oos 0.05] [--max-oos-clarify 0.2]
                                 [--fix answer_runner_up=0.2 ...]

Ranks every tune query once per data set (banking77, clinc150; made by
bench/make_dev_kbs.py), then searches a grid of DecisionConfig values for the
one that maximises the lower of the two answer accuracies (then their sum, then
fewest in-scope questions falling back) while keeping each wrong-answer rate and
the out-of-scope answer rate under the limits (set inside the targets, since the
report split is unseen: clinc150's 100 out-of-scope tune rows make that rate
coarse) and clarifying at most --max-oos-clarify of the out-of-scope rows. Prints the best
settings as the YAML to put under `knowledge_base:` in assistant.yml, and the
tune-split metrics. The report split is never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

from bot.kb.decide import DecisionConfig, decide
from bot.kb.encoder import Encoder
from bot.kb.entries import load_entries
from bot.kb.evaluation import read_queries, score
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedModels
from bot.config import AssistantConfig
from bot.config.settings import Settings

GRID = {
    "answer_confidence": [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8],
    "answer_margin": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
    "answer_runner_up": [1.0, 0.3, 0.25, 0.2, 0.15],
    "answer_similarity": [0.4, 0.45, 0.5, 0.55, 0.6],
    "clarify_similarity": [0.3, 0.35, 0.4, 0.45, 0.5],
    "clarify_confidence": [0.02, 0.05, 0.1],
}


def ranked_queries(dev: Path, name: str, encoder: Encoder, config: DecisionConfig):
    """The tune rows and each one's ranking, as `frontdesk kb eval` makes them (fine-tuned when configured).

    The index and the tuned model are kept in OUT/<name>/state, so a second
    run (and `kb eval --state` on the same folder) does not tune again.
    """
    rows = read_queries(dev / name / "tune.csv")
    state = dev / name / "state"
    kb = KnowledgeBase(dev / name / "kb", state / "kb", encoder, config,
                       tuned_models=TunedModels(state / "models" / "kb-tuned"), tuning="wait")
    print(f"{name}: {len(kb.snapshot)} entries, {'tuned' if kb.tuned else 'base'} encoder, tuning {kb.last_tuning}", flush=True)
    vectors = kb.snapshot.encoder.encode([r.text for r in rows], batch_size=128)
    return rows, [kb.snapshot.rank(v, limit=5) for v in vectors]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=Path("bench/out/dev"))
    parser.add_argument("--max-wrong", type=float, default=0.035)
    parser.add_argument("--max-oos", type=float, default=0.05)
    parser.add_argument("--max-oos-clarify", type=float, default=0.2)
    parser.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                        help="pin one setting instead of searching it (repeatable)")
    args = parser.parse_args()
    for pinned in args.fix:
        name, _, value = pinned.partition("=")
        if name not in GRID:
            parser.error(f"--fix {pinned}: {name} is not one of {', '.join(GRID)}")
        GRID[name] = [float(value)]
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=2)
    base = AssistantConfig.load(settings.assistant_file).knowledge_base
    data = {name: ranked_queries(args.dev, name, encoder, base) for name in ("banking77", "clinc150")}
    best = None
    for values in itertools.product(*GRID.values()):
        config = replace(base, **dict(zip(GRID, values)))
        if config.clarify_similarity > config.answer_similarity:
            continue
        metrics = {name: score(rows, ranked, [decide(r, config) for r in ranked]) for name, (rows, ranked) in data.items()}
        if any(m["wrong_answer_rate"] > args.max_wrong for m in metrics.values()):
            continue
        if metrics["clinc150"]["oos_answer_rate"] > args.max_oos:
            continue
        if metrics["clinc150"]["oos_clarify_rate"] > args.max_oos_clarify:
            continue
        accuracies = [m["answer_accuracy"] for m in metrics.values()]
        in_scope_fallbacks = sum(1 - m["answer_accuracy"] - m["wrong_answer_rate"] - m["clarify_rate"] for m in metrics.values())
        objective = (min(accuracies), sum(accuracies), -round(in_scope_fallbacks, 4))
        if best is None or objective > best[0]:
            best = (objective, config, metrics)
    if best is None:
        print("no setting meets the limits; loosen --max-wrong / --max-oos")
        return
    _, config, metrics = best
    print_settings(config, metrics, GRID, "bench/calibrate_kb.py")


def print_settings(config: DecisionConfig, metrics: dict, grid: dict, by: str) -> None:
    """The chosen settings as YAML for assistant.yml's `knowledge_base:`, then each data set's metrics."""
    print(f"knowledge_base:  # calibrated by {by}")
    for key in grid:
        print(f"  {key}: {getattr(config, key)}")
    for name, m in metrics.items():
        print(name, json.dumps(m))


if __name__ == "__main__":
    main()
