"""`frontdesk responses check`: path:line: message for each problem, a summary line per file, exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

from bot.ops.cli import main
from bot.responses.keys import KEYS
from tests.conftest import PROJECT_DIR

SHIPPED = PROJECT_DIR / "responses" / "en.yml"


def test_the_shipped_catalogues_pass(capsys) -> None:
    assert main(["responses", "check"]) == 0
    out = capsys.readouterr().out
    assert f"responses checked in {SHIPPED}: 0 error(s), 0 warning(s)" in out


def test_mistakes_are_printed_with_file_and_line_and_fail_the_check(tmp_path: Path, capsys) -> None:
    path = tmp_path / "en.yml"
    path.write_text(SHIPPED.read_text().replace('  hello: "Hi there!"', '  helo: "Hi there!"')
                    .replace('    sms: "How can I help?"', '    sms: "How can I help? 🙂"'))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if "helo:" in text)
    assert main(["responses", "check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{path}:{line}: unknown key greeting.helo: the assistant never says it (did you mean greeting.hello?)" in out
    assert any(o.startswith(f"{path}:") and ": warning: greeting.ask: '🙂' is not in the SMS alphabet" in o for o in out)
    assert out[-1] == f"{len(KEYS)} responses checked in {path}: 2 error(s), 1 warning(s)"  # unknown helo, missing hello


def test_responses_file_is_what_is_checked_when_it_is_set(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(SHIPPED.read_text())
    monkeypatch.setenv("RESPONSES_FILE", str(path))
    assert main(["responses", "check"]) == 0
    assert capsys.readouterr().out.strip() == f"{len(KEYS)} responses checked in {path}: 0 error(s), 0 warning(s)"
