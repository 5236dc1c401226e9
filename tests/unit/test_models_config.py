"""models.yaml and its environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.models.config import (
    LOCAL_API_KEY,
    OPENROUTER_URL,
    ROLES,
    ModelConfigError,
    is_local_url,
    load_models_file,
    model_config,
)

KEY = {"DEVFORGE_MODEL_API_KEY": "sk-test"}


def test_packaged_file_configures_every_role_with_a_fallback() -> None:
    loaded = load_models_file({})
    assert set(ROLES) <= set(loaded.agents)
    for role in ROLES:
        cfg = model_config(role, KEY)
        assert cfg.base_url == OPENROUTER_URL
        assert cfg.primary and len(cfg.fallbacks) >= 1
        assert cfg.primary not in cfg.fallbacks


def test_api_key_from_devforge_or_openrouter_variable() -> None:
    assert model_config("lead", KEY).api_key == "sk-test"
    assert model_config("lead", {"OPENROUTER_API_KEY": "sk-or"}).api_key == "sk-or"
    both = {"OPENROUTER_API_KEY": "sk-or", **KEY}
    assert model_config("lead", both).api_key == "sk-test"
    assert "sk-test" not in repr(model_config("lead", KEY))


def test_missing_key_for_a_remote_endpoint_is_a_clear_error() -> None:
    with pytest.raises(
        ModelConfigError, match=r"no API key for agent role 'qa'.*DEVFORGE_MODEL_API"
    ):
        model_config("qa", {})


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://localhost:8080/v1", True),
        ("http://vllm:8000/v1", True),
        ("http://llama.default.svc:8080/v1", True),
        ("http://10.1.2.3/v1", True),
        ("http://[::1]:9/v1", True),
        ("https://openrouter.ai/api/v1", False),
        ("https://api.openai.com/v1", False),
        ("https://8.8.8.8/v1", False),
        ("not a url", False),
    ],
)
def test_local_urls(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_local_base_url_needs_no_key_and_overrides_every_role() -> None:
    env = {"DEVFORGE_MODEL_BASE_URL": "http://127.0.0.1:5555/v1"}
    for role in ROLES:
        cfg = model_config(role, env)
        assert (cfg.base_url, cfg.api_key) == ("http://127.0.0.1:5555/v1", LOCAL_API_KEY)


def test_role_variable_sets_primary_and_fallbacks() -> None:
    cfg = model_config("lead", {**KEY, "DEVFORGE_MODEL_LEAD": " model-a, model-b ,model-c"})
    assert cfg.models == ("model-a", "model-b", "model-c")
    assert cfg.fallbacks == ("model-b", "model-c")
    assert model_config("backend", {**KEY, "DEVFORGE_MODEL_LEAD": "x"}).primary != "x"


def test_timeout_and_retries_from_environment() -> None:
    env = {**KEY, "DEVFORGE_MODEL_TIMEOUT": "7.5", "DEVFORGE_MODEL_MAX_RETRIES": "0"}
    cfg = model_config("qa", env)
    assert (cfg.timeout, cfg.max_retries) == (7.5, 0)
    with pytest.raises(ModelConfigError):
        model_config("qa", {**KEY, "DEVFORGE_MODEL_TIMEOUT": "soon"})


def test_models_file_overlays_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "defaults:\n  base_url: http://localhost:8000/v1\n  temperature: 0.7\n"
        "agents:\n  lead:\n    model: local/one\n    max_tokens: 100\n"
        "  reviewer:\n    model: local/two\n    fallbacks: [local/three]\n"
    )
    env = {"DEVFORGE_MODELS_FILE": str(path)}
    lead = model_config("lead", env)
    assert lead.models == ("local/one",)
    assert (lead.base_url, lead.temperature, lead.max_tokens) == (
        "http://localhost:8000/v1",
        0.7,
        100,
    )
    assert lead.max_retries == 2  # the packaged default survives the merge
    assert model_config("reviewer", env).models == ("local/two", "local/three")
    assert model_config("qa", env).temperature == 0.0  # roles not in the file are kept


def test_bad_files_and_roles_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents:\n  lead:\n    modle: typo\n")
    with pytest.raises(ModelConfigError, match="invalid model configuration"):
        model_config("lead", {**KEY, "DEVFORGE_MODELS_FILE": str(bad)})
    with pytest.raises(ModelConfigError, match="DEVFORGE_MODELS_FILE"):
        model_config("lead", {**KEY, "DEVFORGE_MODELS_FILE": str(tmp_path / "none.yaml")})
    with pytest.raises(ModelConfigError, match="no model configured for agent role 'poet'"):
        model_config("poet", KEY)
