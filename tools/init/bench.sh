#!/usr/bin/env bash
# Whole-process bench: `daemonry-init -s -- true` against Debian's tini 0.19
# (dynamic) and tini-static doing the same, in one hyperfine run, plus the
# size table. Installs `tini` and `hyperfine` with apt when missing.
#
#   tools/init/bench.sh            # RUNS=3000 per command by default
#   RUNS=500 tools/init/bench.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

have() { command -v "$1" >/dev/null 2>&1; }
if ! have tini || ! have tini-static || ! have hyperfine; then
  apt-get install -y tini hyperfine >/dev/null
fi

cargo build --release --locked
dk="$PWD/target/release/daemonry-init"
tini=$(command -v tini)
tini_static=$(command -v tini-static)
runs="${RUNS:-3000}"
json=$(mktemp)
trap 'rm -f "$json"' EXIT

echo "=== sizes"
ls -l "$dk" "$tini" "$tini_static"
file "$dk" "$tini" "$tini_static"
for b in "$dk" "$tini" "$tini_static"; do
  echo "--- readelf -d $b"
  readelf -d "$b" | grep -E 'NEEDED|no dynamic section' || true
done

echo "=== start a child and reap it: <init> -s -- true ($runs runs each)"
hyperfine -N --warmup 200 --runs "$runs" --export-json "$json" \
  -n daemonry-init "$dk -s -- true" \
  -n tini-static "$tini_static -s -- true" \
  -n tini "$tini -s -- true" \
  -n 'true (no init)' "true"

if have python3; then
  python3 - "$json" <<'PY'
import json, sys
rs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: r["median"] * 1e6 for k, r in rs.items()}
base = med["tini-static"]
print("\n| command | median | ratio to tini-static |")
print("|---|---|---|")
for k in ["daemonry-init", "tini-static", "tini", "true (no init)"]:
    print(f"| {k} | {med[k]:.0f} µs | {med[k] / base:.2f}× |")
PY
fi
