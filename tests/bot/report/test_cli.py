"""`frontdesk report` over a real tracker store: the three files, the summary, an empty period, bad databases."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.report import latest_report
from tests.bot.report.scenario import CARD, write_week
from tests.conftest import PROJECT_DIR

WEEK = ["--from", "2026-06-01", "--to", "2026-06-07"]


def frontdesk(*args: str, state_dir: Path, assistant_file: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FRONTDESK_", "ASSISTANT_FILE"))}
    env.update(PYTHONPATH=str(PROJECT_DIR), FRONTDESK_STATE_DIR=str(state_dir), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    if assistant_file:
        env["ASSISTANT_FILE"] = str(assistant_file)
    return subprocess.run([sys.executable, "-m", "bot.ops.cli", "report", *args], capture_output=True, text=True,
                          env=env, cwd=PROJECT_DIR, timeout=300)


@pytest.fixture(scope="module")
def week_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('week-cli') / 'frontdesk.db'}"
    write_week(url)
    return url


def test_report_writes_html_json_and_gaps_and_prints_a_summary(week_url: str, kb_state_dir: Path) -> None:
    result = frontdesk(*WEEK, "--database-url", week_url, state_dir=kb_state_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Service report 2026-06-01 00:00 to 2026-06-08 00:00 (Europe/London)"
    assert re.match(r"all\s+5\s+2\.0 s\s+60\.0%\s+40\.0%\s+40\.0%\s+3\.67\s+33$", lines[2])
    assert any(re.match(r"whatsapp\s+1\s+4\.0 s\s+0\.0%\s+0\.0%\s+100\.0%\s+-\s+-$", line) for line in lines)

    folder = Path(lines[-1].removeprefix("Written: ").split("/report.html")[0])
    assert folder.parent == kb_state_dir / "reports"
    assert latest_report(kb_state_dir) == (folder / "report.html").resolve()

    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["overall"]["conversations"] == 5 and metrics["overall"]["nps"]["score"] == pytest.approx(100 / 3)
    assert metrics["period"]["from"] == "2026-06-01T00:00:00+01:00"

    html = (folder / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 4
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert CARD not in html and CARD not in (folder / "metrics.json").read_text()

    with (folder / "gaps.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["size"], r["fallback"], r["clarify"]) for r in rows] == [("2", "1", "1"), ("1", "1", "0")]
    assert set(rows[0]["samples"].split(" | ")) == {"do you have a swimming pool", "can I swim at your gym"}
    assert rows[1]["samples"] == "my card [card number removed] was charged twice"
    assert all(r["suggestion"] for r in rows)


def test_an_empty_period_gives_a_report_that_says_so(week_url: str, tmp_path: Path, kb_state_dir: Path) -> None:
    out = tmp_path / "empty"
    result = frontdesk("--from", "2026-07-01", "--to", "2026-07-02", "--database-url", week_url, "--out", str(out),
                       state_dir=kb_state_dir)
    assert result.returncode == 0, result.stderr
    assert "No conversations and no survey answers in this period." in result.stdout
    assert "No conversations and no survey answers in this period." in (out / "report.html").read_text()
    assert json.loads((out / "metrics.json").read_text())["empty"] is True
    assert (out / "gaps.csv").read_text().startswith("cluster,size,")


@pytest.mark.parametrize("make_db, message", [
    (lambda d: None, "does not exist"),
    (lambda d: (d / "frontdesk.db").write_bytes(b"this is not a database, just text " * 100), "file is not a database"),
    (lambda d: subprocess.run(["sqlite3", str(d / "frontdesk.db"), "create table other(x)"], check=True),
     "no Rasa `events` table"),
])
def test_a_database_it_cannot_read_gives_one_line_and_exit_1(make_db, message: str, tmp_path: Path) -> None:
    make_db(tmp_path)
    result = frontdesk("--since", "7d", "--database-url", f"sqlite:///{tmp_path / 'frontdesk.db'}",
                       "--out", str(tmp_path / "out"), state_dir=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("frontdesk: cannot read the tracker store")
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_options_are_one_line(tmp_path: Path) -> None:
    for args, message in [(["--since", "soon"], "--since 'soon' is not a duration"),
                          (["--database-url", "postgres//u:secret@db"], "the database URL is malformed"),
                          (["--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
                          (["--since", "7d", "--from", "2026-06-01"], "either --since or --from/--to")]:
        result = frontdesk(*args, state_dir=tmp_path)
        assert result.returncode == 1 and result.stderr.count("\n") == 1 and message in result.stderr, args


def test_latest_report_is_none_before_any_report_and_follows_each_new_one(tmp_path: Path) -> None:
    from bot.report.build import _new_folder, _point_latest

    assert latest_report(tmp_path) is None
    for now in (1780272000.0, 1780272000.0):  # the same second twice: two folders
        folder = _new_folder(tmp_path / "reports", now)
        folder.mkdir(parents=True)
        (folder / "report.html").write_text(folder.name)
        _point_latest(folder)
        assert latest_report(tmp_path) == (folder / "report.html").resolve()
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["20260601T000000Z", "20260601T000000Z-2", "latest"]



def test_without_the_sentence_model_the_figures_still_come_and_the_gaps_say_why(week_url: str, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from bot.report import build_report, resolve_period
    from bot.config import AssistantConfig, Settings

    settings = Settings.from_env(env={"FRONTDESK_STATE_DIR": str(tmp_path), "EMBEDDING_MODEL": str(tmp_path / "no-model")},
                                 project_dir=PROJECT_DIR)
    period = resolve_period(ZoneInfo("Europe/London"), 1781000000.0, from_date="2026-06-01", to_date="2026-06-07")
    report = build_report(settings, AssistantConfig.load(settings.assistant_file), period, database_url=week_url, out=tmp_path / "out")
    assert report.metrics["overall"]["conversations"] == 5
    assert "EMBEDDING_MODEL=" in report.metrics["gaps"]["error"]
    assert "Content gaps could not be computed" in (tmp_path / "out" / "report.html").read_text()
    assert "Content gaps: not computed" in report.summary
