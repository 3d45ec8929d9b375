"""`frontdesk detect eval` on a small labelled file: exit code and the metrics JSON on the last line.

Uses the project's trained model (`make train` / `frontdesk train`; trained here if missing).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

MESSAGES = [
    ("get me a human right now", "escalate"),
    ("can I talk to a real person please", "escalate"),
    ("I want to speak to a member of your team", "escalate"),
    ("This is absolutely ridiculous, I am furious with you people!!!", "frustrated"),  # read as anger
    ("I'm so annoyed, you charged me twice AGAIN and nobody cares", "anger"),
    ("the treadmill in studio 2 stopped working halfway through my run", "problem"),
    ("my direct debit went out twice this month", "problem"),
    ("what time does the pool open on saturday", "calm"),
    ("how do I book a yoga class", "calm"),
    ("thanks, that's great", "calm"),
]


def frontdesk(*args: str, state: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false",
           "FRONTDESK_STATE_DIR": str(state), "FRONTDESK_MODELS_DIR": str(PROJECT_DIR / ".state" / "models")}
    return subprocess.run([sys.executable, "-m", "bot.ops.cli", *args], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=600, env=env)


def write(path: Path, rows, header=("text", "label")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_eval_prints_per_label_metrics_as_json_on_its_last_line(tmp_path: Path) -> None:
    details = tmp_path / "details.csv"
    result = frontdesk("detect", "eval", "--messages", str(write(tmp_path / "m.csv", MESSAGES)),
                       "--details", str(details), state=tmp_path / "state")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["messages"] == len(MESSAGES)
    assert "yoga class" not in result.stdout + result.stderr  # message texts are not logged
    for label, support in (("escalate", 3), ("anger", 2), ("problem", 2), ("calm", 3)):
        assert set(metrics[label]) == {"precision", "recall", "f1", "support"}
        assert metrics[label]["support"] == support
    assert "frustrated" not in metrics
    assert metrics["escalate"]["recall"] == 1.0 and metrics["calm_flagged_escalate"] == 0.0
    assert metrics["anger"]["recall"] == 1.0 and metrics["calm"]["recall"] == 1.0 and metrics["calm_flagged_anger"] == 0.0
    assert metrics["problem"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert metrics["problem_signal"]["support"] == 2 and metrics["problem_signal"]["recall"] == 1.0
    assert metrics["anger_at_offer"]["precision"] == 1.0 and metrics["anger_at_offer"]["support"] == 2
    # The NLU alone at the FallbackClassifier threshold (what a handover on the intent alone would do).
    assert metrics["nlu_rule"]["threshold"] == 0.45
    assert metrics["nlu_rule"]["escalate_recall"] == 1.0 and metrics["nlu_rule"]["calm_flagged"] == 0.0
    with details.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["predicted"] for r in rows] == [{"frustrated": "anger"}.get(label, label) for _, label in MESSAGES]
    assert float(rows[5]["problem"]) >= 0.46 > float(rows[7]["problem"])
    assert rows[0]["intent"] == "request_human"


def test_eval_refuses_an_unknown_label_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", [("hello", "calm"), ("grr", "angry")])
    result = frontdesk("detect", "eval", "--messages", str(path), state=tmp_path / "state")
    assert result.returncode == 1
    assert result.stderr.strip() == f"frontdesk: {path}:3: label 'angry' is not one of escalate, anger, frustrated, problem, calm"


def test_eval_refuses_a_file_without_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", [("hello", "calm")], header=("message", "label"))
    result = frontdesk("detect", "eval", "--messages", str(path), state=tmp_path / "state")
    assert result.returncode == 1 and "the header must include text,label" in result.stderr


def test_detect_eval_is_in_the_help() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.ops.cli", "--help"], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert "detect" in result.stdout and "frustration and escalation detection" in result.stdout
