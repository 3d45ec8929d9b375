"""What the learning loop could reach, and what the decision makes of it (bench/README.md, issue 21).

    .venv/bin/python bench/learn_ceiling.py build OUT_KB --kb KB --traffic TUNE.csv [--details SIM.csv] [--per-entry K]
    .venv/bin/python bench/learn_ceiling.py oracle EVAL_DETAILS.csv [--wrong 0.03]

`build` copies KB to OUT_KB and adds wordings to their entries with the assistant's own markdown edit
(`bot.learn.add_question`): every labelled row of TUNE.csv (perfect recall, no noise: the ceiling), or with
`--details` the rows a `kb simulate --details` run applied (the learned knowledge base, rebuilt); `--per-entry K`
adds at most the first K rows per entry (how many questions an entry needs, issue 20). Score it with
`frontdesk kb eval --kb OUT_KB --queries REPORT.csv --details EVAL_DETAILS.csv`.

`oracle` reads such a details CSV and prints the decision's answer accuracy and wrong answers, and the best
answer accuracy any single probability threshold reaches at or below `--wrong` wrong answers, the threshold
chosen on those very rows (an upper bound for a one-threshold decision, not a tuned setting).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kb import load_entries  # noqa: E402
from bot.learn import EditError, add_question  # noqa: E402


def build(out: Path, kb: Path, traffic: Path, details: Path | None, per_entry: int | None = None) -> int:
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(kb, out)
    paths = {e.id: out / e.path for e in load_entries(out).entries}
    with (details or traffic).open(newline="", encoding="utf-8") as f:
        if details:
            rows = [(r["text"], r["picked"]) for r in csv.DictReader(f) if r["applied"] == "yes"]
        else:
            rows = [(r["text"], r["expected"]) for r in csv.DictReader(f) if r["expected"]]
    seen, added, counts = set(), 0, {}
    for text, entry in rows:
        text = " ".join(text.split())
        if per_entry is not None and counts.get(entry, 0) >= per_entry:
            continue
        if (text.lower(), entry) not in seen:
            counts[entry] = counts.get(entry, 0) + 1
            seen.add((text.lower(), entry))
            try:
                add_question(paths[entry], text)
            except EditError:  # the entry has that question already (an editor's wording a customer used too)
                continue
            added += 1
    print(f"{out}: added {added} questions")
    return 0


def oracle(details: Path, limit: float) -> int:
    with details.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["expected"]]
    n = len(rows)
    right = sum(r["decision"] == "answer" and r["answered_id"] == r["expected"] for r in rows)
    wrong = sum(r["decision"] == "answer" and r["answered_id"] != r["expected"] for r in rows)
    ranked = sorted(((float(r["top_score"] or 0), r["candidates"].split("|")[0] == r["expected"]) for r in rows),
                    reverse=True)
    best, hits, misses = (1.0, 0.0, 0.0), 0, 0
    for probability, ok in ranked:
        hits, misses = hits + ok, misses + (not ok)
        if misses / n > limit:
            break
        best = (probability, hits / n, misses / n)
    print(f"{details}: decision answer accuracy {right / n:.4f}, wrong {wrong / n:.4f}; top-1 "
          f"{sum(ok for _, ok in ranked) / n:.4f}; best single threshold at wrong <= {limit}: "
          f"{best[0]:.3f} -> answer accuracy {best[1]:.4f}, wrong {best[2]:.4f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build")
    make.add_argument("out", type=Path)
    make.add_argument("--kb", type=Path, required=True)
    make.add_argument("--traffic", type=Path, required=True)
    make.add_argument("--details", type=Path)
    make.add_argument("--per-entry", type=int)
    best = commands.add_parser("oracle")
    best.add_argument("details", type=Path)
    best.add_argument("--wrong", type=float, default=0.03)
    args = parser.parse_args()
    if args.command == "build":
        return build(args.out, args.kb, args.traffic, args.details, args.per_entry)
    return oracle(args.details, args.wrong)


if __name__ == "__main__":
    sys.exit(main())
