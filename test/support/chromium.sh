#!/usr/bin/env bash
# Makes Debian's Chromium available for test/status-page.int.test.ts (as test/support/rgw.sh
# installs Ceph): playwright-core drives it, and never downloads a browser of its own.
set -euo pipefail
die() { echo "chromium.sh: $*" >&2; exit 1; }

if command -v chromium >/dev/null 2>&1; then exit 0; fi
[ "$(id -u)" = 0 ] || die "chromium is missing; run as root (or: sudo apt-get install chromium)"
command -v apt-get >/dev/null 2>&1 || die "chromium is missing, and there is no apt-get to install it with"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || die "installed chromium, but it is still missing"
