"""The frontend image's nginx: edge/minitalk.conf.template rendered the way the official nginx
image's entrypoint does it (envsubst limited to the names NGINX_ENVSUBST_FILTER matches) with the
image's own settings, then checked by a real nginx (`nginx -t`) with the image's nginx.conf."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from minitalk_local.edge import EDGE_DEFAULTS
from minitalk_local.system import nginx_binary

from .conftest import ROOT, final_stage

TEMPLATE = ROOT / "edge" / "minitalk.conf.template"
# The entrypoint's selection of variables (20-envsubst-on-templates.sh): every environment
# name matching the filter, as awk sees the environment.
SELECT = (
    'printf "\\${%s} " $(awk "END { for (name in ENVIRON) '
    '{ print ( name ~ /${NGINX_ENVSUBST_FILTER}/ ) ? name : \\"\\" } }" < /dev/null)'
)
# Names that nginx uses as $variables in the template; were they environment variables too, an
# unfiltered envsubst would replace them.
DECOYS = {"host": "x", "scheme": "x", "uri": "x", "http_upgrade": "x", "HOSTNAME": "frontend-0"}


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in final_stage(ROOT / "frontend" / "Dockerfile"):
        if word == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value.replace("\\$", "$")  # Docker unescapes \$ (shlex does not)
    return env


def render(env: dict[str, str], tmp_path: Path) -> str:
    script = f'envsubst "$({SELECT})" < "$1"'
    done = subprocess.run(
        ["sh", "-c", script, "render", str(TEMPLATE)],
        env={"PATH": "/usr/bin:/bin", **DECOYS, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


@pytest.fixture
def local_env() -> dict[str, str]:
    """The image's settings, with upstreams a machine without the services can resolve."""
    return {
        **image_env(),
        "AUTH_SERVERS": "server 127.0.0.1:18001;",
        "ROOMS_SERVERS": "server 127.0.0.1:18002;",
        "REALTIME_SERVERS": "server 127.0.0.1:18003;\n    server 127.0.0.1:18013;",
    }


def test_only_the_template_placeholders_are_substituted(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    text = render(local_env, tmp_path)
    assert "${" not in text
    assert "listen 8080;" in text
    assert "root /usr/share/nginx/html;" in text
    assert "server 127.0.0.1:18013;" in text
    for variable in ("$host", "$scheme", "$uri", "$http_upgrade", "$minitalk_connection_upgrade"):
        assert variable in text


def test_without_the_filter_nginx_variables_would_be_lost(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    unfiltered = render({**local_env, "NGINX_ENVSUBST_FILTER": ""}, tmp_path)
    assert "$http_upgrade" not in unfiltered  # why the image sets NGINX_ENVSUBST_FILTER


def test_image_defaults_route_to_the_service_names() -> None:
    env = image_env()
    assert env["AUTH_SERVERS"] == "server auth:8001;"
    assert env["ROOMS_SERVERS"] == "server rooms:8002;"
    assert env["REALTIME_SERVERS"] == "server realtime:8003;"
    assert re.fullmatch(env["NGINX_ENVSUBST_FILTER"], "REALTIME_SERVERS")
    assert not re.fullmatch(env["NGINX_ENVSUBST_FILTER"], "HOSTNAME")


def test_nginx_accepts_the_rendered_config(local_env: dict[str, str], tmp_path: Path) -> None:
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    (conf_d / "minitalk.conf").write_text(render(local_env, tmp_path))
    main = (ROOT / "frontend" / "nginx" / "nginx.conf").read_text()
    assert "include /etc/nginx/conf.d/*.conf;" in main
    main = main.replace("/etc/nginx/conf.d/", f"{conf_d}/").replace("/tmp/", f"{tmp_path}/")
    (tmp_path / "nginx.conf").write_text(main)
    done = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_image_has_the_edge_limits_of_the_local_edge() -> None:
    """The image and `./taskw up` enforce the same per-IP limits unless told otherwise."""
    env = image_env()
    assert {k: env[k] for k in EDGE_DEFAULTS} == EDGE_DEFAULTS
    assert all(re.fullmatch(env["NGINX_ENVSUBST_FILTER"], k) for k in EDGE_DEFAULTS)
    names = set(re.findall(r"\$\{(MINITALK_EDGE_[A-Z_]+)\}", TEMPLATE.read_text()))
    assert names == set(EDGE_DEFAULTS)


def test_the_access_log_never_holds_a_query_string() -> None:
    """``?token=`` (Socket.IO) must not be logged: the log format has the path only."""
    main = (ROOT / "frontend" / "nginx" / "nginx.conf").read_text()
    (access,) = re.findall(r"^\s*access_log\s+(.+);", main, re.M)
    assert access.split()[1] == "minitalk"
    fmt = main[main.index("log_format minitalk") : main.index(";", main.index("log_format"))]
    for leaky in ("$request ", '$request"', "$args", "$query_string", "$request_uri"):
        assert leaky not in fmt
