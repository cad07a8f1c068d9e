#!/usr/bin/env bash
# Throwaway single-node Ceph RADOS Gateway (RGW) for the integration suite.
#
#   rgw.sh install               install the Ceph packages if missing (root, Debian/Ubuntu)
#   rgw.sh start DIR             build and start mon + osd + radosgw under DIR, write DIR/env
#   rgw.sh stop DIR              stop the daemons recorded in DIR/*.pid, then remove DIR
#   rgw.sh test [vitest args]    install, start in a temp dir, run the *.int.test.ts suite, stop
#
# Everything lives under DIR (its own ceph.conf, passed with -c to every command; nothing in
# /etc/ceph, /var/lib/ceph or /var/log/ceph), auth is off, the OSD keeps its data in memory, and
# every socket is bound to 127.0.0.1 on ports picked at random. write_conf says why each option is
# there.
set -euo pipefail

readonly ACCESS_KEY=s3mirrortest
readonly SECRET_KEY=s3mirrortestsecret
readonly REGION=us-east-1
readonly RGW_NAME=client.rgw.a
# Ports for the OSD's messengers (public, cluster, two heartbeat servers) plus headroom. Without a
# bounded range the heartbeat sockets would listen on 0.0.0.0 somewhere in 6800-7300.
readonly MS_PORTS=10
# Readiness timeouts in seconds: generous, since a loaded CI machine can be slow, but finite so a
# broken cluster fails the run instead of hanging it.
readonly MON_TIMEOUT=30 OSD_TIMEOUT=60 RGW_TIMEOUT=60
# Time a daemon gets to exit after SIGTERM before it is sent SIGKILL.
readonly STOP_GRACE=5
# First line of every ceph.conf we write: `stop` refuses to delete a directory without it, so a
# mistyped argument cannot remove anything else.
readonly MARKER='# s3mirror throwaway RGW cluster (test/support/rgw.sh)'

log() { echo "rgw.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# --- install ---------------------------------------------------------------------------------

cmd_install() {
  # monmaptool and radosgw-admin come with the same packages; curl is the readiness probe.
  local missing=() bin
  for bin in ceph-mon ceph-osd radosgw ceph monmaptool radosgw-admin curl; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0

  ((EUID == 0)) ||
    die "missing ${missing[*]}; run as root (or: sudo apt-get install ceph-mon ceph-osd radosgw ceph-common curl)"
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]}, and there is no apt-get to install the Ceph packages with"

  log "installing ceph-mon ceph-osd radosgw ceph-common (missing: ${missing[*]})"
  local pkgs=(ceph-mon ceph-osd radosgw ceph-common)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
}

# --- start -----------------------------------------------------------------------------------

# Prints "BASE" such that BASE .. BASE+count-1 are all free on 127.0.0.1. The block is taken from
# below the kernel's ephemeral range (32768+), so outgoing connections cannot grab one of these
# ports between this check and the daemons binding them; the random base keeps concurrent runs
# apart.
pick_port_block() {
  node -e '
    const net = require("node:net");
    const count = Number(process.argv[1]);
    const listen = (port) => new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(server));
    });
    (async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const base = 20000 + Math.floor(Math.random() * (12000 - count));
        const servers = [];
        for (let p = base; p < base + count; p++) {
          const s = await listen(p);
          if (!s) break;
          servers.push(s);
        }
        servers.forEach((s) => s.close());
        if (servers.length === count) { console.log(base); return; }
      }
      console.error("no block of " + count + " free ports found");
      process.exit(1);
    })();
  ' "$1"
}

# True while PID exists and is not a zombie. A daemon that exited lingers as a zombie until its
# parent reaps it, and kill -0 still succeeds on a zombie, so read the state from /proc instead.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # The state is the first field after the parenthesised command name (which may contain spaces).
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# True if PID is still the daemon we started for this cluster (its command line names our
# ceph.conf), so a recycled PID is never signalled.
ours() {
  local pid=$1 conf=$2
  alive "$pid" && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$conf"
}

