#!/usr/bin/env bash
# A throwaway single-node Ceph RADOS Gateway (real S3 with enforced conditional writes) on 127.0.0.1.
#
#   rgw.sh install            install Debian's ceph-mon, ceph-osd and radosgw when missing (root or sudo)
#   rgw.sh start DIR [PORT]   start one mon, one memstore OSD and radosgw; writes DIR/env
#   rgw.sh stop DIR           stop the daemons started in DIR
#
# DIR/env holds TENURE_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION for the
# integration tests. No cephx between daemons and an in-memory object store: for tests only.
set -euo pipefail

ACCESS_KEY=tenure-it-access
SECRET_KEY=tenure-it-secret

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "rgw.sh: need root (or sudo) to run: $*" >&2; return 1; fi
}

install() {
  local missing=()
  for cmd in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph curl; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "rgw.sh: ceph-mon, ceph-osd and radosgw are installed"
    return 0
  fi
  echo "rgw.sh: installing ceph-mon ceph-osd radosgw (missing: ${missing[*]})"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ceph-mon ceph-osd radosgw ceph-common curl >/dev/null
  command -v radosgw >/dev/null || { echo "rgw.sh: radosgw still missing after install" >&2; return 1; }
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until the daemon whose pid file is given is running; says which one failed otherwise.
wait_for_pid() {
  local dir=$1 name=$2
  for _ in $(seq 1 100); do
    if [ -s "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "rgw.sh: $name did not start; its log:" >&2
  tail -n 20 "$dir/log/$name.log" >&2 2>/dev/null || true
  return 1
}

# Starting a throwaway cluster now and then fails on a busy machine (an OSD that registers before
# the monitor is ready); a fresh attempt from scratch then succeeds.
start() {
  local attempt
  for attempt in 1 2 3; do
    # A child process, so that `set -e` holds inside it (it would be ignored inside an `if` here).
    if bash "${BASH_SOURCE[0]}" start-once "$@"; then
      return 0
    fi
    echo "rgw.sh: start attempt $attempt failed; cleaning up and trying again" >&2
    stop "${1:?}" 2>/dev/null || true
    sleep 2
  done
  echo "rgw.sh: radosgw did not start after 3 attempts; logs in $1/log" >&2
  return 1
}

start_once() {
  local dir=${1:?usage: rgw.sh start DIR [PORT]} port=${2:-7480} monport=${3:-6789}
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  stop "$dir" 2>/dev/null || true
  for p in "$port" "$monport"; do
    for _ in $(seq 1 100); do port_in_use "$p" || break; sleep 0.1; done
    if port_in_use "$p"; then
      echo "rgw.sh: port $p on 127.0.0.1 is in use (another Ceph still running?); stop it or choose other ports" >&2
      return 1
    fi
  done
  rm -rf "$dir"/*
  mkdir -p "$dir/mon.a" "$dir/osd.0" "$dir/log"
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = 127.0.0.1:$monport
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $dir
log_file = $dir/log/\$name.log
admin_socket = $dir/\$name.asok
pid_file = $dir/\$name.pid
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
mon_warn_on_pool_no_redundancy = false
[mon]
mon_data = $dir/mon.\$id
[osd]
osd_data = $dir/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$port
CONF
  export CEPH_CONF="$dir/ceph.conf"
  local started; started=$(date +%s)
  monmaptool --create --add a "127.0.0.1:$monport" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring" 2>/dev/null
  ceph-mon -i a
  wait_for_pid "$dir" mon.a
  local uuid; uuid=$(cat /proc/sys/kernel/random/uuid)
  timeout 60 ceph osd create "$uuid" >/dev/null
  ceph-osd -i 0 --mkfs --osd-uuid "$uuid" 2>/dev/null
  timeout 60 ceph osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>&1
  ceph-osd -i 0 2>/dev/null
  wait_for_pid "$dir" osd.0
  radosgw -n client.rgw
  wait_for_pid "$dir" client.rgw
  local ready=""
  for _ in $(seq 1 1200); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then ready=yes; break; fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "rgw.sh: radosgw did not answer on 127.0.0.1:$port within 120 s; logs in $dir/log" >&2
    tail -n 20 "$dir"/log/*.log >&2 || true
    return 1
  fi
  timeout 60 radosgw-admin user create --uid=tenure-it --display-name=tenure-it \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null 2>&1
  cat > "$dir/env" <<ENV
export TENURE_S3_ENDPOINT=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
ENV
  echo "rgw.sh: radosgw $(radosgw --version 2>/dev/null | awk '{print $3}') ready on http://127.0.0.1:$port in $(( $(date +%s) - started )) s (mon $(cat "$dir/mon.a.pid"), osd $(cat "$dir/osd.0.pid"), rgw $(cat "$dir/client.rgw.pid"))"
}

stop() {
  local dir=${1:?usage: rgw.sh stop DIR}
  local pids=()
  for f in client.rgw.pid osd.0.pid mon.a.pid; do
    [ -f "$dir/$f" ] && pids+=("$(cat "$dir/$f")")
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  rm -f "$dir"/*.pid
}

cmd=${1:-}
shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  start-once) start_once "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: rgw.sh install | start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
