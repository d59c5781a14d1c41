"""`gisbox k8s`: manifests validated offline against Kubernetes' schemas (strict) and the
Dask operator's CRD, and every pod within the "restricted" Pod Security Standard."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.deploy.k8s import KUBERNETES_VERSION, Manifest, manifests, write_manifests
from gisbox.project.spec import Spec, parse_spec
from gisbox.runtime.errors import UsageError

from ..conftest import PROJECTS

IMAGE = "registry.example/gisbox/app@sha256:" + "a" * 64
CRDS = "operator/deployment/helm/dask-kubernetes-operator/crds"


def spec_of(service: bool) -> Spec:
    data = {"image": {"name": "gisbox/app"}, "service": {"enabled": service}}
    return parse_spec(data, "gisbox.toml")


def crd_schema(kind: str) -> dict[str, Any]:
    text = resources.files("dask_kubernetes").joinpath(f"{CRDS}/{kind.lower()}.yaml").read_text()
    crd = yaml.safe_load(text)
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def validate(doc: Manifest) -> None:
    if doc["apiVersion"].startswith("kubernetes.dask.org/"):
        jsonschema.validate(doc, crd_schema(doc["kind"]))
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def pod_specs(doc: Manifest) -> Iterator[dict[str, Any]]:
    if doc["kind"] in ("Deployment", "Job"):
        yield doc["spec"]["template"]["spec"]
    elif doc["kind"] == "DaskCluster":
        yield doc["spec"]["scheduler"]["spec"]
        yield doc["spec"]["worker"]["spec"]


def assert_restricted(pod: dict[str, Any], uid: int) -> None:
    sec = pod["securityContext"]
    assert sec["runAsNonRoot"] is True and sec["runAsUser"] == uid
    assert sec["seccompProfile"] == {"type": "RuntimeDefault"}
    mounted = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    for c in pod["containers"]:
        csec = c["securityContext"]
        assert csec["allowPrivilegeEscalation"] is False
        assert csec["capabilities"] == {"drop": ["ALL"]}
        assert csec["readOnlyRootFilesystem"] is True
        assert {"/tmp", "/home/gis"} <= {m["mountPath"] for m in c["volumeMounts"]}
        assert {m["name"] for m in c["volumeMounts"]} <= mounted
        env = {e["name"]: e["value"] for e in c["env"]}
        assert env["PROJ_USER_WRITABLE_DIRECTORY"].startswith("/home/gis/")
        assert set(c["resources"]) == {"requests", "limits"}
        assert c["image"] == IMAGE


@pytest.mark.parametrize("service", [True, False])
def test_every_manifest_validates_and_every_pod_is_restricted(service: bool) -> None:
    docs = manifests(spec_of(service), IMAGE)
    kinds = [d["kind"] for d in docs]
    assert kinds == (["Deployment", "Service", "PodDisruptionBudget"] if service
                     else ["DaskCluster", "Job"])  # fmt: skip
    for doc in docs:
        validate(doc)
        for pod in pod_specs(doc):
            assert_restricted(pod, 10001)


def test_a_service_is_probed_on_its_health_endpoints() -> None:
    deployment = manifests(spec_of(True), IMAGE)[0]
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_the_validators_catch_a_broken_manifest() -> None:
    deployment = manifests(spec_of(True), IMAGE)[0]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    unknown = manifests(spec_of(True), IMAGE)[0]
    unknown["spec"]["template"]["spec"]["containers"][0]["readOnlyRoot"] = True  # strict
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown)
    cluster = manifests(spec_of(False), IMAGE)[0]
    cluster["spec"]["worker"]["replicas"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        validate(cluster)


def test_an_image_not_by_digest_is_refused() -> None:
    with pytest.raises(UsageError, match="not a reference by digest"):
        manifests(spec_of(True), "gisbox/app:latest")


def test_a_dask_cluster_needs_distributed_in_the_lock() -> None:
    with pytest.raises(UsageError, match="the lock has no `distributed`"):
        manifests(spec_of(False), IMAGE, locked=frozenset({"geopandas", "dask"}))
    assert manifests(spec_of(False), IMAGE, locked=frozenset({"distributed"}))


def test_the_command_writes_one_yaml_file_per_kind(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(PROJECTS / "service", project)
    out = tmp_path / "k8s"
    res = CliRunner().invoke(cli, ["k8s", "-C", str(project), "--out", str(out), "--image", IMAGE])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["deployment.yaml", "poddisruptionbudget.yaml", "service.yaml"]
    for path in out.iterdir():
        validate(yaml.safe_load(path.read_text()))
    assert write_manifests(out, []) == []
    analysis, out = tmp_path / "a", tmp_path / "k8s-analysis"
    shutil.copytree(PROJECTS / "analysis", analysis)  # its lock has distributed
    run = ["--run", "moran /data/parcels.gpkg --column price"]
    res = CliRunner().invoke(
        cli, ["k8s", "-C", str(analysis), "--out", str(out), "--image", IMAGE, *run]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["daskcluster.yaml", "job.yaml"]
    job = yaml.safe_load((out / "job.yaml").read_text())
    (c,) = job["spec"]["template"]["spec"]["containers"]
    assert c["args"] == ["/usr/local/bin/gisbox", "run", "moran", "/data/parcels.gpkg",
                         "--column", "price", "--cluster",
                         "tcp://analysis-scheduler:8786"]  # fmt: skip
    cluster = yaml.safe_load((out / "daskcluster.yaml").read_text())["spec"]
    for role in ("scheduler", "worker"):
        (proc,) = cluster[role]["spec"]["containers"]
        assert proc["args"][-2:] == ["--preload", "gisbox.runtime.cluster.preload"]
        assert {"name": "PYTHONPATH", "value": "/opt/gisbox"} in proc["env"]
    default_job = manifests(spec_of(False), IMAGE)[1]["spec"]["template"]["spec"]
    assert default_job["containers"][0]["args"][1:] == ["check", "--workloads"]
