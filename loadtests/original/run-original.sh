#!/usr/bin/env bash
# The original MiniTalk Node server (github.com/JeEonPark/observability-minitalk), run for the
# load generator's side-by-side (`--target original`, loadtests/README.md) without Docker, as its
# Dockerfile runs it (NODE_ENV=production, `npm start`), on 127.0.0.1:PORT with fresh data.
#
#   loadtests/original/run-original.sh CHECKOUT [PORT]
#
# CHECKOUT: a checkout of the original (we never vendor its code). Its backend/ is copied to
# $MINITALK_ORIGINAL_WORKDIR (default /tmp/minitalk-original) and its dependencies installed
# there with `npm ci` (once; again after `rm -rf` of that folder). Every start empties its file
# store (data/storage). Prints `original pid <PID> on <URL>` once it listens, then runs until
# SIGTERM/SIGINT. PORT defaults to 4000 (its own default).
set -euo pipefail
checkout=${1:?usage: run-original.sh CHECKOUT [PORT]}
port=${2:-4000}
here=$(cd "$(dirname "$0")" && pwd)
work=${MINITALK_ORIGINAL_WORKDIR:-/tmp/minitalk-original}
[ -f "$checkout/backend/app.js" ] || { echo "run-original: no backend/app.js in $checkout" >&2; exit 2; }
mkdir -p "$work"
# The code (not node_modules, not the data) is refreshed from the checkout each time.
(cd "$checkout/backend" && tar --exclude=node_modules --exclude=data/storage -cf - .) | tar -xf - -C "$work"
if [ ! -d "$work/node_modules" ]; then
  (cd "$work" && npm ci --omit=dev --no-audit --no-fund --legacy-peer-deps >&2)
fi
rm -rf "$work/data/storage"
mkdir -p "$work/data/storage"
cd "$work"
# Its package.json's `start` with the Dockerfile's environment; app-path.cjs maps /app/.
NODE_ENV=production PORT=$port JWT_SECRET=${JWT_SECRET:-loadtest-secret} \
  node --max-old-space-size=8192 -r "$here/app-path.cjs" app.js &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' TERM INT
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "original pid $pid on http://127.0.0.1:$port"
    break
  fi
  kill -0 $pid 2>/dev/null || { echo "run-original: node exited" >&2; exit 1; }
  sleep 0.1
done
wait $pid