# Starts a daemon in the foreground mode (-f) as a background job in its own session (so a
# terminal's Ctrl-C or hangup does not reach it, and `stop` decides when it ends) and records its
# PID in DIR/NAME.pid. stdout/stderr go to a file: nothing may keep the caller's pipes open.
spawn() {
  local dir=$1 name=$2; shift 2
  setsid "$@" </dev/null >"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# Prints the last lines of a daemon's logs to stderr, for a failure message.
log_tail() {
  local dir=$1 name=$2 f
  for f in "$dir/log/$name.out" "$dir/log/"*"$name"*.log; do
    [[ -s $f ]] || continue
    echo "--- tail of $f" >&2
    tail -n 30 "$f" >&2
  done
}

# wait_until DIR NAME TIMEOUT DESCRIPTION CMD... — polls CMD until it succeeds. Fails at once, with
# the daemon's log tail, if the daemon NAME died (e.g. its port was taken), or after TIMEOUT s.
wait_until() {
  local dir=$1 name=$2 timeout=$3 what=$4; shift 4
  local pid deadline=$((SECONDS + timeout))
  pid=$(<"$dir/$name.pid")
  until "$@" >/dev/null 2>&1; do
    if ! alive "$pid"; then
      log "$name (pid $pid) exited while waiting for $what"
      log_tail "$dir" "$name"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      log_tail "$dir" "$name"
      return 1
    fi
    sleep 0.1
  done
}

# `ceph` against this cluster; the timeouts keep a probe from hanging while the mon is not up.
ceph_cli() { timeout 10 ceph -c "$CONF" --connect-timeout 5 "$@"; }

osd0_up() { ceph_cli osd dump | grep -q '^osd\.0 up'; }

rgw_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$RGW_PORT/") == 200 ]]
}

write_conf() {
  local dir=$1 fsid=$2 mon_port=$3 ms_min=$4 ms_max=$5
  # \$cluster, \$name, \$id are Ceph's own metavariables, expanded per daemon.
  cat >"$CONF" <<EOF
$MARKER
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
# msgr2 only, so each daemon opens one listening port per endpoint instead of two (v1 + v2).
ms_bind_msgr1 = false
# Bind to loopback only; the bounded port range keeps the OSD's heartbeat sockets off 0.0.0.0.
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_port_min = $ms_min
ms_bind_port_max = $ms_max
# No keys at all; crc mode is needed too, or radosgw never gets through to the mon.
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
# One OSD holds everything.
osd_pool_default_size = 1
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
# Every path inside DIR, so nothing touches /var/lib/ceph, /var/log/ceph or /var/run/ceph.
mon_data = $dir/mon/\$cluster-\$id
osd_data = $dir/osd/\$cluster-\$id
rgw_data = $dir/rgw/\$cluster-\$id
run_dir = $dir/run
admin_socket = $dir/run/\$cluster-\$name.asok
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/\$cluster.log
crash_dir = $dir/crash
# No keyring exists (auth is off); pointing here keeps clients from searching /etc/ceph.
keyring = $dir/keyring

[mon]
# Commit proposals at once instead of batching for a second: first start ~12 s -> ~2 s.
paxos_propose_interval = 0.1

[osd]
# Data lives in memory: fast, and gone with the process. The size is only what the OSD reports
# as its capacity (memory is used as objects are written), raised so a larger test cannot hit
# the "pool full" ratio of the 1 GiB default.
osd_objectstore = memstore
memstore_device_bytes = 4294967296

[$RGW_NAME]
# Without tcp_nodelay small requests take ~45 ms (Nagle + delayed ACK).
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
# The lifecycle threads make radosgw take ~5 s to exit.
rgw_enable_lc_threads = false
EOF
}

