"""The service report: metrics, feedback and content gaps from stored conversation records.

`frontdesk report` (bot/ops/cli.py) calls `build_report`; pages that link to the
newest report (the agent desk) call `latest_report(settings.state_dir)`."""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "ReportConfig": "bot.config.sections",
    "build_report": "bot.report.build",
    "keep_figures": "bot.report.archive",
    "latest_report": "bot.report.build",
    "Period": "bot.report.config",
    "Report": "bot.report.build",
    "resolve_period": "bot.report.config",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
