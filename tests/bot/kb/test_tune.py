"""Fine-tuning the encoder on the knowledge base: swapped in atomically, cached by content, failures keep serving."""

import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.config import section
from bot.errors import ConfigError
from bot.kb.decide import DecisionConfig
from bot.kb.entries import load_entries
from bot.kb.index import content_fingerprint, entry_texts
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedEncoder, TunedModels, tune_key, train
from tests.bot.kb.conftest import write_entry

CONFIG = DecisionConfig(reload_interval_s=0.1)
TUNE_TIMEOUT_S = 300  # a few training steps; generous for a loaded CI machine


def training_data(root: Path):
    entries = load_entries(root).entries
    texts = [t for e in entries for t in entry_texts(e)]
    owners = np.array([i for i, e in enumerate(entries) for _ in entry_texts(e)])
    return entries, texts, owners


def test_background_tuning_swaps_in_a_tuned_snapshot_and_a_restart_loads_it(small_kb: Path, encoder, tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models)
    seen, errors, done = set(), [], threading.Event()

    def ask_while_tuning() -> None:  # requests during the swap see a whole snapshot: the right answer, no error
        while not done.is_set():
            try:
                answer = kb.ask("I can't remember my password")
                seen.add(answer.fingerprint)
                assert answer.decision.top.entry.id == "reset_password"
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    asker = threading.Thread(target=ask_while_tuning)
    asker.start()
    try:
        assert kb.wait_tuned(TUNE_TIMEOUT_S)
    finally:
        done.set()
        asker.join()
        kb.stop()
    assert errors == []
    assert isinstance(kb.snapshot.encoder, TunedEncoder) and kb.tuned
    assert kb.encoder is encoder and not isinstance(kb.encoder, TunedEncoder)  # the base model stays for other callers
    key = tune_key(kb.snapshot.content)
    assert (tmp_path / "models" / key / "top.npz").is_file()
    assert kb.last_tuning["key"] == key and kb.last_tuning["cached"] is False
    assert kb.ask("when do you open").decision.top.entry.id == "opening_hours"

    restarted = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models)
    assert restarted.tuned and restarted.snapshot.encoder.key == key  # served tuned at once
    assert restarted.snapshot.embedded == 0  # nothing embedded, nothing trained: the guard's verdict was kept
    assert restarted.last_tuning["cached"] is True and "tune_s" not in restarted.last_tuning
    assert restarted.tuning_verdict == kb.tuning_verdict and restarted.tuning_verdict["use"] == "tuned"
    assert restarted.snapshot.fingerprint == kb.snapshot.fingerprint
    restarted.stop()


def test_an_edit_is_served_with_the_tuned_encoder_then_re_tuned(small_kb: Path, encoder, tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait")
    first_key = kb.snapshot.encoder.key
    write_entry(small_kb, "facilities/towels.md", "Towels", ["do you provide towels", "can I hire a towel", "towel rental"])
    kb.tuning = "saved"  # look at the snapshot served right after the edit, before re-tuning
    kb.reload()
    assert not kb.tuned and kb.snapshot.encoder.key == first_key  # the content changed: a cache miss
    cached = list((tmp_path / "state" / "embeddings").glob(f"*tuned-{first_key}/*.npy"))
    assert len(cached) == len(kb.snapshot) == 5  # the new file embedded with the current tuned encoder, beside the others
    assert kb.ask("can I rent a towel?").decision.top.entry.id == "towels"
    assert kb.tune()
    assert kb.tuned and kb.snapshot.encoder.key != first_key
    assert kb.ask("can I rent a towel?").decision.top.entry.id == "towels"
    assert (tmp_path / "models" / first_key).is_dir() and (tmp_path / "models" / kb.snapshot.encoder.key).is_dir()


def test_a_failed_tuning_leaves_the_base_snapshot_serving_and_is_logged(small_kb: Path, encoder, tmp_path: Path, caplog) -> None:
    blocked = tmp_path / "models"
    blocked.write_text("a file where the tuned models folder should be")  # saving the model fails
    with caplog.at_level(logging.ERROR, logger="bot.kb.service"):
        kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=TunedModels(blocked), tuning="wait")
    assert not kb.tuned and kb.snapshot.encoder is encoder
    assert "fine-tuning failed" in caplog.text and kb.last_tuning["error"]
    assert kb.ask("I forgot my password").decision.top.entry.id == "reset_password"


def test_tuning_is_deterministic_for_a_seed(small_kb: Path, encoder) -> None:
    entries, texts, owners = training_data(small_kb)
    first = train(encoder, texts, owners, len(entries), seed=0)
    again = train(encoder, texts, owners, len(entries), seed=0)
    other = train(encoder, texts, owners, len(entries), seed=1)
    assert first.keys() == again.keys() and len(first) > 0
    assert all(np.allclose(first[name], again[name], atol=1e-6) for name in first)
    assert not all(np.allclose(first[name], other[name], atol=1e-6) for name in first)
    assert all(".encoder.layer.0." not in name for name in first)  # the bottom layers stay frozen


def test_encode_pair_gives_the_base_and_tuned_embeddings_in_one_pass(small_kb: Path, encoder) -> None:
    entries, texts, owners = training_data(small_kb)
    tuned = TunedEncoder(encoder, "k", train(encoder, texts, owners, len(entries)))
    messages = ["where do I cancel my class?", "this is useless, I want a person"]
    base_vectors, tuned_vectors = tuned.encode_pair(messages)
    assert np.allclose(base_vectors, encoder.encode(messages), atol=1e-5)
    assert np.allclose(tuned_vectors, tuned.encode(messages), atol=1e-5)
    assert not np.allclose(base_vectors, tuned_vectors, atol=1e-3)


