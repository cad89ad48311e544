#!/bin/sh
# Debian packages the daemonry tool's tests and bench use, as real peers:
#   busybox-static  a static shell for the --chroot test's tiny root
#   systemd         systemd-notify, a sender of READY=1 nobody here wrote
#   python3         `python3 -m http.server`-style service on loopback
#   nginx-light     nginx with `daemon off;` on loopback
#   hyperfine       tools/cli/bench.sh
#   daemon, daemonize, dpkg (start-stop-daemon)  the tools compared in bench.sh
# Run as root (CI is). Tests that need a missing one fail under
# DAEMONRY_REQUIRE_ROOT=1 with a message naming the package.
set -eu
export DEBIAN_FRONTEND=noninteractive
need=""
for p in busybox-static systemd python3 nginx-light hyperfine daemon daemonize dpkg; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
    apt-get update -qq
    # policy-rc.d keeps nginx's post-install from starting a server on :80.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need
fi
