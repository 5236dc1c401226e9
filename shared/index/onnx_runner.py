"""Run an exported embedding model (``shared.index.onnx_export``) with ONNX Runtime.

Texts are tokenized once, ordered by length and cut into small batches of nearly equal length
(little padding; the activations of a batch stay in the core's cache); the batches run on one
session from several threads at once, each with one intra-op thread, which keeps both cores
busier than one call spread over two threads. Pooling and normalisation follow the
sentence-transformers model the graph came from. Needs neither torch nor transformers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from shared.index.onnx_export import Exported

Tick = Callable[[int, int], None]


class OnnxEncoder:
    def __init__(self, exported: Exported, int8: bool, max_seq_length: int, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # warnings about unused initializers are noise here
        self.session = ort.InferenceSession(
            str(exported.graph(int8)), opts, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(exported.tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        self.exported = exported
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")

    @property
    def dimension(self) -> int:
        return self.exported.dimension

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_tokens: int,
        batch_size: int,
        tick: Tick | None = None,
    ) -> np.ndarray:
        """Unit vectors of ``texts``, in order (float32, one row per text)."""
        # sentence-transformers strips each text (and lowercases it for such models) before
        # tokenizing; so do we, to match it.
        lower = self.exported.lowercase
        encodings = self.tokenizer.encode_batch(
            [t.strip().lower() if lower else t.strip() for t in texts]
        )
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        done = 0
        for idx, vecs in self._pool.map(
            lambda idx: (idx, self._run([encodings[i] for i in idx])),
            batches([len(e.ids) for e in encodings], batch_tokens, batch_size),
        ):
            out[idx] = vecs
            done += len(idx)
            if tick is not None:
                tick(done, len(texts))
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        feed = {
            name: np.zeros((len(encodings), width), dtype=np.int64) for name in self.exported.inputs
        }
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            feed["attention_mask"][row, :n] = e.attention_mask
            if "token_type_ids" in feed:
                feed["token_type_ids"][row, :n] = e.type_ids
        (hidden,) = self.session.run(["hidden"], feed)
        return pool(hidden, feed["attention_mask"], self.exported.pooling)


def batches(lengths: Sequence[int], batch_tokens: int, batch_size: int) -> Iterator[list[int]]:
    """Indices in order of length, cut so that a batch pads to at most ``batch_tokens`` tokens
    (one text alone may exceed it) and holds at most ``batch_size`` texts. Pure."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    start = 0
    while start < len(order):
        end = start + 1
        while (
            end < len(order)
            and end - start < batch_size
            and (end - start + 1) * lengths[order[end]] <= batch_tokens
        ):
            end += 1
        yield order[start:end]
        start = end


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Pool token vectors (batch, tokens, dim) into unit sentence vectors, as
    sentence-transformers does for ``mode``. Pure."""
    m = mask[..., None].astype(np.float32)
    if mode == "mean":
        v = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    elif mode == "cls":
        v = hidden[:, 0]
    elif mode == "max":
        v = np.where(m > 0, hidden, -1e9).max(axis=1)
    else:
        raise ValueError(f"unknown pooling mode {mode!r}")
    norms = np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
    unit: np.ndarray = (v / norms).astype(np.float32)
    return unit
