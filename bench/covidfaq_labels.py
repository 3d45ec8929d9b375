"""How consistently covidfaq's customer queries are labelled: the same words, different entries.

    python bench/covidfaq_labels.py [--few bench/out/few]

Reads OUT/covidfaq/{tune,report}.csv (bench/make_few_kbs.py) and prints, with texts compared
case-insensitively without end punctuation: how many distinct query texts carry two or more
different entries; how many report rows have a text that is also a tune row, and how many of
those the tune split labels only with other entries; and the best top-1 any ranker could reach
on the report split (one entry per text: each text's most frequent label), an upper bound
that ignores near-duplicates. bench/README.md ("few questions per entry") reads these figures.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from pathlib import Path


def _text(text: str) -> str:
    return text.strip().lower().rstrip("?. ")


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(_text(r["text"]), r["expected"]) for r in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=Path, default=Path("bench/out/few"))
    args = parser.parse_args()
    tune, report = read(args.few / "covidfaq" / "tune.csv"), read(args.few / "covidfaq" / "report.csv")
    labels: dict[str, Counter] = defaultdict(Counter)
    for text, entry in tune + report:
        labels[text][entry] += 1
    conflicting = [t for t, c in labels.items() if len(c) > 1]
    print(f"rows {len(tune) + len(report)}, distinct texts {len(labels)}, texts with two or more entries "
          f"{len(conflicting)} ({sum(sum(labels[t].values()) for t in conflicting)} rows)")
    in_tune: dict[str, set[str]] = defaultdict(set)
    for text, entry in tune:
        in_tune[text].add(entry)
    shared = [(t, e) for t, e in report if t in in_tune]
    print(f"report rows whose text is a tune row: {len(shared)}; labelled only with other entries in tune: "
          f"{sum(e not in in_tune[t] for t, e in shared)}")
    on_report: dict[str, Counter] = defaultdict(Counter)
    for text, entry in report:
        on_report[text][entry] += 1
    best = sum(c.most_common(1)[0][1] for c in on_report.values())
    print(f"report split: {len(report)} rows, {len(on_report)} distinct texts; best possible top-1 with one entry per "
          f"text {best / len(report):.3f}")


if __name__ == "__main__":
    main()
