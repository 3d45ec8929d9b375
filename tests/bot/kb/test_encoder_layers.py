"""Encoder.encode_layers, the frustration scorer's one pass: the sentence vectors match encode(), layers are per message."""

from __future__ import annotations

import numpy as np
import pytest

from bot.kb.encoder import Encoder

TEXTS = ["THIS IS THE THIRD TIME I ASK, where is my refund???", "hi", "can I freeze my membership while I'm abroad for a month"]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def test_the_sentence_vectors_are_the_knowledge_bases_embeddings(encoder: Encoder) -> None:
    sentence, _ = encoder.encode_layers(TEXTS)
    assert np.allclose(sentence, encoder.encode(TEXTS), atol=1e-5)
    assert np.allclose(np.linalg.norm(sentence, axis=1), 1.0, atol=1e-5)


def test_every_layer_is_mean_pooled_per_message_whatever_the_batch(encoder: Encoder) -> None:
    _, together = encoder.encode_layers(TEXTS, batch_size=2)
    assert together.shape == (3, 7, encoder.dimension)
    for i, text in enumerate(TEXTS):  # padding of longer neighbours does not leak into a message's mean
        assert np.allclose(encoder.encode_layers([text])[1][0], together[i], atol=1e-4)
    # Layers differ: the embedding layer is not the last one.
    assert not np.allclose(together[:, 0], together[:, 6], atol=1e-2)


def test_no_messages_give_empty_arrays(encoder: Encoder) -> None:
    sentence, layers = encoder.encode_layers([])
    assert sentence.shape[0] == 0 and layers.shape[0] == 0
