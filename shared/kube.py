"""The Kubernetes base manifests (``deploy/k8s/base``), built from the same service table the
embedded stack runs (pure: data in, YAML-ready dicts out; ``devforge deploy manifests`` writes
them and a test keeps the committed files current).

One Deployment per service and per engineer role, a KEDA ``ScaledObject`` per agent role driven
by the pending messages of its own JetStream durable, a PodDisruptionBudget per Deployment,
resource requests and limits, and secrets only from Kubernetes Secrets (never in a manifest).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from shared.bus.topology import CONSUMERS
from shared.embedded.supervise import ProcSpec
from shared.natsauth import APP_ACCOUNT, password_env_var
from shared.roles import CREW

IMAGE = "devforge:0.1.0"
CONFIG = "devforge-config"  # ConfigMap (kustomize configMapGenerator in the base)
METRICS_PORT = 9464
SCRAPE = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": str(METRICS_PORT),
    "prometheus.io/path": "/metrics",
}
LANGFUSE_KEYS = (
    "DEVFORGE_LANGFUSE_HOST",
    "DEVFORGE_LANGFUSE_PUBLIC_KEY",
    "DEVFORGE_LANGFUSE_SECRET_KEY",
)
SECRET = "devforge-env"  # Secret from `devforge deploy env` (kubectl create secret ...)
GUARD_KEY_SECRET = "devforge-guard-key"
DATA_CLAIM = "devforge-data"
MONITOR = "nats:8222"  # the NATS monitoring endpoint KEDA reads (overlays replace it)
LABEL = "app.kubernetes.io/name"
PART = {"app.kubernetes.io/part-of": "devforge"}
UID = 10001


@dataclass(frozen=True)
class Sizing:
    """Requests and limits of one container, and how the Deployment scales."""

    cpu: str
    memory: str
    cpu_limit: str
    memory_limit: str
    replicas: int = 1  # fixed replicas; agent roles are scaled by KEDA instead
    max_replicas: int = 0  # > 0: a KEDA ScaledObject on the service's durable
    sandbox: bool = False  # runs tools in bubblewrap (needs user namespaces)
    min_available: int = 0  # > 0: PDB minAvailable, else maxUnavailable 1


# A crew role's process runs tools in the sandbox (the lead too: its read-only commands).
AGENT = Sizing("500m", "768Mi", "2", "4Gi", sandbox=True)
SIZES: dict[str, Sizing] = {
    "gateway": Sizing("100m", "192Mi", "1", "512Mi", replicas=2, min_available=1),
    "projector": Sizing("50m", "128Mi", "500m", "256Mi"),
    "watchdog": Sizing("20m", "96Mi", "250m", "192Mi"),
    "guard": Sizing("100m", "160Mi", "1", "384Mi", replicas=2, min_available=1),
    "conductor": Sizing("50m", "160Mi", "500m", "384Mi"),
    **{r.process: replace(AGENT, max_replicas=r.max_replicas) for r in CREW},
    "publisher": Sizing("50m", "160Mi", "500m", "384Mi", replicas=2),
    "indexer": Sizing("1", "1536Mi", "2", "3Gi"),
}


def _labels(name: str) -> dict[str, str]:
    return {LABEL: f"devforge-{name}", **PART}


def _secret(key: str, name: str = SECRET, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"secretKeyRef": ref}


def _env(spec: ProcSpec) -> list[dict[str, Any]]:
    """Credentials from the Secret; URLs composed from them with ``$(VAR)`` (the ConfigMap,
    read first through envFrom, says where NATS and PostgreSQL are)."""
    assert spec.identity is not None
    env: list[dict[str, Any]] = [
        {"name": "NATS_PASSWORD", "valueFrom": _secret(password_env_var(spec.identity))},
        {
            "name": "DEVFORGE_NATS_URL",
            "value": f"nats://{spec.identity}:$(NATS_PASSWORD)@$(NATS_ADDRESS)",
        },
        {"name": "POSTGRES_PASSWORD", "valueFrom": _secret("POSTGRES_PASSWORD")},
        {
            "name": "DEVFORGE_DATABASE_URL",
            "value": "postgresql://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@$(POSTGRES_ADDRESS)"
            "/$(POSTGRES_DB)$(POSTGRES_OPTIONS)",
        },
        {"name": "DEVFORGE_GUARD_PUBLIC_KEY", "valueFrom": _secret("DEVFORGE_GUARD_PUBLIC_KEY")},
        {
            "name": "DEVFORGE_MODEL_API_KEY",
            "valueFrom": _secret("DEVFORGE_MODEL_API_KEY", optional=True),
        },
        # Tracing to Langfuse when the Secret carries it; /metrics on every pod.
        *({"name": name, "valueFrom": _secret(name, optional=True)} for name in LANGFUSE_KEYS),
        {"name": "DEVFORGE_METRICS_PORT", "value": str(METRICS_PORT)},
        {"name": "DEVFORGE_METRICS_HOST", "value": "0.0.0.0"},
    ]
    if spec.name == "gateway":
        env.append({"name": "DEVFORGE_ADMIN_TOKEN", "valueFrom": _secret("DEVFORGE_ADMIN_TOKEN")})
    if spec.name == "guard":
        env.append(
            {"name": "DEVFORGE_GUARD_KEY_FILE", "value": "/etc/devforge/guard/guard.ed25519"}
        )
    return env


def _probes(spec: ProcSpec) -> dict[str, Any]:
    if spec.name == "gateway":
        return {
            "startupProbe": _http("/healthz", period=5, failures=24),
            "livenessProbe": _http("/healthz", period=15, failures=3),
            "readinessProbe": _http("/readyz", period=10, failures=3),
        }
    check = {"exec": {"command": ["python", "-m", "shared.health", spec.name]}}
    return {
        "startupProbe": {**check, "periodSeconds": 5, "failureThreshold": 36},
        "livenessProbe": {**check, "periodSeconds": 30, "timeoutSeconds": 10},
        "readinessProbe": {**check, "periodSeconds": 15, "timeoutSeconds": 10},
    }


def _http(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def _volumes(spec: ProcSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shared data volume (workspace remotes, local forge, prepared environments) with the
    per-pod parts (ready files, working copies, /tmp) on emptyDirs above it."""
    volumes: list[dict[str, Any]] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": DATA_CLAIM}},
        {"name": "run", "emptyDir": {}},
        {"name": "work", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "data", "mountPath": "/data"},
        {"name": "run", "mountPath": "/data/run"},
        {"name": "work", "mountPath": "/data/work"},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if spec.name == "guard":
        volumes.append(
            {"name": "guard-key", "secret": {"secretName": GUARD_KEY_SECRET, "defaultMode": 0o440}}
        )
        mounts.append({"name": "guard-key", "mountPath": "/etc/devforge/guard", "readOnly": True})
    return volumes, mounts


