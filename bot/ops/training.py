"""Train the Rasa model only when its inputs change.

The model's name is a fingerprint of config.yml, domain.yml and data/, so a
model under `<state>/models/<fingerprint>.tar.gz` is by construction the one
for the current files, and an unchanged project starts without training.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

from bot.errors import TrainingError
from bot.config import Settings

TRAINING_INPUTS = ("config.yml", "domain.yml", "data")


def training_files(project_dir: Path) -> list[Path]:
    """Every file Rasa reads to train, in a stable order."""
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = project_dir / name
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"}))
        elif path.exists():
            files.append(path)
    return files


def fingerprint(project_dir: Path) -> str:
    """Hash of the training inputs' relative paths and contents (16 hex digits)."""
    digest = hashlib.sha256()
    for path in training_files(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if any(word in line for word in ("Error", "error", "Invalid", "invalid", "failed")):
            return line[:300]
    return lines[-1][:300] if lines else "no output"


def ensure_trained(settings: Settings, force: bool = False, echo=print) -> Path:
    """Return the model for the current training data, training it if needed.

    Raises TrainingError with Rasa's own error line and the log's path when
    training fails. Training output goes to `<state>/logs/train.log`.
    """
    name = fingerprint(settings.project_dir)
    target = settings.models_dir / f"{name}.tar.gz"
    if target.exists() and not force:
        return target
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.state_dir / "logs" / "train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    echo(f"Training the assistant (inputs changed; fingerprint {name}) ...")
    started = time.monotonic()
    cmd = [
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", name,
    ]
    proc = subprocess.run(cmd, cwd=settings.project_dir, capture_output=True, text=True)
    log_path.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not target.exists():
        raise TrainingError(
            f"training failed: {_last_error_line(proc.stdout + proc.stderr)} "
            f"(fix config.yml/domain.yml/data and rerun; full log: {log_path})"
        )
    echo(f"Trained in {time.monotonic() - started:.0f} s: {target}")
    return target
