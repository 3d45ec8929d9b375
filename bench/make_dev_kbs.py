"""Build development knowledge bases and query files from ../shared/data.

    python bench/make_dev_kbs.py [--shots 10] [--out bench/out/dev]

For each data set it writes, under OUT/<name>/:
  kb/<intent>.md      one entry per intent, its first SHOTS questions (seeded shuffle)
  tune.csv            text,expected rows used to calibrate thresholds
  report.csv          text,expected rows that figures are reported on (never tuned on)
Expected is the entry id, or empty for out-of-scope queries.

banking77: 10 questions per intent from train.csv; the remaining rows are split
in half by a seeded shuffle into tune and report. clinc150: 10 per intent from
`train`, tune = rest of `train` (sampled) + `oos_train`, report = `val` + `oos_val`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

# ../shared/data beside the checkout (a worktree may sit one folder deeper)
SHARED = next((p / "shared" / "data" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
              Path(__file__).resolve().parents[2] / "shared" / "data")


def entry_id(intent: str) -> str:
    """A valid entry id for an intent name (banking77 has 'reverted_card_payment?')."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", intent).strip("_")


def write_kb(folder: Path, shots: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for intent, questions in shots.items():
        title = intent.replace("_", " ").capitalize()
        lines = ["---", f"title: {json.dumps(title)}", "questions:"]
        lines += [f"  - {json.dumps(q)}" for q in questions]
        lines += ["---", "", f"Answer for {title.lower()}.", ""]
        (folder / f"{entry_id(intent)}.md").write_text("\n".join(lines), encoding="utf-8")


def write_queries(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "expected"])
        writer.writerows((text, entry_id(expected) if expected else "") for text, expected in rows)


def split_shots(rows: list[tuple[str, str]], shots: int, rng: random.Random):
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        by_intent[intent].append(text)
    kb, rest = {}, []
    for intent in sorted(by_intent):
        texts = by_intent[intent][:]
        rng.shuffle(texts)
        kb[intent] = texts[:shots]
        rest += [(t, intent) for t in texts[shots:]]
    return kb, rest


def banking77(out: Path, shots: int, rng: random.Random) -> None:
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    kb, rest = split_shots(rows, shots, rng)
    rng.shuffle(rest)
    half = len(rest) // 2
    write_kb(out / "kb", kb)
    write_queries(out / "tune.csv", rest[:half])
    write_queries(out / "report.csv", rest[half:])


def clinc150(out: Path, shots: int, rng: random.Random, tune_per_intent: int = 20) -> None:
    data = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    kb, rest = split_shots([tuple(r) for r in data["train"]], shots, rng)
    by_intent: dict[str, list] = defaultdict(list)
    for text, intent in rest:
        by_intent[intent].append((text, intent))
    tune = [row for intent in sorted(by_intent) for row in by_intent[intent][:tune_per_intent]]
    tune += [(text, "") for text, _ in data["oos_train"]]
    report = [tuple(r) for r in data["val"]] + [(text, "") for text, _ in data["oos_val"]]
    write_kb(out / "kb", kb)
    write_queries(out / "tune.csv", tune)
    write_queries(out / "report.csv", report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("bench/out/dev"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    banking77(args.out / "banking77", args.shots, random.Random(args.seed))
    clinc150(args.out / "clinc150", args.shots, random.Random(args.seed))
    print(f"wrote {args.out}/banking77 and {args.out}/clinc150")


if __name__ == "__main__":
    main()
