"""report.html (one self-contained page: inline CSS, charts as data: URIs) and the terminal summary."""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:980px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f8}td.text{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}.muted{color:#666}.empty{background:#fff6e0;border:1px solid #e8c66a;padding:1em}
img{max-width:100%}
"""


DEFINITIONS = (
    "A conversation is a chat session in which the customer wrote; it counts on the day (in the report's time zone) "
    "of the customer's first message. First response: from that message reaching the server (the webhook accepting it, "
    "before any queue and before the assistant reads it) to the assistant's first reply leaving it; for conversations "
    "handed to a person, also to the agent's first reply. Resolved: the customer said an answer helped, the "
    "conversation was closed, or the agent resolved it. Contained: resolved without a person. CSAT: average of 1-5 "
    "answers and share of 4-5. NPS: % of 9-10 answers minus % of 0-6 answers. Skipped survey questions are shown "
    "but are not answers. Knowledge-base rates are per question the knowledge base decided on."
)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _table(headers: list[str], rows: list[list[str]], text_columns: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=text" if i in text_columns else ""}>{cell}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _card(label: str, value: str, note: str = "") -> str:
    return f'<div class=card><span class=muted>{escape(label)}</span><b>{escape(value)}</b><span class=muted>{escape(note)}</span></div>'


def _channel_rows(metrics: dict) -> list[list[str]]:
    rows = []
    for name, f in [("all channels", metrics["overall"])] + sorted(metrics["channels"].items()):
        rows.append([
            escape(name), str(f["conversations"]), duration(f["first_response"]["bot"]["median_s"]),
            duration(f["first_response"]["agent"]["median_s"]), duration(f["resolution"]["time"]["median_s"]),
            pct(f["resolution"]["resolved_rate"]), pct(f["containment"]["rate"]), pct(f["handoff"]["rate"]),
            f'{num(f["csat"]["average"])} ({f["csat"]["responses"]})', f'{num(f["nps"]["score"], 1)} ({f["nps"]["responses"]})',
        ])
    return rows


def _feedback_per_hour(hours: list[dict]) -> str:
    """A short period's CSAT and NPS, per local hour with answers (a chart of a few dots would say less)."""
    rows = [[escape(h["hour"]), f'{num(h["csat_average"])} ({h["csat_responses"]})', f'{num(h["nps"], 1)} ({h["nps_responses"]})']
            for h in hours if h["csat_responses"] or h["nps_responses"]]
    title = "<h3>CSAT and NPS per hour</h3>"
    return title + (_table(["hour", "CSAT (n)", "NPS (n)"], rows) if rows else "<p>No survey answers in this period.</p>")


def _images(charts: dict[str, str], metrics: dict) -> str:
    """The charts in order; a short period's are per hour, with its CSAT and NPS as a table after the times."""
    per = "hour" if metrics.get("hours") else "day"
    titles = {"volume": f"Volume per {per} and channel", "times": "Response and resolution times",
              "feedback": "CSAT and NPS over time", "outcomes": f"Containment vs handoff per {per}"}
    parts = []
    for name, data in charts.items():
        parts.append(f'<h3>{titles.get(name, name)}</h3><img alt="{escape(titles.get(name, name))}" '
                     f'src="data:image/png;base64,{data}">')
        if name == "times" and metrics.get("hours"):
            parts.append(_feedback_per_hour(metrics["hours"]))
    return "".join(parts)


def render_html(metrics: dict, gaps: dict, charts: dict[str, str], period_text: str, company: str) -> str:
    """The report page; `company` (the persona's) names it."""
    overall = metrics["overall"]
    title = escape(f"{company} service report")
    parts = [f"<h1>{title}</h1><p class=muted>{escape(period_text)} &middot; generated "
             f"{escape(metrics['period']['generated_at'])}</p>"]
    if metrics["empty"]:
        parts.append('<p class=empty>No conversations and no survey answers in this period.</p>')
        return _page(parts, title)
    fr, res, ho, kb = overall["first_response"], overall["resolution"], overall["handoff"], overall["knowledge_base"]
    csat, nps = overall["csat"], overall["nps"]
    parts.append("<div class=cards>" + "".join([
        _card("Conversations", str(overall["conversations"]), f'{overall["customers"]} customers'),
        _card("First response (median)", duration(fr["bot"]["median_s"]), f'p90 {duration(fr["bot"]["p90_s"])}'),
        _card("Agent first response (median)", duration(fr["agent"]["median_s"]),
              f'{duration(fr["agent_after_handoff"]["median_s"])} after the handoff'),
        _card("Resolution time (median)", duration(res["time"]["median_s"]), f'{res["resolved"]} resolved, {res["open"]} open'),
        _card("Containment", pct(overall["containment"]["rate"]), f'{overall["containment"]["contained"]} resolved by the assistant'),
        _card("Handoff rate", pct(ho["rate"]), f'{ho["conversations"]} handed over'),
        _card("CSAT", num(csat["average"]), f'{pct(csat["satisfied_share"])} 4-5; {csat["responses"]} answers, {csat["skipped"]} skipped'),
        _card("NPS", num(nps["score"], 1), f'{nps["responses"]} answers, {nps["skipped"]} skipped'),
    ]) + "</div>")
    parts.append("<h2>By channel</h2>" + _table(
        ["channel", "conversations", "first response", "agent first response", "resolution", "resolved",
         "contained", "handed over", "CSAT (n)", "NPS (n)"], _channel_rows(metrics)))
    parts.append("<h2>Handoffs</h2>" + _table(
        ["reason", "conversations"], [[escape(r), str(n)] for r, n in ho["reasons"].items()] or [["-", "0"]]))
    parts.append(f'<p>{ho["handoffs"]} handoffs: ' + ", ".join(f"{n} {s}" for s, n in ho["status"].items())
                 + f'; {ho["never_claimed"]} never claimed by an agent; '
                 f'{fr["agent_never_replied"]} handed-over conversations without an agent reply.</p>')
    parts.append("<h3>Agents</h3>" + _table(
        ["agent", "handoffs claimed", "first replies"],
        [[escape(name), str(f["claimed"]), str(f["first_replies"])] for name, f in metrics.get("agents", {}).items()]
        or [["-", "0", "0"]]))
    parts.append(_outreach_html(metrics))
    parts.append("<h2>Feedback</h2>" + _table(
        ["survey", "asked", "answers", "skipped", "figure"],
        [["CSAT (1-5)", str(csat["asked"]), str(csat["responses"]), str(csat["skipped"]),
          f'average {num(csat["average"])}, {pct(csat["satisfied_share"])} gave 4-5'],
         ["NPS (0-10)", str(nps["asked"]), str(nps["responses"]), str(nps["skipped"]),
          f'{num(nps["score"], 1)} ({nps["promoters"]} promoters, {nps["passives"]} passives, {nps["detractors"]} detractors)']]))
    parts.append("<h2>Knowledge base</h2>" + _table(
        ["questions", "answered", "clarified", "fell back"],
        [[str(kb["decisions"]), f'{kb["answer"]} ({pct(kb["answer_rate"])})', f'{kb["clarify"]} ({pct(kb["clarification_rate"])})',
          f'{kb["fallback"]} ({pct(kb["fallback_rate"])})']]))
    parts.append("<h3>Top answered entries</h3>" + _table(
        ["entry", "title", "answers"],
        [[escape(t["entry"]), escape(t["title"] or ""), str(t["answers"])] for t in metrics["top_answered"]] or [["-", "", "0"]],
        text_columns=(1,)))
    parts.append("<h2>Charts</h2>" + _images(charts, metrics))
    parts.append(_gaps_html(gaps))
    parts.append(f"<h2>How these are counted</h2><p class=muted>{escape(DEFINITIONS)}</p>")
    return _page(parts, title)


def _outreach_html(metrics: dict) -> str:
    """Follow-ups after a resolve, and WhatsApp messages the 24-hour window held back."""
    up, window = metrics.get("follow_ups") or {}, metrics.get("whatsapp_window") or {}
    if not up and not window:
        return ""
    cancelled = ", ".join(f"{n} {escape(r.replace('_', ' '))}" for r, n in (up.get("cancelled") or {}).items()) or "none"
    reasons = ", ".join(f"{n} {escape(r.replace('_', ' '))}" for r, n in (window.get("reasons") or {}).items()) or "none"
    return ("<h2>Follow-ups</h2>" + _table(
        ["sent", "answered", "confirmed resolved", "not sorted", "cancelled before sending", "new answers sent"],
        [[str(up.get("sent", 0)), f'{up.get("answered", 0)} ({pct(up.get("answered_share"))})',
          f'{up.get("confirmed_resolved", 0)} ({pct(up.get("confirmed_share"))})', str(up.get("not_sorted", 0)), cancelled,
          str(up.get("new_answers_sent", 0))]])
        + "<h3>WhatsApp's 24-hour window</h3>" + _table(
        ["WhatsApp messages", "not delivered for the window", "share", "delivered when the customer wrote", "still held", "why"],
        [[str(window.get("messages", 0)), str(window.get("held", 0)), pct(window.get("held_share")),
          str(window.get("delivered_later", 0)), str(window.get("still_held", 0)), reasons]]))


def _gaps_html(gaps: dict) -> str:
    head = "<h2>Content gaps</h2>"
    if gaps.get("error"):
        return head + f"<p class=empty>Content gaps could not be computed: {escape(gaps['error'])}</p>"
    skipped = (f'<p class=muted>Not counted as gaps: {gaps["not_questions"]} replies to the assistant or small talk '
               '("no", "thanks", "ok").</p>') if gaps.get("not_questions") else ""
    outside = _out_of_scope_html(gaps.get("out_of_scope") or {})
    if not gaps.get("clusters"):
        return head + "<p>Every question in this period was answered.</p>" + skipped + outside
    note = (f'<p>{gaps["messages"]} customer messages fell back or needed clarification '
            f'({gaps["distinct"]} distinct), in {len(gaps["clusters"])} groups.')
    if gaps["left_out_messages"]:
        note += f' {gaps["left_out_messages"]} rarer messages were left out to keep the report fast.'
    rows = [[str(c["size"]), f'{c["fallback"]} / {c["clarify"]}', "<br>".join(escape(s) for s in c["samples"]),
             escape(c["suggestion"]), num(c["similarity"])] for c in gaps["clusters"]]
    return head + note + "</p>" + skipped + _table(["messages", "fell back / clarified", "how customers asked", "suggestion",
                                                    "similarity"], rows, text_columns=(2, 3)) + outside


def _out_of_scope_html(outside: dict) -> str:
    """The questions NLU read as outside the company's services, apart from the content gaps."""
    if not outside.get("clusters"):
        return ""
    rows = [[str(c["size"]), "<br>".join(escape(s) for s in c["samples"])] for c in outside["clusters"]]
    return (f'<h3>Outside the assistant\'s scope</h3><p>{outside["messages"]} messages were about something other '
            "than the company's services; the assistant said so and offered a person. Add an entry only if they "
            "should be answered.</p>" + _table(["messages", "how customers asked"], rows, text_columns=(1,)))


def _page(parts: list[str], title: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>\n")


def summary_table(metrics: dict, gaps: dict, period_text: str) -> str:
    """A few lines for the terminal."""
    lines = [f"Service report {period_text}"]
    if metrics["empty"]:
        lines.append("No conversations and no survey answers in this period.")
        return "\n".join(lines)
    header = f"{'channel':<12}{'convs':>7}{'1st reply':>11}{'resolved':>10}{'contained':>11}{'handoff':>9}{'CSAT':>7}{'NPS':>7}"
    lines.append(header)
    for name, f in [("all", metrics["overall"])] + sorted(metrics["channels"].items()):
        lines.append(f"{name:<12}{f['conversations']:>7}{duration(f['first_response']['bot']['median_s']):>11}"
                     f"{pct(f['resolution']['resolved_rate']):>10}{pct(f['containment']['rate']):>11}"
                     f"{pct(f['handoff']['rate']):>9}{num(f['csat']['average']):>7}{num(f['nps']['score'], 0):>7}")
    up, window = metrics.get("follow_ups") or {}, metrics.get("whatsapp_window") or {}
    if up.get("sent") or window.get("held"):
        lines.append(f"Follow-ups: {up.get('sent', 0)} sent, {up.get('answered', 0)} answered, "
                     f"{up.get('confirmed_resolved', 0)} confirmed resolved; WhatsApp window: {window.get('held', 0)} of "
                     f"{window.get('messages', 0)} messages not delivered at first ({pct(window.get('held_share'))})")
    if gaps.get("error"):
        lines.append(f"Content gaps: not computed ({gaps['error']})")
    else:
        left_out = f", {gaps['left_out_messages']} rare ones left out" if gaps.get("left_out_messages") else ""
        outside = (gaps.get("out_of_scope") or {}).get("messages", 0)
        lines.append(f"Content gaps: {len(gaps.get('clusters', []))} groups from {gaps.get('messages', 0)} messages{left_out}"
                     + (f"; {outside} out-of-scope messages apart" if outside else ""))
    return "\n".join(lines)