cmd_start() {
  local dir=${1:?usage: rgw.sh start DIR}
  mkdir -p "$dir"
  # The physical path: `stop` recognises our daemons by the conf path on their command line.
  dir=$(cd "$dir" && pwd -P)
  [[ -z $(ls -A "$dir") ]] || die "$dir is not empty; start needs a fresh directory"
  # ceph-osd --mkfs expects its data dir to exist (memstore asserts writing its fsid file).
  mkdir -p "$dir"/{mon,osd/ceph-0,rgw,run,log,crash}
  CONF=$dir/ceph.conf

  local base mon_port fsid osd_uuid osd_id
  base=$(pick_port_block $((MS_PORTS + 2)))
  mon_port=$base
  RGW_PORT=$((base + 1))
  fsid=$(</proc/sys/kernel/random/uuid)
  osd_uuid=$(</proc/sys/kernel/random/uuid)
  write_conf "$dir" "$fsid" "$mon_port" $((base + 2)) $((base + 1 + MS_PORTS))

  # Any failure from here on (set -e, die, a timeout) stops what was started, so a failed start
  # leaks no daemons; DIR is kept, with the logs, for the caller to inspect and remove.
  trap 'log "start failed; stopping the daemons started so far"; stop_daemons "$CONF"' EXIT

  # 1. Monitor.
  monmaptool -c "$CONF" --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
    "$dir/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$dir/monmap" >"$dir/log/mon-mkfs.out" 2>&1 ||
    { tail -n 30 "$dir/log/mon-mkfs.out" >&2; false; }
  spawn "$dir" mon ceph-mon -c "$CONF" -f -i a
  wait_until "$dir" mon "$MON_TIMEOUT" "the monitor" ceph_cli mon stat

  # 2. OSD, registered with the monitor first so it gets id 0.
  osd_id=$(ceph_cli osd new "$osd_uuid")
  [[ $osd_id == 0 ]] || die "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.out" 2>&1 ||
    { tail -n 30 "$dir/log/osd-mkfs.out" >&2; false; }
  spawn "$dir" osd ceph-osd -c "$CONF" -f -i 0
  wait_until "$dir" osd "$OSD_TIMEOUT" "osd.0 to come up" osd0_up

  # 3. Gateway; it creates its pools on first use.
  spawn "$dir" rgw radosgw -c "$CONF" -f -n "$RGW_NAME"
  wait_until "$dir" rgw "$RGW_TIMEOUT" "radosgw to answer on 127.0.0.1:$RGW_PORT" rgw_answers

  # 4. The S3 user, as the default client: client.rgw.a's admin socket belongs to the daemon.
  timeout 60 radosgw-admin -c "$CONF" user create --uid s3mirror --display-name "s3mirror tests" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >"$dir/log/user-create.out" 2>&1 ||
    { tail -n 30 "$dir/log/user-create.out" >&2; false; }

  trap - EXIT
  cat >"$dir/env" <<EOF
export S3MIRROR_TEST_ENDPOINT=http://127.0.0.1:$RGW_PORT
export S3MIRROR_TEST_ACCESS_KEY=$ACCESS_KEY
export S3MIRROR_TEST_SECRET_KEY=$SECRET_KEY
export S3MIRROR_TEST_REGION=$REGION
export S3MIRROR_TEST_SERVER=rgw
EOF
  log "RGW ready at http://127.0.0.1:$RGW_PORT (env: $dir/env)"
}

# --- stop ------------------------------------------------------------------------------------

# Sends SIG to PID and waits up to LIMIT seconds for it to be gone (or a zombie). Returns 1 if it
# is still running afterwards.
signal_and_wait() {
  local pid=$1 sig=$2 limit=$3
  kill "-$sig" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + limit))
  while alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# Stops the daemons recorded next to CONF, gateway first and monitor last, so no daemon spends
# its shutdown trying to reach one that is already gone.
stop_daemons() {
  local conf=$1 dir name pid
  dir=$(dirname "$conf")
  for name in rgw osd mon; do
    [[ -f $dir/$name.pid ]] || continue
    pid=$(<"$dir/$name.pid")
    if ours "$pid" "$conf"; then
      signal_and_wait "$pid" TERM "$STOP_GRACE" || {
        log "$name (pid $pid) ignored SIGTERM for ${STOP_GRACE}s; sending SIGKILL"
        signal_and_wait "$pid" KILL 5 || log "$name (pid $pid) is still running"
      }
    elif alive "$pid"; then
      log "pid $pid is no longer this cluster's $name; not signalling it"
    fi
    rm -f "$dir/$name.pid"
  done
}

cmd_stop() {
  local dir=${1:?usage: rgw.sh stop DIR}
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  # Refuse to delete anything this script did not create.
  if [[ -n $(ls -A "$dir") ]] && ! head -n 1 "$dir/ceph.conf" 2>/dev/null | grep -qxF "$MARKER"; then
    die "$dir does not look like a cluster made by rgw.sh start; not touching it"
  fi
  stop_daemons "$dir/ceph.conf"
  rm -rf "$dir"
}

# --- test ------------------------------------------------------------------------------------

cmd_test() {
  local script repo
  script=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
  repo=$(cd "$(dirname "$script")/../.." && pwd)

  cmd_install
  TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/s3mirror-rgw.XXXXXX")
  # Always tear the cluster down, whatever ends the run. INT/TERM become an exit so the EXIT trap
  # does the work once.
  trap 'cmd_stop "$TEST_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # start runs in a subshell: it sets (and clears) its own EXIT trap, which must not replace ours.
  (cmd_start "$TEST_DIR")
  # shellcheck source=/dev/null
  source "$TEST_DIR/env"

  cd "$repo"
  local rc=0
  # vitest treats positional args as file-name filters; integration files are *.int.test.ts.
  npx vitest run int.test "$@" || rc=$?
  # Then, on their own, the files that change something machine-wide (vitest.alone.config.ts).
  npx vitest run --config vitest.alone.config.ts --passWithNoTests int.test "$@" || rc=$?
  exit "$rc"
}

# --- main ------------------------------------------------------------------------------------

case ${1:-} in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  test) shift; cmd_test "$@" ;;
  *) echo "usage: ${0##*/} install | start DIR | stop DIR | test [vitest args]" >&2; exit 2 ;;
esac
