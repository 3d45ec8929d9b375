"""The service report: metrics, feedback and content gaps from stored conversation records.

`frontdesk report` (bot/cli.py) calls `build_report`; pages that link to the
newest report (the agent desk) call `latest_report(settings.state_dir)`.
"""

from bot.report.build import Report, build_report, latest_report
from bot.report.config import Period, ReportConfig, resolve_period

__all__ = ["Period", "Report", "ReportConfig", "build_report", "latest_report", "resolve_period"]
