"""Build the service report for a period: read the records, compute, draw, write three files.

    <out>/report.html   self-contained page (charts embedded as PNG data URIs)
    <out>/metrics.json  every figure, per channel and per day, and the content gaps
    <out>/gaps.csv      one row per group of unanswered questions

By default <out> is `<state>/reports/<UTC time>/` and `<state>/reports/latest`
is switched to it (a relative symlink, or a copy where links are not allowed).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bot.errors import FrontdeskError, ReportError
from bot.report.agents import agent_activity
from bot.config import AssistantConfig, DecisionConfig, ReportConfig
from bot.report.archive import merge_agents
from bot.report.config import Period
from bot.report.gaps import find_gaps, write_csv
from bot.report.metrics import compute
from bot.report.outreach import outreach_figures
from bot.report.records import GapMessage, RecordReader
from bot.report.render import render_html, summary_table

LATEST = "latest"
FILES = ("report.html", "metrics.json", "gaps.csv")


@dataclass(frozen=True)
class Report:
    folder: Path
    metrics: dict
    summary: str


def reports_dir(state_dir: Path) -> Path:
    return state_dir / "reports"


def latest_report(state_dir: Path) -> Path | None:
    """The newest default report's report.html (resolved), or None if none was written yet.

    For pages that show the report (the agent desk): serve this file as it is,
    read-only; it needs nothing else (no scripts, no external files).
    """
    path = reports_dir(state_dir) / LATEST / "report.html"
    return path.resolve() if path.is_file() else None


def entry_titles(settings, knowledge_base: DecisionConfig) -> dict[str, str]:
    from bot.kb import load_entries

    folder = settings.project_dir / knowledge_base.folder
    return {e.id: e.title for e in load_entries(folder).entries} if folder.is_dir() else {}


def content_gaps(settings, config: ReportConfig, knowledge_base: DecisionConfig, messages: list[GapMessage]) -> dict:
    """Clustered gaps; the sentence model and the knowledge base are loaded only when there are any."""
    if not messages:
        return find_gaps([], None, None, config)
    try:
        from bot.kb import open_knowledge_base

        kb = open_knowledge_base(settings, knowledge_base)
        # the space the snapshot ranks in, and the decision rules the assistant uses
        return find_gaps(messages, kb.snapshot.encoder, kb.snapshot, config, kb.config)
    except FrontdeskError as error:  # no model, unreadable KB: the figures are still worth having
        return {"messages": len(messages), "clusters": [], "error": str(error)}


def build_report(settings, assistant: AssistantConfig, period: Period, database_url: str | None = None,
                 out: Path | None = None, now: float | None = None) -> Report:
    """Read the period's records and write report.html, metrics.json and gaps.csv (to `out`, else a new folder)."""
    now = time.time() if now is None else now
    config = assistant.report
    reader = RecordReader(database_url or settings.database_url)
    archived = reader.archived(period.start, period.end)  # figures kept when records were erased or purged
    conversations = list(reader.conversations(period.start, period.end)) + archived.conversations
    surveys = sorted(reader.surveys(period.start, period.end) + archived.surveys, key=lambda s: s.created_at)
    metrics = compute(conversations, surveys, period, now, entry_titles(settings, assistant.knowledge_base))
    metrics["agents"] = merge_agents(agent_activity(reader, period.start, period.end), archived.agents)
    metrics.update(outreach_figures(reader, period.start, period.end))  # follow-ups, WhatsApp's window
    gaps = content_gaps(settings, config, assistant.knowledge_base, [g for c in conversations for g in c.gaps])
    metrics["gaps"] = gaps
    charts = {}
    if not metrics["empty"]:
        from bot.report.charts import all_charts  # matplotlib only when there is something to draw

        charts = all_charts(conversations, metrics)
    folder = out or _new_folder(reports_dir(settings.state_dir), now)
    period_text = period.describe()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        company = assistant.persona.company
        (folder / "report.html").write_text(render_html(metrics, gaps, charts, period_text, company), encoding="utf-8")
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        write_csv(folder / "gaps.csv", gaps)
        if out is None:
            _point_latest(folder)
    except OSError as error:
        raise ReportError(f"cannot write the report to {folder}: {error.strerror or error}") from None
    return Report(folder, metrics, summary_table(metrics, gaps, period_text))


def _new_folder(parent: Path, now: float) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    folder, n = parent / stamp, 1
    while folder.exists():
        n += 1
        folder = parent / f"{stamp}-{n}"
    return folder


def _point_latest(folder: Path) -> None:
    """Switch `<reports>/latest` to `folder` in one rename."""
    latest = folder.parent / LATEST
    tmp = folder.parent / f".{LATEST}-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(folder.name, tmp)
        os.replace(tmp, latest)
    except OSError:  # no symlinks here: keep a copy instead
        if latest.is_symlink():
            latest.unlink()
        elif latest.exists():
            shutil.rmtree(latest)
        shutil.copytree(folder, latest)