def deployment(spec: ProcSpec) -> dict[str, Any]:
    size = SIZES[spec.name]
    volumes, mounts = _volumes(spec)
    # bubblewrap needs user namespaces: the runtime's default seccomp/AppArmor profiles refuse
    # them, so sandboxing pods run unconfined (and with no privilege, capability or root).
    profile = "Unconfined" if size.sandbox else "RuntimeDefault"
    container: dict[str, Any] = {
        "name": spec.name,
        "image": IMAGE,
        "args": ["serve", spec.name],
        "envFrom": [{"configMapRef": {"name": CONFIG}}],
        "env": _env(spec),
        "resources": {
            "requests": {"cpu": size.cpu, "memory": size.memory},
            "limits": {"cpu": size.cpu_limit, "memory": size.memory_limit},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "appArmorProfile": {"type": profile},
        },
        "volumeMounts": mounts,
        **_probes(spec),
    }
    container["ports"] = [{"name": "metrics", "containerPort": METRICS_PORT}]
    if spec.name == "gateway":
        container["ports"].insert(0, {"name": "http", "containerPort": 8080})
    body: dict[str, Any] = {
        "selector": {"matchLabels": {LABEL: f"devforge-{spec.name}"}},
        "template": {
            "metadata": {"labels": _labels(spec.name), "annotations": SCRAPE},
            "spec": {
                "serviceAccountName": "devforge",
                "automountServiceAccountToken": False,
                "terminationGracePeriodSeconds": 30,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": UID,
                    "runAsGroup": UID,
                    "fsGroup": UID,
                    "seccompProfile": {"type": profile},
                },
                "containers": [container],
                "volumes": volumes,
            },
        },
    }
    if not size.max_replicas:  # KEDA owns the replica count of the others
        body = {"replicas": size.replicas, **body}
    return _object("apps/v1", "Deployment", spec.name, body)


