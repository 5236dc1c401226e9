"""Every Kubernetes manifest, as each overlay builds it, against the Kubernetes API schemas
(kubernetes-validate, strict: unknown fields are errors) and the vendored KEDA ScaledObject
schema; plus what the schemas cannot say: every service and role is deployed, scaled on its
own durable, budgeted, and gets its secrets from Secrets that `devforge deploy env` fills."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from shared.bus.topology import CONSUMERS
from shared.cli.deploy_cmds import deploy_app, read_env_file, render_manifests
from shared.embedded.stack import SERVICES
from shared.roles import CREW
from tests.deploy.kustomize import Unsupported, build

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("single-node", "external")
KUBE_VERSION = "1.33"
KEDA = json.loads(
    (Path(__file__).parent / "schemas" / "keda-scaledobject-v1alpha1.json").read_text()
)
AGENT_ROLES = tuple(r.process for r in CREW)


def validate(obj: dict[str, Any]) -> None:
    if obj["apiVersion"].startswith("keda.sh/"):
        assert obj["kind"] == "ScaledObject", obj["kind"]
        jsonschema.validate(obj, KEDA)
    else:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def named(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def built(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return build(K8S / "overlays" / request.param)


def test_every_object_of_every_overlay_is_valid(built: list[dict[str, Any]]) -> None:
    for obj in built:
        validate(obj)
    assert len(built) > 30


def test_the_validators_catch_mistakes() -> None:
    objects = build(K8S / "overlays" / "single-node")
    deployment = dict(named(objects, "Deployment")["devforge-guard"])
    typo = json.loads(json.dumps(deployment))
    typo["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # not `resources`
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(typo)
    scaled = json.loads(json.dumps(named(objects, "ScaledObject")["devforge-qa"]))
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 2  # KEDA wants strings
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)
    del scaled["spec"]["scaleTargetRef"]
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)


def test_the_builder_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: x-\n")
    with pytest.raises(Unsupported):
        build(tmp_path)


def test_committed_base_is_current() -> None:
    for name, text in render_manifests().items():
        assert (K8S / "base" / name).read_text() == text, (
            f"stale: devforge deploy manifests ({name})"
        )
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == set(render_manifests())


def test_every_service_and_role_is_deployed_budgeted_and_sized(built: list[dict[str, Any]]) -> None:
    deployments = named(built, "Deployment")
    budgets = named(built, "PodDisruptionBudget")
    for spec in SERVICES:
        d = deployments[f"devforge-{spec.name}"]
        pod = d["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert c["args"] == ["serve", spec.name]
        assert c["resources"]["requests"] and c["resources"]["limits"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert "livenessProbe" in c and "readinessProbe" in c
        labels = d["spec"]["template"]["metadata"]["labels"]
        pdb = budgets[f"devforge-{spec.name}"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        env = {e["name"]: e for e in c["env"]}
        assert env["DEVFORGE_NATS_URL"]["value"].startswith(f"nats://{spec.identity}:")
    guard_budget = budgets["devforge-guard"]["spec"]
    assert guard_budget == {**guard_budget, "minAvailable": 1}  # a stopped guard stops all tools


def test_each_agent_role_scales_on_its_own_durable(built: list[dict[str, Any]]) -> None:
    scaled = named(built, "ScaledObject")
    deployments = named(built, "Deployment")
    assert set(scaled) == {f"devforge-{r}" for r in AGENT_ROLES}
    for role in AGENT_ROLES:
        so = scaled[f"devforge-{role}"]["spec"]
        assert so["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[so["scaleTargetRef"]["name"]]["spec"]  # KEDA's
        (trigger,) = so["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "nats-jetstream"
        assert (meta["stream"], meta["consumer"]) == (CONSUMERS[role].stream, role)
        assert meta["account"] == "APP"
        assert so["minReplicaCount"] >= 1 and so["maxReplicaCount"] > so["minReplicaCount"]


def _config(objects: list[dict[str, Any]]) -> dict[str, str]:
    return dict(named(objects, "ConfigMap")["devforge-config"]["data"])


def test_secrets_come_from_the_secret_that_deploy_env_writes(
    built: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path / "home"))
    out = tmp_path / ".env"
    res = CliRunner().invoke(
        deploy_app, ["env", "--out", str(out), "--key-out", str(tmp_path / "k" / "guard.ed25519")]
    )
    assert res.exit_code == 0, res.output
    written = set(read_env_file(out))
    assert not named(built, "Secret"), "no Secret belongs in the manifests"
    config = _config(built)
    for obj in built:
        for c in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            known = set(config) if any("configMapRef" in f for f in c.get("envFrom", [])) else set()
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["key"] in written, (obj["metadata"]["name"], ref)
                for var in re.findall(r"\$\((\w+)\)", e.get("value", "")):
                    assert var in known, (obj["metadata"]["name"], e["name"], var)
                known.add(e["name"])
                if "value" in e:
                    assert "PASSWORD" not in e["name"] and "TOKEN" not in e["name"]


def test_overlays_point_at_their_bus_and_database() -> None:
    single = build(K8S / "overlays" / "single-node")
    external = build(K8S / "overlays" / "external")
    assert set(named(single, "StatefulSet")) == {"nats", "postgres"}
    assert _config(single)["DEVFORGE_STREAM_REPLICAS"] == "1"
    nats_conf = named(single, "ConfigMap")["nats-config"]["data"]["nats.conf"]
    assert nats_conf == (ROOT / "deploy" / "nats" / "nats.conf").read_text(), (
        "stale copy: cp deploy/nats/nats.conf deploy/k8s/overlays/single-node/"
    )
    assert "sync_interval: always" in nats_conf and "http_port: 8222" in nats_conf
    assert not named(external, "StatefulSet")
    config = _config(external)
    assert config["DEVFORGE_STREAM_REPLICAS"] == "3"
    assert config["NATS_ADDRESS"] != "nats:4222" and config["POSTGRES_ADDRESS"] != "postgres:5432"
    for so in named(external, "ScaledObject").values():
        endpoint = so["spec"]["triggers"][0]["metadata"]["natsServerMonitoringEndpoint"]
        assert endpoint.split(":")[0] == config["NATS_ADDRESS"].split(":")[0]
