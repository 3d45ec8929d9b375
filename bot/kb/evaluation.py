"""`frontdesk kb eval`: how well a knowledge base answers a file of labelled questions.

The queries file is CSV with a header `text,expected`; `expected` is an entry
id, or empty for a question the knowledge base cannot answer. Every row gets
exactly the decision the assistant makes. Rates are fractions:

  answer_accuracy     in-scope rows answered with the expected entry / in-scope rows
  wrong_answer_rate   in-scope rows answered with another entry / in-scope rows
  clarify_rate        in-scope rows clarified / in-scope rows
  clarify_hit_rate    clarified in-scope rows whose choices include the expected entry / clarified in-scope rows
  served_right_rate   in-scope rows answered with the expected entry or clarified with it among the choices
                      / in-scope rows
  top1/top3_accuracy  in-scope rows whose expected entry ranks first / in the first three (no thresholds)
  oos_answer_rate     out-of-scope rows answered / out-of-scope rows
  oos_clarify_rate    out-of-scope rows clarified / out-of-scope rows
  build_s             building the base-model index from scratch (empty state folder), as a
                      started assistant serves first
  tune_s              then fine-tuning the encoder, re-embedding and training the head (0 when
                      fine_tune is off); the decisions are made on that tuned snapshot, as the
                      assistant's once its background tuning is done
  tuned               whether the decisions were made with the fine-tuned encoder
  tuning_guard        why: the guard's figures on the entries' held-apart questions (bot/kb/guard.py)
  thresholds          the effective answer thresholds per number of questions an entry has (an entry
                      with few questions is answered on stronger evidence, bot/kb/decide.py), with
                      how many entries have that many, and a sentence saying why
  p50_ms, p99_ms      one question at a time, warm: embed, rank, decide

With `state`, the index and the tuned model are kept there (build_s and tune_s
are then load times when nothing changed).
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.errors import FrontdeskError
from bot.kb.decide import Decision, DecisionConfig, decide, effective_thresholds
from bot.kb.encoder import Encoder
from bot.kb.entries import load_entries
from bot.kb.index import Scored
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedModels


@dataclass(frozen=True)
class Row:
    text: str
    expected: str  # "" = out of scope


def read_queries(path: Path) -> list[Row]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"text", "expected"} <= set(reader.fieldnames):
                raise FrontdeskError(f"{path}: the header must be 'text,expected'")
            rows = [Row((r["text"] or "").strip(), (r["expected"] or "").strip()) for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise FrontdeskError(f"{path}: cannot read the queries ({error})") from None
    return [r for r in rows if r.text]


def score(rows: list[Row], ranked: list[list[Scored]], decisions: list[Decision]) -> dict:
    """The metrics above (without timings) from each row's ranking and decision."""
    in_scope = [i for i, r in enumerate(rows) if r.expected]
    out_scope = [i for i, r in enumerate(rows) if not r.expected]

    def rate(count: int, total: int) -> float:
        return round(count / total, 4) if total else 0.0

    answered_right = sum(1 for i in in_scope if decisions[i].kind == "answer" and decisions[i].top.entry.id == rows[i].expected)
    answered_wrong = sum(1 for i in in_scope if decisions[i].kind == "answer" and decisions[i].top.entry.id != rows[i].expected)
    clarified = [i for i in in_scope if decisions[i].kind == "clarify"]
    clarify_hits = sum(1 for i in clarified if rows[i].expected in {c.entry.id for c in decisions[i].candidates})
    top1 = sum(1 for i in in_scope if ranked[i] and ranked[i][0].entry.id == rows[i].expected)
    top3 = sum(1 for i in in_scope if rows[i].expected in {s.entry.id for s in ranked[i][:3]})
    return {
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_scope),
        "answer_accuracy": rate(answered_right, len(in_scope)),
        "wrong_answer_rate": rate(answered_wrong, len(in_scope)),
        "clarify_rate": rate(len(clarified), len(in_scope)),
        "clarify_hit_rate": rate(clarify_hits, len(clarified)),
        "served_right_rate": rate(answered_right + clarify_hits, len(in_scope)),
        "top1_accuracy": rate(top1, len(in_scope)),
        "top3_accuracy": rate(top3, len(in_scope)),
        "oos_answer_rate": rate(sum(1 for i in out_scope if decisions[i].kind == "answer"), len(out_scope)),
        "oos_clarify_rate": rate(sum(1 for i in out_scope if decisions[i].kind == "clarify"), len(out_scope)),
    }


