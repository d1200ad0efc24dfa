#!/usr/bin/env bash
# README command one: install what is missing, build, and start vtpmd on its embedded
# default (simulated platform TPM, SQLite in ./vtpmd-data, HTTPS on 127.0.0.1:8443).
# vtpmd keeps running in the background; `scripts/run.sh stop` stops it, and
# `scripts/run.sh --foreground` runs it attached to the terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=vtpmd-data
pid_file=$data_dir/vtpmd.pid
log_file=$data_dir/vtpmd.log

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

if [ "${1:-}" = "stop" ]; then
  if running; then kill -TERM "$(cat "$pid_file")"; echo "vtpmd stopped"; else echo "vtpmd is not running"; fi
  exit 0
fi

bash scripts/install-deps.sh
bash scripts/build.sh release

if [ "${1:-}" = "--foreground" ]; then
  exec build/server/vtpmd --data-dir "$data_dir"
fi
if running; then
  echo "vtpmd is already running (pid $(cat "$pid_file")); stop it with: scripts/run.sh stop"
  exit 0
fi
mkdir -p "$data_dir" && chmod 0700 "$data_dir"
ready=$data_dir/ready.json
rm -f "$ready"
setsid build/server/vtpmd --data-dir "$data_dir" --ready-file "$ready" >>"$log_file" 2>&1 < /dev/null &
echo $! > "$pid_file"
for _ in $(seq 1 300); do
  [ -s "$ready" ] && break
  if ! running; then echo "vtpmd failed to start; last log lines:" >&2; tail -n 20 "$log_file" >&2; exit 1; fi
  sleep 0.1
done
[ -s "$ready" ] || { echo "vtpmd did not become ready in 30 s; see $log_file" >&2; exit 1; }
echo "vtpmd is answering on https://127.0.0.1:8443 (pid $(cat "$pid_file"), log $log_file)"
echo "admin token: $(realpath "$data_dir/admin.token")"
echo "root CA:     $(realpath "$data_dir/root-ca.pem")"
echo "try:         build/server/vtpmctl status     (stop with: scripts/run.sh stop)"
