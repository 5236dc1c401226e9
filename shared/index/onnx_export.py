"""Turn a sentence-transformers model into an ONNX file for ONNX Runtime, once per model and
recipe, into a cache directory that any number of processes share.

The recipe: the transformer exported in float32 with eager attention (the SDPA graph carries
masking operators that cost ~10 % at run time), and beside it an int8 copy with its weight
matrix multiplications quantized dynamically (int8 weights per output channel, activations
quantized at run time with one scale per call).
Pooling and normalisation stay outside the graph (``shared.index.onnx_runner``); the pooling
mode and the tokenizer are saved beside the graph so that running it needs neither torch nor
transformers.

This is the only module of the index that imports torch for ONNX; it runs on a cache miss only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bump when the recipe changes: older exports are then made again, never reused.
RECIPE = 1
POOLING_MODES = ("mean", "cls", "max")
META = "devforge-onnx.json"


class ExportError(RuntimeError):
    """The model cannot be exported (the message says why and what to set instead)."""


@dataclass(frozen=True)
class Exported:
    """An exported model on disk: the graph, its tokenizer and how to pool its output."""

    directory: Path
    pooling: str
    dimension: int
    inputs: tuple[str, ...]
    lowercase: bool = False

    def graph(self, int8: bool) -> Path:
        return self.directory / ("model.int8.onnx" if int8 else "model.onnx")

    @property
    def tokenizer(self) -> Path:
        return self.directory / "tokenizer.json"


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "devforge" / "models"


def identity(model: str) -> str:
    """What the export depends on: a local directory's file names and bytes, or a hub name."""
    h = hashlib.sha256(f"recipe {RECIPE}\n".encode())
    root = Path(model)
    if not root.is_dir():
        h.update(f"name {model}\n".encode())
        return h.hexdigest()[:20]
    for p in sorted(x for x in root.rglob("*") if x.is_file()):
        h.update(f"{p.relative_to(root)}\n".encode())
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:20]


def prepared(model: str, cache: Path) -> Exported:
    """The exported model, made on first use. Concurrent callers (processes or threads) wait
    for one export rather than making several; a half-written export is never seen."""
    name = identity(model)
    target = cache / name
    found = _read(target)
    if found is not None:
        return found
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / f"{name}.lock"):
        found = _read(target)
        if found is not None:
            return found
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
        try:
            export(model, work)
            os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    found = _read(target)
    assert found is not None
    return found


def _read(directory: Path) -> Exported | None:
    try:
        meta = json.loads((directory / META).read_text())
    except (OSError, ValueError):
        return None
    return Exported(
        directory,
        meta["pooling"],
        int(meta["dimension"]),
        tuple(meta["inputs"]),
        bool(meta.get("lowercase", False)),
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def export(model: str, dest: Path) -> None:
    """Write ``model.onnx``, ``model.int8.onnx``, ``tokenizer.json`` and the pooling facts
    into ``dest``."""
    if Path(model).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        st: Any = SentenceTransformer(
            model, device="cpu", model_kwargs={"attn_implementation": "eager"}
        )
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot load embedding model {model!r}: {exc}") from None
    pooling = _pooling_mode(st)
    transformer = st[0].auto_model.eval()
    sample = st.tokenizer(
        ["def add(a, b):", "return a + b  # two"], padding=True, return_tensors="pt"
    )
    inputs = tuple(n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample)
    axes = {n: {0: "batch", 1: "tokens"} for n in (*inputs, "hidden")}

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(inputs, args, strict=True))).last_hidden_state

    graph = dest / "model.onnx"
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's notes on constant shapes; checked below
        torch.onnx.export(
            Hidden(),
            tuple(sample[n] for n in inputs),
            str(graph),
            input_names=list(inputs),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript, and a graph ORT fuses well
        )
    _quantize(graph, dest / "model.int8.onnx")
    st.tokenizer.backend_tokenizer.save(str(dest / "tokenizer.json"))
    meta = {
        "model": model,
        "recipe": RECIPE,
        "pooling": pooling,
        "dimension": int(st.get_embedding_dimension()),
        "inputs": list(inputs),
        "lowercase": bool(getattr(st[0], "do_lower_case", False)),
    }
    (dest / META).write_text(json.dumps(meta, indent=2))


def _pooling_mode(st: Any) -> str:
    """Only what the runner can pool: a transformer, one pooling module, an optional Normalize."""
    names = [type(m).__name__ for m in st]
    if names[:2] != ["Transformer", "Pooling"] or any(n != "Normalize" for n in names[2:]):
        raise ExportError(
            f"the ONNX backend supports Transformer + Pooling (+ Normalize) models, not "
            f"{' + '.join(names)}; set DEVFORGE_EMBEDDING_BACKEND=torch for this model"
        )
    mode = str(getattr(st[1], "pooling_mode", ""))
    if mode not in POOLING_MODES:
        raise ExportError(
            f"the ONNX backend pools by {', '.join(POOLING_MODES)}, not {mode!r}; "
            "set DEVFORGE_EMBEDDING_BACKEND=torch for this model"
        )
    return mode


def _quantize(src: Path, dst: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()  # the quantizer advises pre-processing there: noise for us
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=QuantType.QInt8,  # u8 activations x s8 weights: MLAS's fast path
            per_channel=True,  # one scale per output column: cosine ~0.99 with the float model
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def main() -> None:
    """``python -m shared.index.onnx_export``: export the configured model into the configured
    cache now (the image does this at build time) and print where it went."""
    from shared.index.embedder import default_model
    from shared.settings import get_settings

    settings = get_settings()
    done = prepared(
        settings.embedding_model or default_model(), settings.embedding_cache or default_cache()
    )
    print(done.directory)


if __name__ == "__main__":
    main()
