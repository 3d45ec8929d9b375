"""The report's charts, drawn with matplotlib's Agg backend into base64 PNGs for embedding in HTML.

Over time they are drawn per day, or per hour for a short period (metrics' `hours`, at most
SHORT_DAYS days), where one bar per day would say nothing; the CSAT/NPS figures of a short
period are a table in the page (bot/report/render.py) rather than a chart.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from bot.report.records import Conversation  # noqa: E402

COLOURS = ["#2f6690", "#d1495b", "#66a182", "#edae49", "#8e6c8a", "#3a7ca5", "#a44a3f"]


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def series(metrics: dict) -> tuple[list[dict], str]:
    """The rows the charts over time are drawn from, and their unit: per hour for a short period, else per day."""
    return (metrics["hours"], "hour") if metrics.get("hours") else (metrics["days"], "day")


def _labels(rows: list[dict]) -> list[str]:
    """MM-DD per day; HH:00 per hour within one day, MM-DD HH:00 over several."""
    if rows and "hour" in rows[0]:
        one_day = len({r["hour"][:10] for r in rows}) == 1
        return [r["hour"][11:] if one_day else f'{r["hour"][5:10]} {r["hour"][11:]}' for r in rows]
    return [r["date"][5:] for r in rows]


def _thin_ticks(ax, labels: list[str]) -> None:
    step = max(1, len(labels) // 14)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=8)


def volume_chart(rows: list[dict], channels: list[str], per: str = "day") -> str:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    bottom = np.zeros(len(rows))
    for i, channel in enumerate(channels):
        counts = np.array([d["by_channel"].get(channel, 0) for d in rows], dtype=float)
        ax.bar(range(len(rows)), counts, bottom=bottom, label=channel, color=COLOURS[i % len(COLOURS)])
        bottom += counts
    ax.set_title(f"Conversations per {per} and channel")
    ax.set_ylabel("conversations")
    ax.yaxis.get_major_locator().set_params(integer=True)
    _thin_ticks(ax, _labels(rows))
    if channels:
        ax.legend(fontsize=8, loc="best")
    return _png(fig)


def _histograms(ax, series: list[tuple[list[float], str, str]], title: str) -> None:
    """Overlaid histograms of durations (seconds) on shared log-spaced bins."""
    everything = [max(v, 0.01) for values, _, _ in series for v in values]
    if everything:
        lo, hi = min(everything), max(everything)
        bins = np.geomspace(lo / 1.2, hi * 1.2, 25)
        for values, colour, label in series:
            if values:
                ax.hist([max(v, 0.01) for v in values], bins=bins, color=colour, alpha=0.75, label=f"{label} (n={len(values)})")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    ax.set_xlabel("seconds (log scale)")


def time_distributions_chart(convs: list[Conversation]) -> str:
    """First-response times (bot and agent) and resolution times, on log axes, in seconds."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    _histograms(left, [
        ([c.first_reply_at - c.started_at for c in convs if c.first_reply_at is not None], COLOURS[0], "bot"),
        ([c.agent_reply_at - c.started_at for c in convs if c.handed_over and c.agent_reply_at is not None],
         COLOURS[1], "agent"),
    ], "First response time")
    left.set_ylabel("conversations")
    _histograms(right, [
        ([c.resolved_at - c.started_at for c in convs if c.resolved and not c.handed_over], COLOURS[2], "contained"),
        ([c.resolved_at - c.started_at for c in convs if c.resolved and c.handed_over], COLOURS[1], "handed over"),
    ], "Resolution time")
    return _png(fig)


def feedback_chart(days: list[dict]) -> str:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = np.arange(len(days))
    csat = [d["csat_average"] if d["csat_average"] is not None else np.nan for d in days]
    nps = [d["nps"] if d["nps"] is not None else np.nan for d in days]
    ax.plot(x, csat, marker="o", color=COLOURS[0], label="CSAT average (1-5)")
    ax.set_ylim(1, 5)
    ax.set_ylabel("CSAT")
    other = ax.twinx()
    other.plot(x, nps, marker="s", color=COLOURS[3], label="NPS (-100 to 100)")
    other.set_ylim(-100, 100)
    other.set_ylabel("NPS")
    ax.set_title("Customer satisfaction per day")
    _thin_ticks(ax, _labels(days))
    lines = ax.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="lower left")
    return _png(fig)


def outcome_chart(rows: list[dict], per: str = "day") -> str:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = np.arange(len(rows))
    contained = np.array([d["contained"] for d in rows], dtype=float)
    handed = np.array([d["handed_over"] for d in rows], dtype=float)
    other = np.array([d["conversations"] for d in rows], dtype=float) - contained - handed
    ax.bar(x, contained, color=COLOURS[2], label="contained (resolved by the assistant)")
    ax.bar(x, handed, bottom=contained, color=COLOURS[1], label="handed to a person")
    ax.bar(x, other, bottom=contained + handed, color="#bbbbbb", label="neither (open or left)")
    ax.set_title(f"Containment and handoff per {per}")
    ax.set_ylabel("conversations")
    ax.yaxis.get_major_locator().set_params(integer=True)
    _thin_ticks(ax, _labels(rows))
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def all_charts(convs: list[Conversation], metrics: dict) -> dict[str, str]:
    """Chart name -> base64 PNG: per hour for a short period (no CSAT/NPS chart: the page has a table), else per day."""
    rows, per = series(metrics)
    channels = sorted(metrics["channels"])
    charts = {"volume": volume_chart(rows, channels, per), "times": time_distributions_chart(convs)}
    if per == "day":
        charts["feedback"] = feedback_chart(rows)
    charts["outcomes"] = outcome_chart(rows, per)
    return charts
