"""The core never depends on the edges: bot/ imports neither channels/ nor actions/,
and channels/ and actions/ do not import each other."""

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

FORBIDDEN = {"bot": {"channels", "actions"}, "channels": {"actions"}, "actions": {"channels"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_layers(package: str) -> None:
    offenders = {
        str(path.relative_to(PROJECT_DIR)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (PROJECT_DIR / package).rglob("*.py")
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}
