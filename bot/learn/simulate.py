"""`frontdesk kb simulate`: the learning loop measured on labelled traffic.

Every row of the traffic file (`text,expected`) is one customer, played through the decision the assistant
makes on the knowledge base as it is (fine-tuned, as the running assistant serves it once tuned):

- an answer with the expected entry is confirmed ("yes, it helped"): a `helpful` suggestion when the answer's
  probability is below `learn_confident`, as in a conversation; an answer with another entry gets a "no";
- a clarification offering the expected entry: the customer picks it (`clarification`, or `paraphrase` when it
  was the one entry offered), except that with probability `noise` they pick one of the other offered entries
  instead; a clarification without it, or a fallback, teaches nothing.

Each confirmation goes through the suggestions' own rules (bot/learn/suggestions.py: near-duplicates on the
serving encoder, wordings suggested for several entries kept apart, ...). Then the suggestions are applied as
`learn: auto` would with one confirmation (each traffic row is a different customer with its own wording), a
wording whose nearest neighbours belong to another entry held for an editor (bot/learn/neighbours.py); the
knowledge base is rebuilt and fine-tuned from scratch as the assistant does after an edit, and the evaluation
file is scored before and after with `kb eval`'s metrics. The original knowledge-base folder is not changed.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
from sqlalchemy.engine import Engine

from bot.config import DecisionConfig
from bot.errors import FrontdeskError
from bot.kb import Encoder, KnowledgeBase, TunedModels, evaluate, load_entries
from bot.learn.neighbours import Neighbours
from bot.learn.suggestions import Suggestions, wording_key

SHOWN = ("answer_accuracy", "wrong_answer_rate", "clarify_rate", "top1_accuracy", "oos_answer_rate")  # in the log
DETAIL_FIELDS = ["text", "expected", "decision", "offered", "picked", "evidence", "outcome", "applied"]


def read_labelled(path: Path, ids: set[str], empty_expected: bool) -> list[tuple[str, str]]:
    """(text, expected) rows of a `text,expected` CSV; FrontdeskError naming the file and row otherwise."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip() for h in header[:2]] != ["text", "expected"]:
                raise FrontdeskError(f"{path}:1: the header must be 'text,expected' (got {','.join(header or [])!r})")
            rows = []
            for number, row in enumerate(reader, start=2):
                if not row or not "".join(row).strip():
                    continue
                if len(row) != 2:
                    raise FrontdeskError(f"{path}:{number}: a row must have 2 fields, text and expected (got {len(row)})")
                text, expected = row[0].strip(), row[1].strip()
                if not text:
                    raise FrontdeskError(f"{path}:{number}: the text is empty")
                if expected and expected not in ids:
                    raise FrontdeskError(f"{path}:{number}: expected {expected!r} is not an entry of the knowledge base")
                if not expected and not empty_expected:
                    raise FrontdeskError(f"{path}:{number}: expected is empty (traffic rows name the entry they are about)")
                rows.append((text, expected))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise FrontdeskError(f"{path}: cannot read it ({error})") from None
    return rows


def _embedder(encoder, texts: list[str]) -> Callable[[str], np.ndarray]:
    """Embeddings of `texts`, computed in one batch, then one at a time for anything else."""
    unique = sorted(set(texts))
    vectors = dict(zip(unique, encoder.encode(unique))) if unique else {}

    def vector(text: str) -> np.ndarray:
        if text not in vectors:
            vectors[text] = encoder.encode([text])[0]
        return vectors[text]
    return vector


def play(kb: KnowledgeBase, traffic: list[tuple[str, str]], suggestions: Suggestions, noise: float,
         rng: random.Random) -> list[dict]:
    """Each traffic row through the decision and the simulated customer; returns one detail row each."""
    snapshot, config = kb.snapshot, kb.config
    vector = _embedder(snapshot.encoder, [t for t, _ in traffic] + [q for e in snapshot.entries for q in e.questions])

    def similarity(wording: str, entry) -> float:
        return float(max(vector(q) @ vector(wording) for q in entry.questions))

    details = []
    for number, (text, expected) in enumerate(traffic):
        decision = kb.ask(text).decision
        offered = [c.entry.id for c in decision.candidates] if decision.kind != "fallback" else []
        picked, evidence = "", ""
        if decision.kind == "answer" and offered[0] == expected:
            picked = expected
            if decision.top.probability < config.learn_confident:
                evidence = "helpful"
        elif decision.kind == "clarify" and expected in offered:
            others = [i for i in offered if i != expected]
            picked = rng.choice(others) if others and rng.random() < noise else expected
            evidence = "clarification" if len(offered) > 1 else "paraphrase"
        outcome = ""
        if evidence:
            outcome = suggestions.record(text, snapshot.by_id[picked], evidence, f"sim:{number}", similarity)
        details.append({"text": text, "expected": expected, "decision": decision.kind, "offered": "|".join(offered),
                        "picked": picked, "evidence": evidence, "outcome": outcome, "applied": ""})
    return details


