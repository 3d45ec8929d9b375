"""`frontdesk kb simulate` on a small knowledge base: customers' confirmed wordings are applied, and bad files get
one line naming the file and row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.ops.cli import main
from tests.bot.kb.conftest import small_kb  # noqa: F401 - fixture

TRAFFIC = """text,expected
I can't get into my account the password is gone,reset_password
what time does the gym shut on saturdays,opening_hours
pilates tomorrow but I can't come any more,cancel_booking
cancel,cancel_booking
I'm moving abroad so I want to stop paying for the gym,cancel_membership
"""
QUERIES = """text,expected
when do you shut on saturday,opening_hours
I can't come to pilates tomorrow,cancel_booking
my password is gone,reset_password
,
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "traffic.csv").write_text(TRAFFIC)
    (tmp_path / "queries.csv").write_text(QUERIES)
    return tmp_path / "traffic.csv", tmp_path / "queries.csv"


def test_simulate_reports_before_and_after_and_leaves_the_knowledge_base_alone(small_kb, files, tmp_path, capsys) -> None:  # noqa: F811
    before = {p: p.read_bytes() for p in small_kb.rglob("*.md")}
    traffic, queries = files
    assert main(["kb", "simulate", "--kb", str(small_kb), "--traffic", str(traffic), "--queries", str(queries),
                 "--details", str(tmp_path / "details.csv")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result["before"]) >= {"answer_accuracy", "wrong_answer_rate", "oos_answer_rate"}
    assert result["after"]["n_in_scope"] == 3
    assert result["traffic"] == 5 and result["applied"] <= result["suggested"] <= result["confirmed"]
    assert result["applied_wrong"] == 0  # no noise: every applied wording is for its expected entry
    details = (tmp_path / "details.csv").read_text().splitlines()
    assert details[0] == "text,expected,decision,offered,picked,evidence,outcome,applied" and len(details) == 6
    assert {p: p.read_bytes() for p in small_kb.rglob("*.md")} == before


@pytest.mark.parametrize("content, message", [
    ("words,label\nhi,reset_password\n", "traffic.csv:1: the header must be 'text,expected'"),
    ("text,expected\nhi,reset_password\nhello,no_such_entry\n", "traffic.csv:3: expected 'no_such_entry' is not an entry"),
    ("text,expected\nhi,reset_password,extra\n", "traffic.csv:2: a row must have 2 fields"),
])
def test_a_file_in_the_wrong_format_gets_one_line_naming_the_file_and_row(small_kb, files, capsys, content, message) -> None:  # noqa: F811
    traffic, queries = files
    traffic.write_text(content)
    assert main(["kb", "simulate", "--kb", str(small_kb), "--traffic", str(traffic), "--queries", str(queries)]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert message in line