def scaled_object(spec: ProcSpec) -> dict[str, Any]:
    """Scale an agent role on the messages waiting on its own durable."""
    size = SIZES[spec.name]
    consumer = CONSUMERS[spec.name]
    trigger = {
        "type": "nats-jetstream",
        "metadata": {
            "natsServerMonitoringEndpoint": MONITOR,
            "account": APP_ACCOUNT,
            "stream": consumer.stream,
            "consumer": consumer.durable,
            "lagThreshold": "2",  # a task takes minutes: two waiting per instance is a backlog
            "activationLagThreshold": "0",
        },
    }
    body = {
        "scaleTargetRef": {"name": f"devforge-{spec.name}"},
        "minReplicaCount": 1,
        "maxReplicaCount": size.max_replicas,
        "pollingInterval": 10,
        "cooldownPeriod": 300,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}
            }
        },
        "triggers": [trigger],
    }
    return _object("keda.sh/v1alpha1", "ScaledObject", spec.name, body)


def disruption_budget(spec: ProcSpec) -> dict[str, Any]:
    size = SIZES[spec.name]
    limit = {"minAvailable": size.min_available} if size.min_available else {"maxUnavailable": 1}
    body = {**limit, "selector": {"matchLabels": {LABEL: f"devforge-{spec.name}"}}}
    return _object("policy/v1", "PodDisruptionBudget", spec.name, body)


def _object(api: str, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": f"devforge-{name}", "labels": _labels(name)},
        "spec": spec,
    }


def setup_job() -> dict[str, Any]:
    """Migrations, streams and durables, as the NATS operator (run once per release)."""
    spec = ProcSpec("setup", "", "operator")
    container = {
        "name": "setup",
        "image": IMAGE,
        "args": ["setup", "--wait", "300"],
        "envFrom": [{"configMapRef": {"name": CONFIG}}],
        "env": _env(spec)[:4],
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    body = {
        "backoffLimit": 6,
        "template": {
            "metadata": {"labels": _labels("setup")},
            "spec": {
                "serviceAccountName": "devforge",
                "automountServiceAccountToken": False,
                "restartPolicy": "OnFailure",
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": UID,
                    "runAsGroup": UID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [container],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            },
        },
    }
    return _object("batch/v1", "Job", "setup", body)


def shared_objects() -> list[dict[str, Any]]:
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "devforge", "labels": PART},
        "automountServiceAccountToken": False,
    }
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": DATA_CLAIM, "labels": PART},
        "spec": {
            # every agent pod reads and writes the workspace remotes: a shared file system
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": "20Gi"}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "devforge-gateway", "labels": _labels("gateway")},
        "spec": {
            "selector": {LABEL: "devforge-gateway"},
            "ports": [{"name": "http", "port": 8080, "targetPort": "http"}],
        },
    }
    return [account, claim, service]


def base_files(services: tuple[ProcSpec, ...]) -> dict[str, list[dict[str, Any]]]:
    """File name -> the objects it holds, for every file of ``deploy/k8s/base`` but the
    kustomization itself."""
    scaled = [s for s in services if SIZES[s.name].max_replicas]
    return {
        "common.yaml": shared_objects(),
        "setup-job.yaml": [setup_job()],
        "deployments.yaml": [deployment(s) for s in services],
        "scaledobjects.yaml": [scaled_object(s) for s in scaled],
        "pdbs.yaml": [disruption_budget(s) for s in services],
    }
