import shutil
from pathlib import Path

import pytest

from bot.errors import TrainingError
from bot.config.settings import Settings
from bot.ops.training import ensure_trained, fingerprint
from tests.conftest import PROJECT_DIR


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "data", tmp_path / "data")
    return tmp_path


def test_fingerprint_is_stable_for_unchanged_inputs(project: Path) -> None:
    assert fingerprint(project) == fingerprint(project)


@pytest.mark.parametrize("path", ["config.yml", "domain.yml", "data/nlu/conversation.yml"])
def test_fingerprint_changes_when_a_training_input_changes(project: Path, path: str) -> None:
    before = fingerprint(project)
    with open(project / path, "a") as f:
        f.write("\n# edited\n")
    assert fingerprint(project) != before


def test_fingerprint_ignores_files_rasa_does_not_read(project: Path) -> None:
    before = fingerprint(project)
    (project / "data" / "notes.txt").write_text("not training data")
    (project / "README.md").write_text("docs")
    assert fingerprint(project) == before


def test_existing_model_for_these_inputs_is_reused_without_training(project: Path) -> None:
    settings = Settings.from_env({}, project_dir=project)
    expected = settings.models_dir / f"{fingerprint(project)}.tar.gz"
    expected.parent.mkdir(parents=True)
    expected.write_bytes(b"model")
    messages: list[str] = []
    assert ensure_trained(settings, echo=messages.append) == expected
    assert messages == []


def test_failed_training_is_one_line_with_rasa_error_and_log_path(project: Path) -> None:
    (project / "domain.yml").write_text("version: '3.1'\nintents: [greet\n")  # broken YAML
    settings = Settings.from_env({}, project_dir=project)
    with pytest.raises(TrainingError) as error:
        ensure_trained(settings, echo=lambda *a: None)
    message = str(error.value)
    assert "\n" not in message
    assert "training failed" in message and "train.log" in message