def test_the_tuning_key_follows_content_and_base_model(small_kb: Path, encoder) -> None:
    entries = load_entries(small_kb).entries
    key = tune_key(content_fingerprint(entries, encoder))
    assert key == tune_key(content_fingerprint(load_entries(small_kb).entries, encoder))
    assert key != tune_key(content_fingerprint(entries[1:], encoder))
    assert key != tune_key(content_fingerprint(entries, encoder), seed=1)


def test_fine_tune_setting(tmp_path: Path, small_kb: Path, encoder) -> None:
    config = section("knowledge_base", {"fine_tune": False})
    assert config.fine_tune is False
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, config, tuned_models=TunedModels(tmp_path / "models"),
                       tuning="wait")
    assert not kb.tuned and not (tmp_path / "models").exists()
    with pytest.raises(ConfigError, match="knowledge_base.fine_tune: must be true or false"):
        section("knowledge_base", {"fine_tune": "sometimes"})


def test_a_message_the_base_model_embedded_is_tuned_from_its_shared_bottom_layers(small_kb: Path) -> None:
    from bot.kb.encoder import Encoder

    base = Encoder()  # its own instance: remembering is switched on by the tuned encoder below
    entries, texts, owners = training_data(small_kb)
    tuned = TunedEncoder(base, "k", train(base, texts, owners, len(entries)))
    window = ["hello", "where do I cancel my class booking for tonight?"]
    reference_base = base._model.encode(window, normalize_embeddings=True)
    assert np.allclose(base.encode(window), reference_base, atol=1e-5)  # the split pass is the same model
    assert set(window) <= set(base.bottoms)
    remembered = tuned.encode([window[1]])
    base.bottoms.clear()
    assert np.allclose(remembered, tuned.encode([window[1]]), atol=1e-5)  # same as a full pass of the tuned model


def test_the_frustration_scorers_layer_pass_leaves_the_bottom_layers_for_the_tuned_encoder(small_kb: Path) -> None:
    from bot.kb.encoder import Encoder

    base = Encoder()
    entries, texts, owners = training_data(small_kb)
    tuned = TunedEncoder(base, "k", train(base, texts, owners, len(entries)))
    window = ["THIS IS THE THIRD TIME I ASK", "where do I cancel my class booking for tonight?"]
    sentence, layers = base.encode_layers(window)  # what the frustration scorer runs on each message window
    assert np.allclose(sentence, base._model.encode(window, normalize_embeddings=True), atol=1e-5)
    assert layers.shape == (2, 7, base.dimension)
    assert set(window) <= set(base.bottoms)
    remembered = tuned.encode([window[1]])
    base.bottoms.clear()
    assert np.allclose(remembered, tuned.encode([window[1]]), atol=1e-5)


def test_a_knowledge_base_tuned_under_another_seed_serves_that_tuning(small_kb: Path, encoder, tmp_path: Path) -> None:
    models = TunedModels(tmp_path / "models")
    seeded = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait", seed=1)
    content = seeded.snapshot.content
    assert seeded.tuned and seeded.snapshot.encoder.key == tune_key(content, seed=1)
    # the assistant's (seed 0) is a model of its own, not the seed-1 one found on disk
    default = KnowledgeBase(small_kb, tmp_path / "state", encoder, CONFIG, tuned_models=models, tuning="wait")
    assert default.tuned and default.snapshot.encoder.key == tune_key(content) != tune_key(content, seed=1)


SHARED_TUNING = """
import json, sys
from pathlib import Path
import numpy as np
from bot.kb.encoder import Encoder
from bot.kb.entries import load_entries
from bot.kb.index import content_fingerprint, entry_texts
from bot.kb.tune import TunedModels, tuned_encoder
entries = load_entries(Path(sys.argv[1])).entries
texts = [t for e in entries for t in entry_texts(e)]
owners = np.array([i for i, e in enumerate(entries) for _ in entry_texts(e)])
base = Encoder()
print("ready", flush=True)
sys.stdin.readline()  # both processes start tuning at once
result = tuned_encoder(base, TunedModels(Path(sys.argv[2])), content_fingerprint(entries, base), texts, owners,
                       len(entries))
print(json.dumps({"key": result.encoder.key, "cached": result.cached,
                  "vector": result.encoder.encode(["how do I cancel my class"])[0][:8].tolist()}), flush=True)
"""


def test_instances_sharing_a_models_folder_tune_a_content_once_and_serve_the_same_model(small_kb: Path,
                                                                                          tmp_path: Path) -> None:
    """Two processes (two instances' action servers) with the same content and one shared FRONTDESK_MODELS_DIR:
    one tunes, the other waits for it and loads its model; both then encode alike."""
    import json
    import os
    import subprocess
    import sys

    shared = tmp_path / "shared-models"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    processes = [subprocess.Popen([sys.executable, "-c", SHARED_TUNING, str(small_kb), str(shared)], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [json.loads(process.stdout.readline()) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert sorted(r["cached"] for r in results) == [False, True], results  # tuned once
    assert results[0]["key"] == results[1]["key"]
    assert np.allclose(results[0]["vector"], results[1]["vector"], atol=1e-5)
    assert [p.name for p in shared.iterdir() if p.is_dir()] == [results[0]["key"]]
