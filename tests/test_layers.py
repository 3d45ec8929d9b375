"""Who may import whom.

- The core never depends on the edges: bot/ imports neither channels/ nor actions/, and
  channels/ and actions/ do not import each other.
- Vendor SDKs (twilio, telegram) are imported only in bot/vendors/ and channels/.
- bot/ is in rooms (bot/<room>/); code outside a room uses the room's surface (`from bot.kb import X`,
  names in its `__all__`) or one of its public modules (`_MODULES`), never its private modules.
- Every name a room declares resolves, and no module grows past 400 lines.
- Each process is assembled in one place: the settings are read (`Settings.from_env`) and a database
  opened (`open_database`) only in the process roots, the environment is read only by bot/config/settings.py,
  and actions/ and channels/ build nothing at import time (docs/architecture.md).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

FORBIDDEN = {"bot": {"channels", "actions"}, "channels": {"actions"}, "actions": {"channels"}}
VENDOR_SDKS = {"twilio", "telegram"}
VENDOR_ROOMS = ("bot/vendors/", "channels/")
MAX_LINES = 400
ROOMS = sorted(p.parent.name for p in (PROJECT_DIR / "bot").glob("*/__init__.py"))


def sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (PROJECT_DIR / package).rglob("*.py"))


def imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in imports(path):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_DIR))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_layers(package: str) -> None:
    offenders = {relative(path): sorted(imported_packages(path) & FORBIDDEN[package]) for path in sources(package)}
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_vendor_sdks_are_imported_only_in_the_vendors_room_and_the_channels() -> None:
    offenders = {relative(path): sorted(imported_packages(path) & VENDOR_SDKS)
                 for path in sources("bot", "actions", "channels") if not relative(path).startswith(VENDOR_ROOMS)}
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def room_of(path: Path) -> str | None:
    parts = path.relative_to(PROJECT_DIR).parts
    return parts[1] if parts[0] == "bot" and len(parts) > 2 else None


def test_rooms_are_entered_through_their_surface() -> None:
    public_modules = {room: set(importlib.import_module(f"bot.{room}")._MODULES) for room in ROOMS}
    offenders = []
    for path in sources("bot", "actions", "channels"):
        for node in imports(path):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                parts = module.split(".")
                if parts[0] != "bot" or len(parts) < 3 or parts[1] not in ROOMS or room_of(path) == parts[1]:
                    continue
                if parts[2] not in public_modules[parts[1]]:
                    offenders.append(f"{relative(path)}:{node.lineno} imports {module}")
    assert offenders == []


@pytest.mark.parametrize("room", ROOMS)
def test_every_name_a_room_declares_resolves(room: str) -> None:
    package = importlib.import_module(f"bot.{room}")
    assert package.__all__, f"bot/{room}/__init__.py declares no __all__"
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_bot_is_rooms_and_a_few_shared_modules() -> None:
    loose = sorted(p.name for p in (PROJECT_DIR / "bot").glob("*.py"))
    assert loose == ["__init__.py", "errors.py"]


def test_no_module_is_over_400_lines() -> None:
    long = {relative(p): n for p in sources("bot", "actions", "channels")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


# --- one composition root per process (bot/ops/rasa_process.py, bot/ops/action_process.py) ---

# Where the settings may be read from the environment and a database opened: the processes' roots.
ROOTS = {
    "Settings.from_env": {
        "bot/ops/rasa_process.py": "the Rasa server process",
        "bot/ops/action_server.py": "the action server process",
        "bot/ops/cli.py": "each `frontdesk` command (its own process; `run` is the supervisor)",
        "bot/agents/commands.py": "the `frontdesk agents` commands",
        "bot/privacy/commands.py": "the `frontdesk privacy` commands",
        "bot/responses/commands.py": "the `frontdesk responses check` command",
        "bot/learn/commands.py": "the `frontdesk kb suggestions` and `kb simulate` commands",
    },
    "open_database": {
        "bot/ops/rasa_process.py": "the Rasa server process: its one engine",
        "bot/ops/action_process.py": "the action server process: its one engine",
        "bot/ops/cli.py": "`frontdesk crm status`",
        "bot/ops/channels_config.py": "the supervisor's start-up banner (is an agent account active?)",
        "bot/agents/commands.py": "the `frontdesk agents` commands",
        "bot/privacy/commands.py": "the `frontdesk privacy` commands (an existing database only)",
        "bot/learn/commands.py": "the `frontdesk kb suggestions` commands",
    },
}
# The environment is read by bot/config/settings.py only; everything else is handed the Settings.
ENVIRONMENT_READERS = {
    "bot/config/settings.py": "the one reader",
    "bot/detect/evaluation.py": "quiets TensorFlow's log (setdefault) before `frontdesk detect eval` loads Rasa",
}


def calls(path: Path) -> list[tuple[str, int]]:
    """(dotted name, line) of every call in `path`: `Settings.from_env`, `open_database`, `os.environ.get` ..."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        target = node.func if isinstance(node, ast.Call) else node if isinstance(node, ast.Attribute) else None
        parts = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            found.append((".".join([target.id, *reversed(parts)]), node.lineno))
    return found


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_settings_are_read_and_databases_opened_only_in_the_process_roots(name: str) -> None:
    offenders = [f"{relative(path)}:{line}" for path in sources("bot", "actions", "channels")
                 for called, line in calls(path) if (called == name or called.endswith("." + name))
                 and relative(path) not in ROOTS[name]]
    assert offenders == []


def test_only_the_settings_read_the_environment() -> None:
    offenders = [f"{relative(path)}:{line} {called}" for path in sources("bot", "actions", "channels")
                 for called, line in calls(path) if called.startswith(("os.environ", "os.getenv"))
                 and relative(path) not in ENVIRONMENT_READERS]
    assert offenders == []


# Module-level calls allowed in actions/ and channels/: constants, loggers, paths. Anything else there would
# build a service (or a cache of one) at import time instead of being handed it by the process's root.
IMPORT_TIME_CALLS = {"logging.getLogger", "Path", "Path.with_name", "re.compile", "frozenset", "set", "dict", "tuple",
                     "TypeVar", "dataclass", "field", "staticmethod", "classmethod", "property"}


def test_actions_and_channels_build_nothing_at_import_and_cache_no_services() -> None:
    offenders = []
    for path in sources("actions", "channels"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for statement in tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = getattr(statement, "decorator_list", [])
                offenders += [f"{relative(path)}:{d.lineno} @{ast.unparse(d)}" for d in decorators
                              if "cache" in ast.unparse(d)]
                continue
            if isinstance(statement, ast.ClassDef):
                continue
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and ast.unparse(node.func).split("(")[0] not in IMPORT_TIME_CALLS:
                    offenders.append(f"{relative(path)}:{node.lineno} {ast.unparse(node.func)}(...)")
    assert offenders == []
