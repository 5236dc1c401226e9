"""The ONNX runner's pure parts: how texts are cut into batches, and how token vectors are
pooled into sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from shared.index.onnx_runner import batches, pool


def test_batches_cover_every_text_once_in_order_of_length() -> None:
    lengths = [30, 5, 200, 5, 64, 64, 12, 256, 1]
    cut = list(batches(lengths, 128, 64))
    flat = [i for b in cut for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)


def test_a_batch_pads_to_at_most_the_budget_unless_one_text_alone_exceeds_it() -> None:
    lengths = [30, 5, 200, 5, 64, 64, 12, 256, 1, 100, 90]
    for b in batches(lengths, 128, 64):
        padded = len(b) * max(lengths[i] for i in b)
        assert padded <= 128 or len(b) == 1


def test_batch_size_caps_the_texts_of_a_call() -> None:
    cut = list(batches([3] * 10, 10_000, 4))
    assert [len(b) for b in cut] == [4, 4, 2]
    assert [len(b) for b in batches([3] * 5, 10_000, 1)] == [1] * 5


def test_mean_pooling_ignores_padding_and_returns_unit_vectors() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    (v,) = pool(hidden, mask, "mean")
    expect = np.array([2.0, 2.0]) / np.linalg.norm([2.0, 2.0])
    assert np.allclose(v, expect)


def test_cls_and_max_pooling() -> None:
    hidden = np.array([[[3.0, 4.0], [-1.0, 9.0], [50.0, 50.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    assert np.allclose(pool(hidden, mask, "cls")[0], [0.6, 0.8])
    assert np.allclose(pool(hidden, mask, "max")[0], np.array([3.0, 9.0]) / np.hypot(3, 9))
    with pytest.raises(ValueError, match="unknown pooling mode 'sum'"):
        pool(hidden, mask, "sum")