def apply_all(suggestions: Suggestions) -> tuple[list, list, list]:
    """Apply the suggestions as `auto` would; returns (applied groups, groups held for an editor, ambiguous ones)."""
    groups = suggestions.groups()
    apply, held = suggestions.due()
    suggestions.approve([g.id for g in apply], "auto")
    return apply, held, [g for g in groups if g.ambiguous_with]


def simulate(kb_dir: Path, traffic_csv: Path, queries_csv: Path, settings, config: DecisionConfig,
             noise: float = 0.0, details: Path | None = None, seed: int = 0, limit: int | None = None,
             log: Callable[[str], None] = lambda text: None, state: Path | None = None,
             open_db: Callable[[str], Engine] | None = None) -> dict:
    """Before/after metrics of the learning loop (module docstring); the last stdout line of `kb simulate`.
    `state` keeps the "before" index and fine-tuned model between runs (the "after" one is always made afresh);
    `open_db(url)` opens the throwaway SQLite database the suggestions go to (the command's `open_database`)."""
    if open_db is None:
        raise ValueError("simulate needs open_db: the command passes open_database")
    if not 0.0 <= noise <= 1.0:
        raise FrontdeskError(f"--noise must be between 0 and 1 (got {noise})")
    content = load_entries(kb_dir)
    if not content.entries:
        raise FrontdeskError(f"{kb_dir}: no entries (run `frontdesk kb check {kb_dir}`)")
    ids = {e.id for e in content.entries}
    traffic = read_labelled(traffic_csv, ids, empty_expected=True)
    read_labelled(queries_csv, ids, empty_expected=True)
    traffic = [row for row in traffic if row[1]][:limit]  # out-of-scope traffic confirms nothing
    config = replace(config, learn="review", learn_confirmations=1)
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work, state = Path(tmp) / "kb", state or Path(tmp) / "before"
        shutil.copytree(kb_dir, work)
        log(f"before: building and fine-tuning {len(ids)} entries")
        before = evaluate(work, queries_csv, encoder, config, state=state)
        kb = KnowledgeBase(work, state / "kb", encoder, config, tuned_models=TunedModels(state / "models" / "kb-tuned"),
                           tuning="wait")
        suggestions = Suggestions(open_db(f"sqlite:///{Path(tmp) / 'simulate.db'}"), work, config,
                                  Neighbours(lambda: kb.snapshot.encoder))
        log(f"playing {len(traffic)} customers (noise {noise})")
        rows = play(kb, traffic, suggestions, noise, random.Random(seed))
        kb.stop()
        applied, held, ambiguous = apply_all(suggestions)
        expected_of = {(wording_key(r["text"]), r["picked"]): r["expected"] for r in rows if r["outcome"] == "recorded"}
        wrong = [g for g in applied if expected_of.get((g.key, g.entry_id)) != g.entry_id]
        held_wrong = [g for g in held if expected_of.get((g.key, g.entry_id)) != g.entry_id]
        held_keys = {(g.key, g.entry_id) for g in held}
        applied_keys = {(g.key, g.entry_id) for g in applied}
        for row in rows:
            key = (wording_key(row["text"]), row["picked"])
            row["applied"] = "yes" if key in applied_keys else "held" if key in held_keys else ""
        log(f"before: {json.dumps({k: before[k] for k in SHOWN})}")
        log(f"confirmed {sum(1 for r in rows if r['evidence'])}, suggested "
            f"{sum(1 for r in rows if r['outcome'] == 'recorded')}, applied {len(applied)} wordings "
            f"({len(wrong)} to another entry than expected), held {len(held)} nearer to another entry "
            f"({len(held_wrong)} of them suggested for another entry than expected); after: rebuilding and fine-tuning")
        after = evaluate(work, queries_csv, encoder, config, state=Path(tmp) / "after")
    if details is not None:
        with details.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, DETAIL_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    decisions = {kind: sum(1 for r in rows if r["decision"] == kind) for kind in ("answer", "clarify", "fallback")}
    dropped: dict[str, int] = {}
    for row in rows:
        if row["outcome"] and row["outcome"] != "recorded":
            dropped[row["outcome"]] = dropped.get(row["outcome"], 0) + 1
    return {"before": before, "after": after, "traffic": len(rows), "traffic_decisions": decisions,
            "confirmed": sum(1 for r in rows if r["evidence"]),
            "confirmed_wrong": sum(1 for r in rows if r["evidence"] and r["picked"] != r["expected"]),
            "suggested": sum(1 for r in rows if r["outcome"] == "recorded"), "dropped": dropped,
            "ambiguous": len(ambiguous), "held": len(held), "held_wrong": len(held_wrong),
            "applied": len(applied), "applied_wrong": len(wrong),
            "noise": noise, "seed": seed, "seconds": round(time.perf_counter() - started, 1)}
