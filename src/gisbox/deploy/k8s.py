"""`gisbox k8s`: Kubernetes manifests for the project's image, referenced by digest.

A service image (`[service] enabled`) gets a Deployment with startup, liveness and
readiness probes on `/healthz` and `/readyz`, a Service and a PodDisruptionBudget; any
other image gets a `DaskCluster` (kubernetes.dask.org/v1, the dask-kubernetes operator)
whose scheduler and workers run the same image, and a Job: `gisbox run …` with the
arguments given, else `gisbox check --workloads` (the image verified where it runs). Every pod
meets the "restricted" Pod Security Standard (non-root with the image's uid, no privilege
escalation, every capability dropped, the RuntimeDefault seccomp profile) and runs with a
read-only root filesystem: emptyDirs hold /tmp and HOME, and PROJ's user-writable
directory lives in HOME. Requests and limits are set on every container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gisbox.deploy.containers import PRELOAD, RUNTIME_DIR
from gisbox.project.spec import Spec
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import UsageError

KUBERNETES_VERSION = "1.31"  # the API the manifests are written and validated for
_BY_DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
Manifest = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Resources:
    cpu: str = "500m"
    memory: str = "1Gi"
    cpu_limit: str = "2"
    memory_limit: str = "2Gi"

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu, "memory": self.memory},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


def check_image(image: str) -> str:
    if not _BY_DIGEST.match(image):
        raise UsageError(
            f"--image {image!r} is not a reference by digest (REPOSITORY@sha256:…)",
            hint="use what `gisbox push` prints, e.g. registry.example/app@sha256:…",
        )
    return image


def name_of(spec: Spec) -> str:
    """A DNS-1123 name from the image name: 'gisbox/app' -> 'app'."""
    base = spec.image.name.rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:50] or "gisbox"


def pod_security(spec: Spec) -> dict[str, Any]:
    uid = spec.runtime.uid
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def writable(spec: Spec) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    """(volumes, mounts, env): emptyDirs for /tmp and HOME; PROJ's directory in HOME."""
    home = f"/home/{spec.runtime.user}"
    volumes = [{"name": "tmp", "emptyDir": {}}, {"name": "home", "emptyDir": {}}]
    mounts = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "home", "mountPath": home}]
    env = [
        {"name": "HOME", "value": home},
        {"name": "PYTHONPATH", "value": RUNTIME_DIR},  # gisbox.runtime for Dask's --preload
        {"name": "PROJ_USER_WRITABLE_DIRECTORY", "value": f"{home}/.local/share/proj"},
    ]
    return volumes, mounts, env


def container(
    spec: Spec, name: str, image: str, args: list[str] | None, resources: Resources
) -> dict[str, Any]:
    _volumes, mounts, env = writable(spec)
    out: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "volumeMounts": mounts,
        "resources": resources.as_dict(),
        "securityContext": CONTAINER_SECURITY,
    }
    if args is not None:
        out["args"] = args
    return out


def pod_spec(spec: Spec, containers: list[dict[str, Any]], restart: str | None = None) -> Manifest:
    volumes, _mounts, _env = writable(spec)
    out: Manifest = {
        "securityContext": pod_security(spec),
        "automountServiceAccountToken": False,
        "containers": containers,
        "volumes": volumes,
    }
    if restart:
        out["restartPolicy"] = restart
    return out


def service_manifests(
    spec: Spec, image: str, replicas: int, resources: Resources
) -> list[Manifest]:
    name, port = name_of(spec), spec.service.port
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "gisbox"}
    main = container(spec, name, image, None, resources)
    main["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]

    def probe(path: str, **timing: int) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": "http"}, "timeoutSeconds": 5, **timing}

    main["startupProbe"] = probe("/healthz", periodSeconds=2, failureThreshold=60)
    main["livenessProbe"] = probe("/healthz", periodSeconds=15, failureThreshold=3)
    main["readinessProbe"] = probe("/readyz", periodSeconds=5, failureThreshold=2)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec(spec, [main])},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": labels,
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "labels": labels},
        "spec": {"minAvailable": 1 if replicas > 1 else 0, "selector": {"matchLabels": labels}},
    }
    return [deployment, service, pdb]


