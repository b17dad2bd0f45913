"""Every kustomization under k8s/ renders with kustomize (kubectl's) and the result is valid
Kubernetes (kubernetes-validate, strict: unknown fields are errors); then what the manifests
promise: probes, limits, partitions, selectors, policies, and the per-environment differences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    K8S,
    K8S_VERSIONS,
    OLD_KUBECTLS,
    SERVICES,
    find,
    kustomizations,
    of_kind,
    old_kubectl,
    rel,
    render,
    render_text,
    run,
    tool,
)

OVERLAYS = {"local": K8S / "overlays" / "local", "aws": K8S / "overlays" / "aws"}
SYSTEMS = [K8S / "base", *OVERLAYS.values()]
WORKLOADS = ("Deployment", "StatefulSet", "Job")


def validate(text: str, version: str, tmp_path: Path) -> str:
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(text)
    result = run(tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, str(manifest))
    return result.stdout + result.stderr if result.returncode else ""


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return spec


def config(docs: list[dict[str, Any]]) -> dict[str, str]:
    data: dict[str, str] = find(docs, "ConfigMap", "minitalk-config")["data"]
    return data


def test_every_overlay_is_found() -> None:
    found = {rel(path) for path in kustomizations()}
    assert {"k8s/base", "k8s/overlays/local", "k8s/overlays/aws"} <= found
    assert "k8s/overlays/aws/common" not in found  # a Component, rendered inside the others


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("directory", kustomizations(), ids=rel)
def test_renders_to_valid_kubernetes(directory: Path, version: str, tmp_path: Path) -> None:
    text = render_text(directory)
    assert text.strip(), f"{rel(directory)} renders nothing"
    assert validate(text, version, tmp_path) == ""


def kubectl_versions(kubectl: str) -> tuple[str, str]:
    """(kubectl, kustomize) versions, e.g. ("v1.30.0", "v5.0.4-0.2023...")."""
    out = run(kubectl, "version", "--client").stdout
    found = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return found["Client Version"], found["Kustomize Version"]


def test_ci_has_the_oldest_and_the_newest_kubectl() -> None:
    """The range docs/deploy.md promises (Kubernetes 1.30+, kustomize 5.0-5.8) is what is run."""
    oldest = kubectl_versions(old_kubectl(OLD_KUBECTLS[0]))
    assert oldest[0].startswith(f"v{K8S_VERSIONS[0].rsplit('.', 1)[0]}.")
    assert oldest[1].startswith("v5.0.")
    newest = kubectl_versions(tool("kubectl"))
    assert newest[1] >= "v5.8."
    assert kubectl_versions(old_kubectl("1.32"))[1].startswith("v5.5.")


@pytest.mark.parametrize("version", OLD_KUBECTLS)
@pytest.mark.parametrize("directory", kustomizations(), ids=rel)
def test_older_kubectls_render_the_same(directory: Path, version: str) -> None:
    """kustomize 5.0 read only the first document of a patch file, 5.5 panicked on a
    multi-document ``$patch: delete``: every overlay renders, and to the same resources."""
    text = render_text(directory, old_kubectl(version))
    assert text.strip(), f"{rel(directory)} renders nothing with kubectl {version}"
    assert render_text(directory) == text


def test_patch_files_hold_one_resource_each() -> None:
    """What keeps kustomize 5.0 (first document only) right: one document per patch file."""
    for path in (K8S / "overlays").rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert "\n---" not in path.read_text(), f"{rel(path)} holds several documents"


def test_the_validator_is_strict(tmp_path: Path) -> None:
    """A misspelt field fails: the validation above would notice one."""
    text = render_text(K8S / "base" / "services").replace("readinessProbe:", "readynessProbe:", 1)
    assert "readynessProbe" in validate(text, K8S_VERSIONS[0], tmp_path)


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_everything_lives_in_the_namespace(directory: Path) -> None:
    for doc in render(directory):
        if doc["kind"] not in ("Namespace", "StorageClass"):
            assert doc["metadata"].get("namespace") == "minitalk", doc["metadata"]["name"]


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_services_have_probes_limits_and_no_root(directory: Path) -> None:
    docs = render(directory)
    for service in SERVICES:
        kind = "StatefulSet" if service == "persister" else "Deployment"
        pod = find(docs, kind, service)["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "minitalk-config"} in [e["configMapRef"] for e in container["envFrom"]]
        assert container["image"].split(":")[0].endswith(f"minitalk/{service}")


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_every_workload_sets_requests_and_limits(directory: Path) -> None:
    for doc in of_kind(render(directory), *WORKLOADS):
        for container in containers(doc):
            assert container["resources"].get("requests"), doc["metadata"]["name"]
            assert container["resources"].get("limits"), doc["metadata"]["name"]


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_persister_partitions_follow_the_pod_ordinal(directory: Path) -> None:
    docs = render(directory)
    persister = find(docs, "StatefulSet", "persister")
    env = {e["name"]: e for e in containers(persister)[0]["env"]}
    field = env["MINITALK_PERSISTER_PARTITION"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert field == "metadata.labels['apps.kubernetes.io/pod-index']"
    # P (read by rooms and the persisters) must be the number of persister replicas.
    assert int(config(docs)["MINITALK_PERSISTER_PARTITIONS"]) == persister["spec"]["replicas"]
    (claim,) = persister["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in containers(persister)[0]["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == env["MINITALK_DATA_DIR"]["value"] == "/data"


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_services_ingresses_and_budgets_point_at_real_pods(directory: Path) -> None:
    docs = render(directory)
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind(docs, *WORKLOADS)]
    ports = {
        d["metadata"]["name"]: {p["name"] for p in d["spec"]["ports"]}
        for d in of_kind(docs, "Service")
    }

    def selects(selector: dict[str, str]) -> bool:
        return any(selector.items() <= labels.items() for labels in pods)

    for svc in of_kind(docs, "Service"):
        assert selects(svc["spec"]["selector"]), svc["metadata"]["name"]
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        assert selects(pdb["spec"]["selector"]["matchLabels"]), pdb["metadata"]["name"]
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        find(docs, hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["name"] in ports[backend["name"]]


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_ingress_routes_like_the_edge(directory: Path) -> None:
    docs = render(directory)
    routes = {
        path["path"]: path["backend"]["service"]["name"]
        for ingress in of_kind(docs, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert routes == {
        "/api/auth": "auth",
        "/api/chatrooms": "rooms",
        "/api/chatrooms-batch": "rooms",
        "/api/messages": "rooms",
        "/socket.io": "realtime",
        "/": "frontend",
    }


def test_socketio_is_sticky_and_long_lived_on_ingress_nginx() -> None:
    ingress = find(render(OVERLAYS["local"]), "Ingress", "minitalk-realtime")
    notes = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_network_policies_fence_nats_and_the_services(directory: Path) -> None:
    docs = render(directory)
    policies = {d["metadata"]["name"]: d["spec"] for d in of_kind(docs, "NetworkPolicy")}
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    # NATS clients: only pods carrying the client label (and the chart's nats-box toolbox).
    client_rule = policies["nats"]["ingress"][0]
    selectors = [peer["podSelector"]["matchLabels"] for peer in client_rule["from"]]
    assert {"minitalk.io/nats-client": "true"} in selectors
    assert all("namespaceSelector" not in peer for peer in client_rule["from"])
    # ... which the services and the streams Job carry, and the frontend does not.
    for doc in of_kind(docs, *WORKLOADS):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        talks_to_nats = doc["metadata"]["name"] in (*SERVICES, "streams-init")
        assert (labels.get("minitalk.io/nats-client") == "true") == talks_to_nats
    backend = policies["backend-from-edge"]
    names = backend["podSelector"]["matchExpressions"][0]["values"]
    assert sorted(names) == ["auth", "realtime", "rooms"]


@pytest.mark.parametrize("directory", SYSTEMS, ids=rel)
def test_the_signing_key_comes_from_a_secret_never_committed(directory: Path) -> None:
    docs = render(directory)
    assert not of_kind(docs, "Secret")
    auth = find(docs, "Deployment", "auth")
    env = {e["name"]: e.get("value") for e in containers(auth)[0]["env"]}
    volumes = {v["name"]: v for v in auth["spec"]["template"]["spec"]["volumes"]}
    assert volumes["jwt"]["secret"]["secretName"] == "minitalk-jwt"
    assert env["MINITALK_JWT_PRIVATE_KEY_FILE"].startswith("/var/run/secrets/minitalk/jwt/")
    for name in ("rooms", "realtime"):
        env_from = {
            e["name"]: e.get("valueFrom", {})
            for e in containers(find(docs, "Deployment", name))[0]["env"]
        }
        ref = env_from["MINITALK_JWT_PUBLIC_KEY"]["secretKeyRef"]
        assert ref == {"name": "minitalk-jwt", "key": "public.pem", "optional": True}
    assert config(docs)["MINITALK_ENV"] == "production"


def test_local_runs_one_of_everything_without_autoscaling() -> None:
    docs = render(OVERLAYS["local"])
    assert not of_kind(docs, "HorizontalPodAutoscaler")
    for doc in of_kind(docs, "Deployment", "StatefulSet"):
        assert doc["spec"].get("replicas", 1) == 1, doc["metadata"]["name"]
    assert config(docs)["MINITALK_STREAM_REPLICAS"] == "1"
    # ingress-nginx sets X-Forwarded-For to the client it saw: the backends trust it.
    assert config(docs)["MINITALK_FORWARDED_ALLOW_IPS"] == "*"


def test_base_autoscales_rooms_and_realtime() -> None:
    docs = render(K8S / "base")
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    assert scaled == {"rooms", "realtime"}
    # The HPA owns their replica count; a fixed one in the Deployment would fight it.
    for name in scaled:
        assert "replicas" not in find(docs, "Deployment", name)["spec"]


def test_aws_uses_alb_gp3_ecr_and_three_stream_replicas() -> None:
    docs = render(OVERLAYS["aws"])
    assert config(docs)["MINITALK_STREAM_REPLICAS"] == "3"
    # The ALB appends to X-Forwarded-For: only private ranges trusted, never "*".
    assert config(docs)["MINITALK_FORWARDED_ALLOW_IPS"].startswith("10.0.0.0/8,")
    for ingress in of_kind(docs, "Ingress"):
        notes = ingress["metadata"]["annotations"]
        assert ingress["spec"]["ingressClassName"] == "alb"
        assert notes["alb.ingress.kubernetes.io/target-type"] == "ip"
        assert notes["alb.ingress.kubernetes.io/group.name"] == "minitalk"
        assert not [key for key in notes if key.startswith("nginx.ingress")]
    storage = find(docs, "StorageClass", "gp3")
    assert storage["provisioner"] == "ebs.csi.aws.com"
    assert storage["parameters"]["type"] == "gp3"
    (claim,) = find(docs, "StatefulSet", "persister")["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3"
    realtime = find(docs, "Service", "realtime")["metadata"]["annotations"]
    assert (
        "stickiness.enabled=true" in realtime["alb.ingress.kubernetes.io/target-group-attributes"]
    )
    for doc in of_kind(docs, *WORKLOADS):
        for container in containers(doc):
            if "/minitalk/" in container["image"] or container["image"].startswith("minitalk/"):
                assert ".dkr.ecr." in container["image"], container["image"]


def test_aws_parts_make_up_the_aws_system() -> None:
    """ArgoCD syncs the parts one by one; together they are exactly the aggregate overlay."""
    aws = OVERLAYS["aws"]

    def ids(docs: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(d["kind"], d["metadata"]["name"]) for d in docs}

    parts = ("platform", "streams-init", "observability", "services", "web")
    union: set[tuple[str, str]] = set()
    for part in parts:
        mine = ids(render(aws / part))
        assert not mine & union, f"{part} repeats {mine & union}"
        union |= mine
    assert union == ids(render(aws))


@pytest.mark.parametrize("overlay", ["local", "aws"])
def test_loadtest_is_an_indexed_job_with_one_shard_per_completion(overlay: str) -> None:
    (job,) = render(OVERLAYS[overlay] / "loadtest")
    assert job["kind"] == "Job"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    (container,) = containers(job)
    env = {e["name"]: e for e in container["env"]}
    assert int(env["MINITALK_LOADTEST_SHARDS"]["value"]) == spec["completions"]
    index = env["MINITALK_LOADTEST_SHARD"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert index == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert container["command"][:4] == ["python", "-m", "minitalk_loadtest", "shard"]


def test_streams_init_runs_before_the_services_under_argocd() -> None:
    job = find(render(K8S / "base"), "Job", "streams-init")
    notes = job["metadata"]["annotations"]
    assert notes["argocd.argoproj.io/hook"] == "Sync"
    assert notes["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
