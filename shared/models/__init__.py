"""The one model path of the agents, its replay server and its recorder.

Agents call models only through ``DevForgeModelProvider`` (OpenAI-compatible chat completions,
per-role models with fallbacks from ``models.yaml`` and the environment). Tests and the demo point
it at the replay server (``devforge model-server DIR``) serving recorded transcripts.

The names below are imported lazily, so that the CLI and the replay server do not pay for
importing the Agents SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.models.config import AgentModelConfig, ModelConfigError, model_config
    from shared.models.provider import (
        DevForgeModel,
        DevForgeModelProvider,
        ModelsUnavailableError,
        NotRecordedError,
        configure_tracing,
    )
    from shared.models.recorder import TranscriptRecorder
    from shared.models.records import TurnHook, TurnRecord

_WHERE = {
    "AgentModelConfig": "config",
    "ModelConfigError": "config",
    "model_config": "config",
    "DevForgeModel": "provider",
    "DevForgeModelProvider": "provider",
    "ModelsUnavailableError": "provider",
    "NotRecordedError": "provider",
    "configure_tracing": "provider",
    "TranscriptRecorder": "recorder",
    "TurnHook": "records",
    "TurnRecord": "records",
}
__all__ = [
    "AgentModelConfig",
    "DevForgeModel",
    "DevForgeModelProvider",
    "ModelConfigError",
    "ModelsUnavailableError",
    "NotRecordedError",
    "TranscriptRecorder",
    "TurnHook",
    "TurnRecord",
    "configure_tracing",
    "model_config",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shared.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"shared.models.{module}"), name)
