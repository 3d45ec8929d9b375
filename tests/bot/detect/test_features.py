"""One MiniLM pass for the frustration features: the sentence vectors match the encoder's, layers are per message."""

from __future__ import annotations

import numpy as np
import pytest

from bot.detect.features import LayerEncoder
from bot.kb.encoder import Encoder

TEXTS = ["THIS IS THE THIRD TIME I ASK, where is my refund???", "hi", "can I freeze my membership while I'm abroad for a month"]


@pytest.fixture(scope="module")
def layers() -> LayerEncoder:
    return LayerEncoder(Encoder())


def test_the_sentence_vectors_are_the_knowledge_bases_embeddings(layers: LayerEncoder) -> None:
    encoded = layers.encode(TEXTS)
    assert np.allclose(encoded.sentence, layers.encoder.encode(TEXTS), atol=1e-5)
    assert np.allclose(np.linalg.norm(encoded.sentence, axis=1), 1.0, atol=1e-5)


def test_every_layer_is_mean_pooled_per_message_whatever_the_batch(layers: LayerEncoder) -> None:
    together = layers.encode(TEXTS, batch_size=2)
    assert together.layers.shape == (3, 7, layers.encoder.dimension)
    for i, text in enumerate(TEXTS):  # padding of longer neighbours does not leak into a message's mean
        assert np.allclose(layers.encode([text]).layers[0], together.layers[i], atol=1e-4)
    # Layers differ: the embedding layer is not the last one.
    assert not np.allclose(together.layers[:, 0], together.layers[:, 6], atol=1e-2)


def test_no_messages_give_empty_arrays(layers: LayerEncoder) -> None:
    encoded = layers.encode([])
    assert encoded.sentence.shape[0] == 0 and encoded.layers.shape[0] == 0
