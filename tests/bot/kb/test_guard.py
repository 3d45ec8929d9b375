"""The tuning guard (held-apart questions decide whether the fine-tuned encoder serves) and answer passages as evidence."""

import shutil
from pathlib import Path

import numpy as np

from bot.kb import guard
from bot.kb.decide import DecisionConfig
from bot.kb.entries import load_entries
from bot.kb.index import build_index, entry_texts
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedModels, check_key, tune_key
from tests.bot.kb.conftest import write_entry

CONFIG = DecisionConfig(reload_interval_s=0.1)


def test_held_apart_questions_leave_every_entry_something_to_be_found_by(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_entry(root, "a.md", "Parking", ["where can I park", "is there parking", "car park fees"])
    write_entry(root, "b.md", "Towels", ["do you rent towels"], "Towels are 2 pounds at the front desk.")
    write_entry(root, "c.md", "Lockers", ["are there lockers"], "Lockers take a 1 pound coin.")
    write_entry(root, "d.md", "Do you have a sauna?", ["do you have a sauna?"], "No.")  # title = question, answer too short
    entries = load_entries(root).entries
    texts, owners = guard.rows(entries)
    held = guard.held_apart(entries)
    assert [texts[i] for i in held] == ["car park fees", "do you rent towels"]  # every second single-question entry
    for row in held:  # what is left of the entry still has a row in the index
        assert (np.delete(owners, held) == owners[row]).any()
    assert "do you have a sauna?" in texts and owners[texts.index("do you have a sauna?")] not in owners[held]


def test_the_guard_keeps_the_encoder_that_ranks_held_apart_questions_better(small_kb: Path, encoder, tmp_path: Path) -> None:
    entries = load_entries(small_kb).entries
    texts, owners = guard.rows(entries)
    held = guard.held_apart(entries)
    good = encoder.encode(texts)
    noise = np.random.default_rng(0).normal(size=good.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)  # an encoder that knows nothing of these questions
    assert guard.verdict(entries, owners, held, noise, good, encoder, encoder)["use"] == "tuned"
    worse = guard.verdict(entries, owners, held, good, noise, encoder, encoder)
    assert worse["use"] == "base" and worse["base"]["top1"] > worse["tuned"]["top1"]
    # no worse (here: the same) is kept: 77 held-apart questions cannot show banking77's 2-point gain
    assert guard.verdict(entries, owners, held, good, good, encoder, encoder)["use"] == "tuned"
    assert "tuning ranked them worse" in guard.describe(worse) and f"{worse['held']} held-apart questions" in guard.describe(worse)


def test_the_guard_holds_one_question_per_entry_apart_and_its_verdict_is_kept(small_kb: Path, encoder,
                                                                                        tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait")
    verdict = kb.tuning_verdict
    assert kb.settled and verdict["held"] == len(kb.snapshot)  # one question of each of the 4 entries
    assert (verdict["use"] == "tuned") == kb.tuned
    assert models.load_verdict(kb.last_tuning["key"]) == verdict
    restarted = KnowledgeBase(small_kb, tmp_path / "state2", encoder, CONFIG, tuned_models=models, tuning="wait")
    assert restarted.settled and restarted.tuning_verdict == verdict and restarted.last_tuning["cached"] is True
    content = kb.snapshot.content
    (tmp_path / "models" / check_key(content) / "guard.json").unlink()  # e.g. a verdict from before the rule
    checked = KnowledgeBase(small_kb, tmp_path / "state3", encoder, CONFIG, tuned_models=models, tuning="wait")
    assert checked.settled and checked.tuning_verdict == verdict  # the saved model is checked again, not trained
    assert checked.last_tuning["cached"] is True and models.load_verdict(kb.last_tuning["key"]) == verdict


def test_an_accepted_tuning_is_tuned_again_on_every_question_and_that_model_serves(small_kb: Path, encoder,
                                                                                     tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait")
    content, verdict = kb.snapshot.content, kb.tuning_verdict
    assert verdict["use"] == "tuned" and kb.tuned
    texts, _ = guard.rows(kb.snapshot.entries)
    assert kb.last_tuning["trained_rows"] == len(texts)  # the held-apart questions too
    checked, served = models.load(encoder, check_key(content)), models.load(encoder, tune_key(content))
    assert kb.snapshot.encoder.key == served.key != checked.key
    held = [texts[i] for i in guard.held_apart(kb.snapshot.entries)]
    # two models: the one the guard checked never saw the held-apart questions, the served one did
    assert not np.allclose(checked.encode(held), served.encode(held), atol=1e-4)
    assert np.allclose(kb.snapshot.encoder.encode(held), served.encode(held), atol=1e-5)
    assert models.load_verdict(check_key(content)) == models.load_verdict(tune_key(content)) == verdict
    shutil.rmtree(tmp_path / "models" / check_key(content))  # pruned: the served model's copy of the verdict is enough
    restarted = KnowledgeBase(small_kb, tmp_path / "state2", encoder, CONFIG, tuned_models=models, tuning="wait")
    assert restarted.settled and restarted.snapshot.encoder.key == served.key and restarted.tuning_verdict == verdict
    assert not (tmp_path / "models" / check_key(content)).exists()  # nothing tuned again


def test_a_kept_base_verdict_serves_the_base_model_without_tuning_again(small_kb: Path, encoder, tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    entries = load_entries(small_kb).entries
    key = check_key(build_index(entries, encoder, tmp_path / "probe").content)
    (tmp_path / "models" / key).mkdir(parents=True)
    models.save_verdict(key, {"use": "base", "held": 4, "rule": guard.RULE, "base": {"top1": 1.0, "mrr": 1.0, "probability": 0.9},
                              "tuned": {"top1": 0.75, "mrr": 0.8, "probability": 0.8}})
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait")
    assert kb.settled and not kb.tuned and kb.snapshot.encoder is encoder
    assert not (tmp_path / "models" / key / "top.npz").exists()  # nothing was trained
    assert not (tmp_path / "models" / tune_key(kb.snapshot.content)).exists()  # nor tuned again on every row
    assert kb.describe_model().startswith("base model, tuning ranked them worse")


def test_an_entry_with_few_questions_is_found_by_its_answer(tmp_path: Path, encoder) -> None:
    root = tmp_path / "kb"
    write_entry(root, "towels.md", "Towels", ["do you provide towels"],
                "## Towels\n\nWe rent [bath towels](https://example.org) at reception; bring a padlock for the lockers. "
                "[[Would you like to know more?]]\n\nSecond paragraph.")
    write_entry(root, "parking.md", "Parking", ["where can I park", "is there parking", "car park fees", "parking permit"])
    many = [f"question {i} about pools" for i in range(4)]
    write_entry(root, "pool.md", "Swimming pool", many, "The pool is open late.")
    entries = {e.id: e for e in load_entries(root).entries}
    assert entry_texts(entries["towels"])[-1] == "We rent bath towels at reception; bring a padlock for the lockers."
    assert entry_texts(entries["pool"]) == many + ["Swimming pool"]  # four questions: the questions say it
    index = build_index(tuple(entries.values()), encoder, tmp_path / "state")
    ranked = index.rank(encoder.encode(["I need a padlock for my locker"])[0])
    assert ranked[0].entry.id == "towels"