def thresholds_in_use(entries, config: DecisionConfig) -> dict:
    """The effective thresholds (answer and clarify) for each number of questions the entries have, and why."""
    counts: dict[int, int] = {}
    for entry in entries:
        counts[len(entry.questions)] = counts.get(len(entry.questions), 0) + 1
    by_count = {}
    for questions in sorted(counts):
        limits = effective_thresholds(config, questions)
        by_count[str(questions)] = {"entries": counts[questions], "answer_confidence": limits.answer_confidence,
                                    "answer_similarity": limits.answer_similarity,
                                    "clarify_similarity": limits.clarify_similarity}
    why = (f"an entry with {config.questions_full}+ questions is answered at answer_confidence {config.answer_confidence:g} "
           f"and answer_similarity {config.answer_similarity:g} and offered at clarify_similarity "
           f"{config.clarify_similarity:g}; one with a single question needs {config.answer_confidence_one:g} and "
           f"{config.answer_similarity_one:g} to be answered and {config.clarify_similarity_one:g} to be offered "
           "(log-interpolated between): with few questions the same probability is wrong more often, and "
           "customers' words sit further from the entry's questions")
    return {"by_questions": by_count, "why": why}


def evaluate(kb_dir: Path, queries: Path, encoder: Encoder, config: DecisionConfig,
             details: Path | None = None, state: Path | None = None) -> dict:
    rows = read_queries(queries)
    content = load_entries(kb_dir)
    ids = {e.id for e in content.entries}
    unknown = sorted({r.expected for r in rows if r.expected and r.expected not in ids})
    if unknown:
        raise FrontdeskError(
            f"{queries}: {len(unknown)} expected id(s) are not entries in {kb_dir}, e.g. {unknown[0]!r} "
            f"(run `frontdesk kb check {kb_dir}`)"
        )
    encoder.encode(["warm up"])  # load the model outside the build timing
    with tempfile.TemporaryDirectory() as tmp:
        folder = state or Path(tmp)
        kb = KnowledgeBase(kb_dir, folder / "kb", encoder, config, tuned_models=TunedModels(folder / "models" / "kb-tuned"),
                           tuning="wait")
    index, build_s = kb.snapshot, kb.base_build_s
    if config.fine_tune and len(index) >= 2 and not kb.settled:
        raise FrontdeskError(f"fine-tuning the encoder failed: {kb.last_tuning.get('error', 'unknown error')}")
    tune_s = kb.last_tuning.get("total_s", 0.0)
    limit = max(3, config.max_choices)
    ranked: list[list[Scored]] = []
    decisions: list[Decision] = []
    latencies: list[float] = []
    for row in rows:
        started = time.perf_counter()
        ranking = index.rank(index.encoder.encode([row.text])[0], limit=limit)
        decision = decide(ranking, config)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked.append(ranking)
        decisions.append(decision)
    metrics = score(rows, ranked, decisions)
    latencies.sort()
    metrics.update(
        build_s=round(build_s, 2),
        tune_s=round(tune_s, 2),
        tuned=kb.tuned,
        tuning_guard=kb.tuning_verdict,
        thresholds=thresholds_in_use(index.entries, config),
        p50_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2) if latencies else 0.0,
    )
    if details is not None:
        with details.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "expected", "decision", "answered_id", "candidates", "top_score"])
            for row, decision, ranking in zip(rows, decisions, ranked):
                writer.writerow([
                    row.text, row.expected, decision.kind,
                    decision.top.entry.id if decision.kind == "answer" else "",
                    "|".join(c.entry.id for c in decision.candidates) if decision.kind != "answer" else decision.top.entry.id,
                    f"{ranking[0].probability:.4f}" if ranking else "",
                ])
    return metrics