def dask_manifests(
    spec: Spec, image: str, workers: int, resources: Resources, job_command: list[str]
) -> list[Manifest]:
    name = name_of(spec)
    preload = ["--preload", PRELOAD]  # gisbox check at start; one fingerprint for all
    scheduler = container(spec, "scheduler", image, ["dask", "scheduler", *preload], resources)
    scheduler["ports"] = [
        {"name": "tcp-comm", "containerPort": 8786, "protocol": "TCP"},
        {"name": "http-dashboard", "containerPort": 8787, "protocol": "TCP"},
    ]
    health = {"httpGet": {"port": "http-dashboard", "path": "/health"}}
    scheduler["readinessProbe"] = {**health, "initialDelaySeconds": 0, "periodSeconds": 5}
    scheduler["livenessProbe"] = {**health, "initialDelaySeconds": 15, "periodSeconds": 20}
    worker_args = ["dask", "worker", "--name", "$(DASK_WORKER_NAME)", "--dashboard",
                   "--dashboard-address", "8788", "--memory-limit", "auto", *preload]  # fmt: skip
    worker = container(spec, "worker", image, worker_args, resources)
    worker["ports"] = [{"name": "http-dashboard", "containerPort": 8788, "protocol": "TCP"}]
    worker["livenessProbe"] = {"httpGet": {"port": "http-dashboard", "path": "/health"}}
    selector = {"dask.org/cluster-name": name, "dask.org/component": "scheduler"}
    cluster = {
        "apiVersion": "kubernetes.dask.org/v1",
        "kind": "DaskCluster",
        "metadata": {"name": name},
        "spec": {
            "worker": {"replicas": workers, "spec": pod_spec(spec, [worker])},
            "scheduler": {
                "spec": pod_spec(spec, [scheduler]),
                "service": scheduler_service(selector),
            },
        },
    }
    if job_command[:1] == ["run"]:  # the workload runs on the DaskCluster's workers
        job_command = [*job_command, "--cluster", f"tcp://{name}-scheduler:8786"]
    run = container(spec, "run", image, ["/usr/local/bin/gisbox", *job_command], resources)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"{name}-run"},
        "spec": {
            "backoffLimit": 1,
            "template": {"spec": pod_spec(spec, [run], restart="Never")},
        },
    }
    return [cluster, job]


def scheduler_service(selector: dict[str, str]) -> Manifest:
    """The DaskCluster's scheduler Service: Dask's protocol and the dashboard."""
    ports = [("tcp-comm", 8786), ("http-dashboard", 8787)]
    return {
        "type": "ClusterIP",
        "selector": selector,
        "ports": [
            {"name": name, "protocol": "TCP", "port": port, "targetPort": name}
            for name, port in ports
        ],
    }


def require_distributed(locked: frozenset[str]) -> None:
    """A Dask cluster runs `dask scheduler` and `dask worker` from the image itself."""
    if "distributed" not in locked:
        raise UsageError(
            "a Dask cluster runs `dask scheduler` and `dask worker` from the image, and the "
            "lock has no `distributed`",
            hint='add "distributed" to [python] packages (the analysis profile has it) and '
            "run `gisbox lock` and `gisbox build`",
        )


def manifests(
    spec: Spec,
    image: str,
    *,
    locked: frozenset[str] | None = None,
    replicas: int = 2,
    workers: int = 2,
    resources: Resources | None = None,
    job: tuple[str, ...] = ("check", "--workloads"),
) -> list[Manifest]:
    """The manifests for the image; `locked`: the lock's package names (a DaskCluster needs
    `distributed` in the image for `dask scheduler` and `dask worker`)."""
    resources = resources or Resources()
    if spec.service.enabled:
        return service_manifests(spec, check_image(image), replicas, resources)
    if locked is not None:
        require_distributed(locked)
    return dask_manifests(spec, check_image(image), workers, resources, list(job))


def write_manifests(out: Path, docs: list[Manifest]) -> list[Path]:
    """One YAML file per manifest (`<kind>.yaml`), written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in docs:
        path = out / f"{doc['kind'].lower()}.yaml"
        write_text_atomic(path, yaml.safe_dump(doc, sort_keys=False))
        written.append(path)
    return written
