"""The embedding backends against sentence-transformers itself, with the real model: the float
ONNX graph gives its vectors, the int8 graph stays close and is deterministic per text, the
export is made once per model and shared, and a model the export cannot run is refused with
the setting to change."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shared.index import embedder as embedding
from shared.index import onnx_export
from shared.index.embedder import Embedder, EmbeddingError, default_model

TEXTS = [
    "shop/cart.py Cart.total\ndef total(self) -> int:\n    return sum(i.price for i in self.items)",
    "def health():\n    return {'status': 'ok'}",
    "SELECT id, name FROM users WHERE active = true ORDER BY name",
    "function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); "
    "t = setTimeout(() => fn(...a), ms); }; }",
    "   Leading and trailing spaces are stripped like sentence-transformers does   ",
    "x" * 3000,  # longer than max_seq_length: truncated alike
]


@pytest.fixture(scope="module")
def reference() -> Any:
    """Plain sentence-transformers on torch: what the ONNX graphs must reproduce."""
    return np.asarray(Embedder(backend="torch").embed(TEXTS))


def test_float_onnx_gives_the_sentence_transformers_vectors(reference: Any) -> None:
    vecs = np.asarray(Embedder(backend="onnx").embed(TEXTS))
    assert vecs.shape == reference.shape
    assert np.min(np.sum(vecs * reference, axis=1)) > 0.99999
    assert Embedder(backend="onnx").model_id == Embedder(backend="torch").model_id


def test_int8_documents_stay_close_and_queries_use_the_float_graph(reference: Any) -> None:
    model = Embedder()  # the default backend
    assert model.backend == "onnx-int8" and model.model_id.endswith("/int8")
    docs = np.asarray(model.embed(TEXTS))
    cosines = np.sum(docs * reference, axis=1)
    assert np.min(cosines) > 0.97 and np.max(cosines) < 0.99999  # close, and really int8
    queries = np.asarray(model.embed_queries(TEXTS))
    assert np.min(np.sum(queries * reference, axis=1)) > 0.99999


def test_an_int8_vector_does_not_depend_on_the_texts_beside_it() -> None:
    model = Embedder()
    together = np.asarray(model.embed(TEXTS))
    for i, text in enumerate(TEXTS):
        assert np.array_equal(np.asarray(model.embed([text]))[0], together[i])


def test_the_export_is_made_once_and_shared(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    made: list[Path] = []
    real = onnx_export.export

    def counting(model: str, dest: Path) -> None:
        made.append(dest)
        real(model, dest)

    onnx_export.export = counting  # count calls; the real export still runs
    try:
        results: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(onnx_export.prepared(default_model(), cache))
            )
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        again = onnx_export.prepared(default_model(), cache)
    finally:
        onnx_export.export = real
    assert len(made) == 1
    assert {r.directory for r in results} == {again.directory}
    assert again.graph(True).is_file() and again.graph(False).is_file()
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [
        again.directory.name
    ]


def test_a_changed_model_gets_a_new_export(tmp_path: Path) -> None:
    model = _copy_model(tmp_path / "model")
    before = onnx_export.identity(str(model))
    cfg = model / "config_sentence_transformers.json"
    cfg.write_text(cfg.read_text() + "\n")
    assert onnx_export.identity(str(model)) != before


def test_a_model_the_export_cannot_pool_is_refused_with_the_setting(tmp_path: Path) -> None:
    model = _copy_model(tmp_path / "weighted")
    (model / "1_Pooling" / "config.json").write_text(
        '{"word_embedding_dimension": 384, "pooling_mode_weightedmean_tokens": true}'
    )
    embedding._LOADED.clear()
    with pytest.raises(EmbeddingError, match="DEVFORGE_EMBEDDING_BACKEND=torch"):
        Embedder(str(model), cache_dir=tmp_path / "cache").load()
    assert not any((tmp_path / "cache").glob("*/model.onnx"))  # nothing half-made left


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(EmbeddingError, match="unknown embedding backend 'gpu'"):
        Embedder(backend="gpu")


def _copy_model(dest: Path) -> Path:
    """The packaged model's directory, small files copied and the weights linked."""
    src = Path(default_model())
    for p in src.rglob("*"):
        target = dest / p.relative_to(src)
        if p.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif p.stat().st_size > 1_000_000:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(p)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, target)
    return dest
