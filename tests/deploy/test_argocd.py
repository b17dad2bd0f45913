"""The ArgoCD app-of-apps: every Application points at something that exists here (a path that
renders, or a pinned Helm chart with values from this repository), stays inside the AppProject,
syncs automatically, and the sync waves bring the system up in order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ARGOCD, ROOT, kustomizations, render

APPS_DIR = ARGOCD / "apps"
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


PROJECT = load(ARGOCD / "project.yaml")
ROOT_APP = load(ARGOCD / "root.yaml")
APPS = {load(p)["metadata"]["name"]: load(p) for p in sorted(APPS_DIR.glob("*.yaml"))}


def sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    spec = app["spec"]
    found: list[dict[str, Any]] = spec.get("sources") or [spec["source"]]
    return found


def wave(name: str) -> int:
    return int(APPS[f"minitalk-{name}"]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_root_syncs_the_apps_folder() -> None:
    assert ROOT_APP["kind"] == "Application"
    assert ROOT_APP["spec"]["source"]["path"] == "argocd/apps"
    assert ROOT_APP["spec"]["destination"]["namespace"] == "argocd"
    assert set(APPS) == {
        f"minitalk-{name}"
        for name in ("platform", "nats", "streams-init", "observability", "services", "web")
    }
    for path in APPS_DIR.iterdir():
        assert load(path)["kind"] == "Application", path.name


@pytest.mark.parametrize("app", [ROOT_APP, *APPS.values()], ids=lambda a: a["metadata"]["name"])
def test_every_app_is_automated_inside_the_project(app: dict[str, Any]) -> None:
    spec = app["spec"]
    assert app["metadata"]["namespace"] == "argocd"
    assert spec["project"] == PROJECT["metadata"]["name"] == "minitalk"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    allowed = {(d["server"], d["namespace"]) for d in PROJECT["spec"]["destinations"]}
    destination = spec["destination"]
    assert (destination["server"], destination["namespace"]) in allowed
    for source in sources(app):
        assert source["repoURL"] in PROJECT["spec"]["sourceRepos"]


@pytest.mark.parametrize("name", sorted(APPS), ids=str)
def test_every_source_exists_here_or_is_a_pinned_chart(name: str) -> None:
    app = APPS[name]
    for source in sources(app):
        if "chart" in source:
            assert SEMVER.match(source["targetRevision"]), "pin the chart to one version"
            refs = {s["ref"]: s for s in sources(app) if "ref" in s}
            for values in source["helm"]["valueFiles"]:
                ref, _, path = values.partition("/")
                assert ref.lstrip("$") in refs, values
                assert (ROOT / path).is_file(), values
        elif "path" in source:
            assert (ROOT / source["path"]).is_dir(), source["path"]
            assert ROOT / source["path"] in kustomizations(), source["path"]
            assert app["spec"]["destination"]["namespace"] == "minitalk"
        else:
            assert "ref" in source, source


def test_nats_comes_from_the_official_chart_with_a_three_server_cluster() -> None:
    (chart,) = [s for s in sources(APPS["minitalk-nats"]) if "chart" in s]
    assert chart["repoURL"] == "https://nats-io.github.io/k8s/helm/charts/"
    assert chart["chart"] == "nats"
    assert chart["helm"]["releaseName"] == "nats"  # the Service nats:4222 of minitalk-config
    values = load(ROOT / "k8s" / "nats" / "values.yaml")["config"]
    assert values["cluster"] == {"enabled": True, "replicas": 3}
    assert values["jetstream"]["enabled"] is True
    assert values["jetstream"]["fileStore"]["pvc"]["enabled"] is True


def test_sync_waves_bring_the_system_up_in_order() -> None:
    assert wave("platform") < wave("nats") < wave("streams-init") < wave("services") < wave("web")
    assert wave("observability") < wave("services")


@pytest.mark.parametrize("name", sorted(APPS), ids=str)
def test_apps_create_only_kinds_the_project_allows(name: str) -> None:
    spec = PROJECT["spec"]
    cluster = {(k["group"], k["kind"]) for k in spec["clusterResourceWhitelist"]}
    namespaced = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    for source in sources(APPS[name]):
        if "path" not in source:
            continue
        for doc in render(ROOT / source["path"]):
            group = doc["apiVersion"].rpartition("/")[0]
            assert (group, doc["kind"]) in cluster | namespaced, (name, doc["kind"])
    assert ("argoproj.io", "Application") in namespaced  # the app-of-apps' own children


def test_every_git_source_is_the_same_repository() -> None:
    repos = {
        s["repoURL"] for app in [ROOT_APP, *APPS.values()] for s in sources(app) if "chart" not in s
    }
    assert len(repos) == 1
