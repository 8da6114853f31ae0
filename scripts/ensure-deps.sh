#!/usr/bin/env bash
# Installs what `npm run demo`, `npm test` and `npm run bench` need: npm packages, and Debian's
# zookeeper and redis-server (via apt-get when running as root, else a one-line hint).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null || missing+=(zookeeper)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ "${ZKEDGE_BENCH_DEPS:-}" = 1 ]; then
  command -v nginx >/dev/null || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "zkedge: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "zkedge: missing ${missing[*]}: install with 'sudo apt-get install ${missing[*]}' and run again" >&2
    exit 1
  fi
fi

if [ ! -d node_modules/zookeeper/build/Release ] || [ ! -d node_modules/hono ]; then
  echo "zkedge: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
