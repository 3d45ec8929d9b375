"""Build the detection evaluation files from the shared data sets.

    python bench/make_detect_data.py [--out bench/out]

Writes (CSV `text,label`, labels escalate | frustrated | calm):

  bench/data/calm_customers.csv   200 banking77 + 200 clinc150 training questions (calm
                                  service questions; rows asking who to talk to are left out)
  <out>/goemotions_dev.csv        GoEmotions dev, mapped (see GOEMOTIONS_* below)
  <out>/goemotions_dev_strict.csv GoEmotions dev, every non-frustrated row calm
  <out>/detect_dev.csv            goemotions_dev + bench/data/requests_heldout.csv + calm_customers

GoEmotions mapping (labels.txt order; a row may carry several emotions):
  frustrated  any of anger, annoyance, disappointment, disgust among the row's labels
  calm        none of those and none of OTHER_NEGATIVE (neutral, positive, ambiguous emotions)
  left out    rows whose labels include OTHER_NEGATIVE but no frustration emotion
              (sad, afraid, embarrassed ... customers: not calm, not the frustration class);
              the strict file counts them as calm instead.
The same mapping, applied to the train split, is what scripts/train_frustration.py trains on.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def shared_data() -> Path:
    """../shared/data next to the project (SHARED_DATA overrides; a git worktree looks one level up)."""
    override = os.environ.get("SHARED_DATA", "").strip()
    if override:
        return Path(override)
    candidates = [PROJECT.parent / "shared" / "data", PROJECT.parent.parent / "shared" / "data"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


SHARED = shared_data()
DATA = Path(__file__).resolve().parent / "data"
FRUSTRATION = {"anger", "annoyance", "disappointment", "disgust"}
OTHER_NEGATIVE = {"disapproval", "sadness", "fear", "grief", "nervousness", "embarrassment", "remorse"}
ASKS_FOR_PERSON = re.compile(
    r"\b(talk|speak)\b.{0,20}\b(someone|somebody|person|human|representative|agent)\b"
    r"|\bwho (do|should|must|can|could) i (talk|speak)|\brepresentative\b",
    re.IGNORECASE,
)


def emotion_names(shared: Path = SHARED) -> list[str]:
    """GoEmotions' 28 labels, in the order the label numbers refer to."""
    return (shared / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()


def goemotions_rows(split: str, shared: Path = SHARED) -> list[tuple[str, set[str], str]]:
    """(text, emotion names, comment id) for every row of a GoEmotions split (train or dev)."""
    folder = shared / "goemotions"
    names = emotion_names(shared)
    rows = []
    with (folder / f"{split}.tsv").open(encoding="utf-8", newline="") as f:
        for text, labels, comment_id in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((text, {names[int(i)] for i in labels.split(",")}, comment_id))
    return rows


def goemotions_label(emotions: set[str], strict: bool = False) -> str | None:
    """frustrated, calm, or None (left out) for one row's emotions."""
    if emotions & FRUSTRATION:
        return "frustrated"
    if emotions & OTHER_NEGATIVE and not strict:
        return None
    return "calm"


def calm_customers(shared: Path = SHARED, per_source: int = 200, seed: int = 6) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    with (shared / "banking77" / "train.csv").open(encoding="utf-8", newline="") as f:
        banking = [r["text"] for r in csv.DictReader(f)]
    clinc = json.loads((shared / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    clinc_texts = [t for t, _ in clinc["train"] + clinc["oos_train"]]
    picked = []
    for source, texts in (("banking77", banking), ("clinc150", clinc_texts)):
        pool = sorted({t.strip() for t in texts if t.strip() and not ASKS_FOR_PERSON.search(t)})
        picked += [(t, source) for t in rng.sample(pool, per_source)]
    return picked


def write_csv(path: Path, rows, header=("text", "label")) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    calm = calm_customers()
    write_csv(DATA / "calm_customers.csv", [(t, "calm", s) for t, s in calm], header=("text", "label", "source"))
    dev = goemotions_rows("dev")
    mapped = [(t, goemotions_label(e)) for t, e, _ in dev]
    mapped = [(t, label) for t, label in mapped if label]
    write_csv(args.out / "goemotions_dev.csv", mapped)
    write_csv(args.out / "goemotions_dev_strict.csv", [(t, goemotions_label(e, strict=True)) for t, e, _ in dev])
    with (DATA / "requests_heldout.csv").open(encoding="utf-8", newline="") as f:
        requests = [(r["text"], r["label"]) for r in csv.DictReader(f)]
    write_csv(args.out / "detect_dev.csv", mapped + requests + [(t, "calm") for t, _ in calm])
    counts = {name: sum(1 for _, label in mapped if label == name) for name in ("frustrated", "calm")}
    print(f"goemotions dev: {counts} ({len(dev) - len(mapped)} left out); requests {len(requests)}; calm customers {len(calm)}")


if __name__ == "__main__":
    main()
