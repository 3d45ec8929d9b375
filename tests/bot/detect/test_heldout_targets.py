"""Issue 22's targets on the held-apart in-domain rows, as `frontdesk detect eval` measures them.

bench/data/sclub_heldout.csv (S-Club-style messages written before any tuning, never tuned on) and
bench/data/calm_customers.csv (banking77/clinc150 calm questions) in one run; the metrics are read
per file from the details. The whole split (bench/data/service_heldout.csv) and the figures are in
bench/README.md. Uses the project's trained model (trained here if missing).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bot.config import AssistantConfig
from bot.detect.evaluation import metrics
from tests.bot.detect.test_cli import frontdesk, write
from tests.conftest import PROJECT_DIR

DATA = PROJECT_DIR / "bench" / "data"


def rows(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f)]


def test_the_held_apart_rows_meet_the_targets(tmp_path: Path) -> None:
    sclub, calm = rows("sclub_heldout.csv"), rows("calm_customers.csv")
    details = tmp_path / "details.csv"
    result = frontdesk("detect", "eval", "--messages", str(write(tmp_path / "m.csv", sclub + calm)),
                       "--details", str(details), state=tmp_path / "state")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["messages"] == len(sclub) + len(calm)
    with details.open(newline="", encoding="utf-8") as f:
        predicted = list(csv.DictReader(f))
    high = AssistantConfig.load(PROJECT_DIR / "assistant.yml").detection.high  # the score that offers a person
    part = predicted[:len(sclub)]
    found = metrics([r["label"] for r in part], [r["predicted"] for r in part], [float(r["score"]) >= high for r in part])
    assert found["problem"]["f1"] >= 0.80, found["problem"]
    assert found["anger_at_offer"]["precision"] >= 0.85, found["anger_at_offer"]
    assert found["escalate"]["recall"] >= 0.95 and found["calm_flagged_escalate"] <= 0.01, found["escalate"]
    customers = predicted[len(sclub):]
    assert sum(r["predicted"] == "anger" for r in customers) / len(customers) <= 0.01
    assert sum(r["predicted"] == "escalate" for r in customers) / len(customers) <= 0.01
