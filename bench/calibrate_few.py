"""Calibrate the few-questions thresholds (answer_confidence_one, answer_similarity_one, clarify_similarity_one) on tune splits.

    python bench/calibrate_few.py [--few bench/out/few] [--dev bench/out/dev] [--max-wrong 0.03] [--max-oos 0.06]
                                  [--max-oos-clarify 0.2]

Ranks every tune row of the few-questions sets (bench/make_few_kbs.py) and of the 10-question
sets (bench/make_dev_kbs.py) as `frontdesk kb eval` does (fine-tuned when assistant.yml says
so, the tuning guard deciding), keeping the ranking in OUT/<set>/ranked-tune-<recipe>.pkl, then
searches answer_confidence_one x answer_similarity_one x clarify_similarity_one with every other
setting as assistant.yml has it: the values that maximise the sum of the sets' answer accuracies,
then the lowest served-right rate (answered right + clarified with the right entry), with wrong
answers <= --max-wrong on every set, out-of-scope answers <= --max-oos and out-of-scope questions
offered choices <= --max-oos-clarify (bench/calibrate_kb.py's limit) on the clinc150 sets. (Maximising the served-
right rate first picks thresholds that clarify nearly everything: a clarification offers three
entries, so it holds the right one more often than an answer does.) The 10-question sets are
unchanged by these two settings (their entries are at questions_full); they are printed to show
it. Report splits are never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import pickle
from dataclasses import replace
from pathlib import Path

from calibrate_kb import print_settings, ranked_queries  # bench/ is on sys.path when run as a script

from bot.config import AssistantConfig
from bot.config.settings import Settings
from bot.kb import index as kb_index, rows as kb_rows, tune as kb_tune
from bot.kb.decide import decide
from bot.kb.encoder import Encoder
from bot.kb.evaluation import score

FEW = ("covidfaq", "banking77_q1", "banking77_q3", "clinc150_q1", "clinc150_q3")
TEN = ("banking77", "clinc150")
GRID = {
    "answer_confidence_one": [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    "answer_similarity_one": [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85],
    "clarify_similarity_one": [0.2, 0.25, 0.3, 0.35, 0.4],
}


def cached_ranking(folder: Path, name: str, encoder: Encoder, config):
    """The tune rows ranked as served; cached per ranking recipe (what is embedded, how the encoder is tuned)."""
    recipe = hashlib.sha256(f"{kb_index.RECIPE}\0{kb_rows.ANSWER_EVIDENCE_UP_TO}\0{kb_tune.RECIPE}".encode()).hexdigest()[:8]
    path = folder / name / f"ranked-tune-{recipe}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    rows, ranked = ranked_queries(folder, name, encoder, config)
    path.write_bytes(pickle.dumps((rows, ranked)))
    return rows, ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=Path, default=Path("bench/out/few"))
    parser.add_argument("--dev", type=Path, default=Path("bench/out/dev"))
    parser.add_argument("--max-wrong", type=float, default=0.03)
    parser.add_argument("--max-oos", type=float, default=0.06)
    parser.add_argument("--max-oos-clarify", type=float, default=0.2)
    parser.add_argument("--sets", default=",".join(FEW + TEN))
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    shipped = AssistantConfig.load(settings.assistant_file).knowledge_base
    names = [n for n in args.sets.split(",") if n]
    data = {name: cached_ranking(args.few if name in FEW else args.dev, name, encoder, shipped) for name in names}
    best = None
    for values in itertools.product(*GRID.values()):
        config = replace(shipped, **dict(zip(GRID, values)))
        metrics = {name: score(rows, ranked, [decide(r, config) for r in ranked]) for name, (rows, ranked) in data.items()}
        if any(m["wrong_answer_rate"] > args.max_wrong for m in metrics.values()):
            continue
        if any(m["oos_answer_rate"] > args.max_oos or m["oos_clarify_rate"] > args.max_oos_clarify
               for name, m in metrics.items() if name.startswith("clinc150")):
            continue
        objective = (round(sum(m["answer_accuracy"] for m in metrics.values()), 4), min(m["served_right_rate"] for m in metrics.values()))
        if best is None or objective > best[0]:
            best = (objective, config, metrics)
    if best is None:
        print("no setting meets the limits; loosen --max-wrong / --max-oos")
        for name, (rows, ranked) in data.items():
            strict = replace(shipped, **{k: v[-1] for k, v in GRID.items()})
            print(name, "strictest:", json.dumps(score(rows, ranked, [decide(r, strict) for r in ranked])))
        return
    _, config, metrics = best
    print_settings(config, metrics, GRID, "bench/calibrate_few.py")


if __name__ == "__main__":
    main()
