#!/bin/sh
# Whole-process bench of the daemonry tool against start-stop-daemon, with
# hyperfine, in one run on one machine:
#   start: the command returns and the pidfile holds a live pid
#          daemonry start --pidfile P -- sleep N   (the default glibc build,
#          dynamic, and the static musl build README recommends)
#          start-stop-daemon --start --background --make-pidfile --pidfile P --exec sleep -- N
#   stop:  the command returns and the process is gone
#          daemonry stop --pidfile P
#          start-stop-daemon --stop --pidfile P --retry TERM/10/KILL/5 --remove-pidfile
# Both sides run inside the same `sh -c` wrapper, which checks the end
# state (a live pid in the file; the pid gone) so that "done" means the
# same thing for both.
#
# Usage: tools/cli/bench.sh [RUNS]      (root not needed; hyperfine, dpkg)
# Prints the hyperfine tables and the ratios; writes them to
# target/cli-bench/ (markdown and JSON).
set -eu
RUNS=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/target/cli-bench"
mkdir -p "$out"
command -v hyperfine >/dev/null || { echo "bench.sh: needs hyperfine (tools/cli/ci-deps.sh)" >&2; exit 1; }
command -v start-stop-daemon >/dev/null || { echo "bench.sh: needs start-stop-daemon (dpkg)" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p daemonry-cli)
D="$root/target/release/daemonry"
musl="$(uname -m)-unknown-linux-musl"
rustup target list --installed | grep -qx "$musl" || rustup target add "$musl"
(cd "$root" && cargo build --release -q -p daemonry-cli --target "$musl")
DM="$root/target/$musl/release/daemonry"
SSD=$(command -v start-stop-daemon)
work=$(mktemp -d /tmp/daemonry-bench.XXXXXX)
# A token only our sleeps carry.
T=$((900000 + $$ % 90000))
P="$work/bench.pid"
SLEEP=$(command -v sleep)

cleanup() {
    "$D" stop -q --pidfile "$P" --timeout 1 >/dev/null 2>&1 || true
    if [ -s "$P" ]; then kill -9 "$(cat "$P")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Untimed: make sure nothing from the previous run is left (by pidfile,
# never by name).
reset="$D stop -q --pidfile $P --timeout 1 >/dev/null 2>&1; [ -s $P ] && kill -9 \$(cat $P) 2>/dev/null; rm -f $P; true"
alive='until [ -s '"$P"' ] && kill -0 $(cat '"$P"') 2>/dev/null; do :; done'
gone='while [ -d /proc/$pid ] && ! grep -q "^State:.*Z" /proc/$pid/status 2>/dev/null; do :; done'

hyperfine -N --runs "$RUNS" --warmup 3 --style basic \
    --prepare "sh -c '$reset'" \
    --export-json "$out/start.json" --export-markdown "$out/start.md" \
    -n "daemonry start" "sh -c '$D start -q --pidfile $P -- $SLEEP $T; $alive'" \
    -n "daemonry start (static musl build)" "sh -c '$DM start -q --pidfile $P -- $SLEEP $T; $alive'" \
    -n "start-stop-daemon --start --background --make-pidfile" \
    "sh -c '$SSD --start --quiet --background --make-pidfile --pidfile $P --exec $SLEEP -- $T; $alive'"

# For stop, each run gets a fresh daemon started by the same tool.
hyperfine -N --runs "$RUNS" --warmup 3 --style basic \
    --export-json "$out/stop.json" --export-markdown "$out/stop.md" \
    --prepare "sh -c '$reset; $D start -q --pidfile $P -- $SLEEP $T'" \
    -n "daemonry stop" "sh -c 'pid=\$(cat $P); $D stop -q --pidfile $P; $gone'" \
    --prepare "sh -c '$reset; $SSD --start --quiet --background --make-pidfile --pidfile $P --exec $SLEEP -- $T; $alive'" \
    -n "start-stop-daemon --stop --retry TERM/10/KILL/5" \
    "sh -c 'pid=\$(cat $P); $SSD --stop --quiet --pidfile $P --retry TERM/10/KILL/5 --remove-pidfile; $gone'"

python3 - "$out" <<'EOF'
import json, sys, os, platform
out = sys.argv[1]
lines = []
for name in ("start", "stop"):
    r = json.load(open(os.path.join(out, name + ".json")))["results"]
    theirs = r[-1]
    for ours in r[:-1]:
        ratio = ours["median"] / theirs["median"]
        lines.append(
            f"| {ours['command']} | {ours['median']*1e3:.2f} ms | {theirs['median']*1e3:.2f} ms | {ratio:.3f}x |"
        )
head = [
    f"machine: {platform.machine()} {platform.release()}, {os.cpu_count()} cpus",
    "| work | daemonry (median) | start-stop-daemon (median) | ratio |",
    "|---|---|---|---|",
]
text = "\n".join(head + lines)
print(text)
open(os.path.join(out, "ratios.md"), "w").write(text + "\n")
EOF
