"""Build the few-questions development knowledge bases (issue 20) from ../shared/data.

    python bench/make_few_kbs.py [--out bench/out/few] [--seed 7]

Writes, under OUT/<set>/: kb/<id>.md (one entry per intent or FAQ answer), tune.csv and
report.csv (`text,expected`, expected empty for out-of-scope). Figures are reported on
report.csv only; tune.csv is the only split anything may be chosen on.

  covidfaq       67 entries as the data has them: the FAQ question as title and only question,
                 the full answer text as the answer (the one answer with two FAQ questions is
                 one entry with both); the 1,387 user queries split in half (seeded) into tune
                 and report.
  banking77_q1   77 entries, 1 question each (seeded pick from train.csv); tune: 10 more per
  banking77_q3   intent; report: 1,540 more (20 per intent), disjoint from both. banking77 has
                 no answers: the intent's title is the answer text (so answer evidence adds
                 nothing there, by construction).
  clinc150_q1    150 entries, 1 / 3 questions each from `train`; tune: 10 more per intent from
  clinc150_q3    `train` + `oos_train` (100 out-of-scope); report: `val` (3,000) + `oos_val`
                 (100 out-of-scope). No answers either: the title is the answer text.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from make_dev_kbs import SHARED, entry_id, write_queries  # bench/ is on sys.path when run as a script


def write_entries(folder: Path, entries: dict[str, tuple[str, list[str], str]]) -> None:
    """entries: id -> (title, questions, answer); one markdown file each."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    for key, (title, questions, answer) in entries.items():
        lines = ["---", f"title: {json.dumps(title)}", "questions:"]
        lines += [f"  - {json.dumps(q)}" for q in questions]
        lines += ["---", "", answer.strip(), ""]
        (folder / f"{entry_id(key)}.md").write_text("\n".join(lines), encoding="utf-8")


def _by_intent(rows: list[tuple[str, str]], rng: random.Random) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        grouped[intent].append(text)
    for intent in sorted(grouped):
        rng.shuffle(grouped[intent])
    return {intent: grouped[intent] for intent in sorted(grouped)}


def _title(intent: str) -> str:
    return intent.replace("_", " ").capitalize()


def intent_sets(name: str, grouped: dict[str, list[str]], shots: int, tune_n: int, report_n: int | None):
    """(entries, tune rows, report rows or None) taking the first SHOTS, next TUNE_N, next REPORT_N of each intent."""
    entries, tune, report = {}, [], []
    for intent, texts in grouped.items():
        entries[intent] = (_title(intent), texts[:shots], f"{_title(intent)}.")  # no answer in the data: the title
        tune += [(t, intent) for t in texts[10:10 + tune_n]]  # from 10 on, whatever SHOTS, so q1 and q3 share splits
        if report_n is not None:
            report += [(t, intent) for t in texts[10 + tune_n:10 + tune_n + report_n]]
    return entries, tune, report


def covidfaq(out: Path, rng: random.Random) -> None:
    rows = json.loads((SHARED / "covidfaq" / "query_answer_pairs.json").read_text(encoding="utf-8"))
    entries: dict[str, tuple[str, list[str], str]] = {}
    by_answer: dict[str, str] = {}
    for row in rows:
        if row["query_type"] != "faq":
            continue
        answer, question = row["answer"].strip(), row["question"].strip()
        if answer in by_answer:
            entries[by_answer[answer]][1].append(question)
            continue
        key = f"faq_{len(entries) + 1:02d}"
        by_answer[answer] = key
        entries[key] = (question, [question], answer)
    queries = [(r["question"].strip(), by_answer[r["answer"].strip()]) for r in rows if r["query_type"] != "faq"]
    rng.shuffle(queries)
    half = len(queries) // 2
    write_entries(out / "kb", entries)
    write_queries(out / "tune.csv", queries[:half])
    write_queries(out / "report.csv", queries[half:])


def banking77(out: Path, shots: int, rng: random.Random) -> None:
    import csv

    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    entries, tune, report = intent_sets("banking77", _by_intent(rows, rng), shots, tune_n=10, report_n=20)
    write_entries(out / "kb", entries)
    write_queries(out / "tune.csv", tune)
    write_queries(out / "report.csv", report)


def clinc150(out: Path, shots: int, rng: random.Random) -> None:
    data = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    entries, tune, _ = intent_sets("clinc150", _by_intent([tuple(r) for r in data["train"]], rng), shots,
                                   tune_n=10, report_n=None)
    tune += [(text, "") for text, _ in data["oos_train"]]
    report = [tuple(r) for r in data["val"]] + [(text, "") for text, _ in data["oos_val"]]
    write_entries(out / "kb", entries)
    write_queries(out / "tune.csv", tune)
    write_queries(out / "report.csv", report)


SETS = ("covidfaq", "banking77_q1", "banking77_q3", "clinc150_q1", "clinc150_q3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/few"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    covidfaq(args.out / "covidfaq", random.Random(args.seed))
    for shots in (1, 3):  # the same seed: the 3-question entries extend the 1-question ones
        banking77(args.out / f"banking77_q{shots}", shots, random.Random(args.seed))
        clinc150(args.out / f"clinc150_q{shots}", shots, random.Random(args.seed))
    print(f"wrote {', '.join(f'{args.out}/{name}' for name in SETS)}")


if __name__ == "__main__":
    main()
