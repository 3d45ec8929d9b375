"""`frontdesk kb check|search|eval` as editors and testers run them."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bot.kb.conftest import write_entry
from tests.conftest import PROJECT_DIR

STATE_DIR = tempfile.mkdtemp(prefix="frontdesk-cli-test-")


def frontdesk(*args: str, cwd: Path = PROJECT_DIR, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.ops.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "FRONTDESK_STATE_DIR": STATE_DIR, **(env or {})})


def test_check_passes_on_the_starter_knowledge_base() -> None:
    result = frontdesk("kb", "check")
    assert result.returncode == 0, result.stdout
    assert "0 error(s)" in result.stdout


def test_check_prints_path_line_message_and_exits_1(tmp_path: Path) -> None:
    write_entry(tmp_path, "ok.md", "Fine", ["a fine question"])
    (tmp_path / "bad.md").write_text("---\ntitle: Broken\nquestions:\n  - a question\n---\n\n")
    result = frontdesk("kb", "check", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path}/bad.md:6: the answer is empty: write it below the front matter" in result.stdout
    assert "1 entries checked" in result.stdout and "1 error(s)" in result.stdout


def test_check_on_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = frontdesk("kb", "check", str(tmp_path / "nope"))
    assert result.returncode == 1 and result.stderr.strip() == f"{tmp_path / 'nope'}: no such folder"


def test_search_shows_decision_and_scored_candidates(small_kb: Path, tmp_path: Path) -> None:
    result = frontdesk("kb", "search", "I can't remember my password", "--kb", str(small_kb), cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("decision: answer -> reset_password")
    assert lines[2].split()[0] == "1" and lines[2].split()[3] == "reset_password"
    assert lines[-3].startswith("why: answered with reset_password: its closest question is")
    assert lines[-2].startswith("thresholds for reset_password (4 questions): answer_confidence ")
    assert lines[-1].startswith("model: ")


def test_check_warns_about_entries_with_few_questions_without_failing(tmp_path: Path) -> None:
    write_entry(tmp_path, "few.md", "Towels", ["do you rent towels", "towel hire"])
    write_entry(tmp_path, "many.md", "Parking", ["where can I park", "is there parking", "car park fees", "parking permit",
                                                 "can I park overnight", "disabled parking"])
    result = frontdesk("kb", "check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert (f"{tmp_path}/few.md:3: warning: 2 questions: an entry with fewer than 6 is more often offered as a choice "
            "than answered") in result.stdout
    assert "many.md" not in result.stdout and "0 error(s), 1 warning(s)" in result.stdout


def test_eval_prints_every_metric_as_json_and_writes_details(small_kb: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text(
        "text,expected\n"
        "I forgot my password,reset_password\n"
        "when do you open in the morning,opening_hours\n"
        "how do I cancel my spin class booking,cancel_booking\n"
        "what is the capital of france,\n"
    )
    details = tmp_path / "details.csv"
    result = frontdesk("kb", "eval", "--kb", str(small_kb), "--queries", str(queries), "--details", str(details))
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(metrics) >= {"n_in_scope", "n_out_of_scope", "answer_accuracy", "wrong_answer_rate", "clarify_rate",
                            "clarify_hit_rate", "top1_accuracy", "top3_accuracy", "oos_answer_rate", "build_s", "p50_ms", "p99_ms"}
    assert (metrics["n_in_scope"], metrics["n_out_of_scope"]) == (3, 1)
    assert metrics["top1_accuracy"] == 1.0 and metrics["wrong_answer_rate"] == 0.0
    assert metrics["served_right_rate"] >= metrics["answer_accuracy"]
    # the small knowledge base's entries have 4 questions each: thresholds between the one-question and the plain ones
    four = metrics["thresholds"]["by_questions"]["4"]
    assert four["entries"] == 4 and 0.55 < four["answer_confidence"] < 0.85 and "single question" in metrics["thresholds"]["why"]
    assert 0.3 < four["clarify_similarity"] < 0.4  # and offered on a weaker closest question
    rows = details.read_text().splitlines()
    assert rows[0] == "text,expected,decision,answered_id,candidates,top_score" and len(rows) == 5


def test_eval_names_unknown_expected_ids_and_bad_headers(small_kb: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text("text,expected\nhello,no_such_entry\n")
    result = frontdesk("kb", "eval", "--kb", str(small_kb), "--queries", str(queries))
    assert result.returncode == 1 and "'no_such_entry'" in result.stderr and "Traceback" not in result.stderr
    queries.write_text("question,answer\nhello,x\n")
    result = frontdesk("kb", "eval", "--kb", str(small_kb), "--queries", str(queries))
    assert result.returncode == 1 and "header must be 'text,expected'" in result.stderr


def test_tune_saves_the_fine_tuned_encoder_once_and_search_then_uses_it(small_kb: Path, tmp_path: Path) -> None:
    models = {"FRONTDESK_MODELS_DIR": str(tmp_path / "models")}
    first = frontdesk("kb", "tune", "--kb", str(small_kb), env=models)
    assert first.returncode == 0, first.stderr
    assert "fine-tuned encoder" in first.stdout and "(trained," in first.stdout
    assert list((tmp_path / "models" / "kb-tuned").glob("*/top.npz"))
    again = frontdesk("kb", "tune", "--kb", str(small_kb), env=models)
    assert again.returncode == 0 and "(saved already," in again.stdout
    search = frontdesk("kb", "search", "I forgot my password", "--kb", str(small_kb), env=models)
    assert "tuned model" in search.stdout, search.stdout
