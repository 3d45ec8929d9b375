"""The service report: metrics, feedback and content gaps from stored conversation records.

`frontdesk report` (bot/ops/cli.py) calls `build_report`; pages that link to the
newest report (the agent desk) call `latest_report(settings.state_dir)`."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "ReportConfig": "bot.report.config",
    "build_report": "bot.report.build",
    "latest_report": "bot.report.build",
    "Period": "bot.report.config",
    "Report": "bot.report.build",
    "resolve_period": "bot.report.config",
}
# public modules: none
_MODULES = ()

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
