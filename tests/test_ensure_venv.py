"""scripts/ensure-venv.sh stops with one clear line when Python 3.10 is missing."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_DIR


def test_missing_python_310_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_DIR / "scripts" / "ensure-venv.sh", tmp_path / "scripts")
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    bin_dir = tmp_path / "bin"  # a PATH with the basic tools but no python3.10 and no pyenv
    bin_dir.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "dirname", "ls", "sort"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = subprocess.run(
        ["bash", "scripts/ensure-venv.sh"], cwd=tmp_path, env={"PATH": str(bin_dir)}, capture_output=True, text=True
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Python 3.10 not found" in lines[0] and "install" in lines[0]
    assert not (tmp_path / ".venv").exists()


def test_a_broken_venv_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_DIR / "scripts" / "ensure-venv.sh", tmp_path / "scripts")
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 1\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "dirname", "ls", "sort", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = subprocess.run(
        ["bash", "scripts/ensure-venv.sh"], cwd=tmp_path, env={"PATH": str(bin_dir)}, capture_output=True, text=True
    )
    assert "is broken or not Python 3.10; rebuilding" in proc.stdout
    assert not (tmp_path / ".venv").exists()  # removed; rebuilding then stops at the missing Python
    assert proc.returncode == 1
