#!/usr/bin/env bash
# Makes systemd-analyze available for test/systemd-unit.test.ts: Debian's systemd package is
# installed where it is missing (as test/support/rgw.sh installs Ceph). The unit is only analysed,
# never started: nothing here needs systemd to be the running init.
set -euo pipefail
die() { echo "systemd.sh: $*" >&2; exit 1; }

if command -v systemd-analyze >/dev/null 2>&1; then exit 0; fi
[ "$(id -u)" = 0 ] || die "systemd-analyze is missing; run as root (or: sudo apt-get install systemd)"
command -v apt-get >/dev/null 2>&1 || die "systemd-analyze is missing, and there is no apt-get to install it with"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends systemd >/dev/null
command -v systemd-analyze >/dev/null 2>&1 || die "installed systemd, but systemd-analyze is still missing"
