"""Report-split figures for the development knowledge bases: fine-tuned (with the guard) vs untuned, side by side.

    python bench/few_kbs_table.py [--sets covidfaq,banking77_q1,...] [--variants tuned,untuned,no-evidence]
                                  [--out bench/out/few/table.jsonl]

Each (set, variant) is `frontdesk kb eval`'s `evaluate()` on OUT/<set>/report.csv with assistant.yml's
thresholds; the fine-tuned model and the index are kept in OUT/<set>/state (shared with
bench/calibrate_few.py, so the tuning is done once). Variants:
  tuned        as shipped: fine_tune on, the tuning guard choosing tuned or base
  untuned      fine_tune off: the base MiniLM
  no-evidence  as shipped but without answer passages (bot.kb.rows.ANSWER_EVIDENCE_UP_TO = 0)
  evidence-all as shipped but answer passages for every entry, however many questions (= 1000)
The few-questions sets are under bench/out/few (bench/make_few_kbs.py), the 10-question ones
(banking77, clinc150) under bench/out/dev (bench/make_dev_kbs.py). Prints a markdown table and
appends each result as a JSON line to --out.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from bot.config import AssistantConfig
from bot.config.settings import Settings
from bot.kb import rows as kb_rows
from bot.kb.encoder import Encoder
from bot.kb.evaluation import evaluate

FEW = ("covidfaq", "banking77_q1", "banking77_q3", "clinc150_q1", "clinc150_q3")
TEN = ("banking77", "clinc150")
EVIDENCE = {"no-evidence": 0, "evidence-all": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=Path, default=Path("bench/out/few"))
    parser.add_argument("--dev", type=Path, default=Path("bench/out/dev"))
    parser.add_argument("--sets", default=",".join(FEW))
    parser.add_argument("--variants", default="tuned,untuned")
    parser.add_argument("--split", default="report", choices=("report", "tune"), help="tune: the rows choices are made on")
    parser.add_argument("--out", type=Path, default=Path("bench/out/few/table.jsonl"))
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    shipped = AssistantConfig.load(settings.assistant_file).knowledge_base
    shipped_evidence = kb_rows.ANSWER_EVIDENCE_UP_TO
    print("| set | variant | top-1 | top-3 | answered right | wrong | clarified (right offered) | right served | "
          "out-of-scope answered | encoder | p50 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in [n for n in args.sets.split(",") if n]:
        folder = (args.few if name in FEW or (args.few / name).is_dir() else args.dev) / name
        for variant in [v for v in args.variants.split(",") if v]:
            kb_rows.ANSWER_EVIDENCE_UP_TO = EVIDENCE.get(variant, shipped_evidence)
            config = replace(shipped, fine_tune=variant != "untuned")
            m = evaluate(folder / "kb", folder / f"{args.split}.csv", encoder, config, state=folder / "state")
            verdict = m.get("tuning_guard") or {}
            model = "base (fine_tune off)" if variant == "untuned" else (
                f"tuned (guard: MRR {verdict['tuned']['mrr']:.3f} vs base {verdict['base']['mrr']:.3f})" if m["tuned"]
                else f"base (guard: MRR {verdict.get('tuned', {}).get('mrr', 0):.3f} vs base {verdict.get('base', {}).get('mrr', 0):.3f})")
            oos = f"{m['oos_answer_rate']:.3f}" if m["n_out_of_scope"] else "n/a"
            print(f"| {name} | {variant} | {m['top1_accuracy']:.3f} | {m['top3_accuracy']:.3f} | {m['answer_accuracy']:.3f} | "
                  f"{m['wrong_answer_rate']:.3f} | {m['clarify_rate']:.3f} ({m['clarify_hit_rate']:.3f}) | "
                  f"{m['served_right_rate']:.3f} | {oos} | {model} | {m['p50_ms']:.1f} |", flush=True)
            with args.out.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"set": name, "variant": variant, "split": args.split, **m}) + "\n")


if __name__ == "__main__":
    main()
