#!/usr/bin/env bash
# Side-by-side HTTPS benchmark: vtpmd vs nginx (Debian package) serving the
# same static 200 on GET /healthz, over TLS with the SAME certificate and key,
# both writing one access-log line per request to a file, nginx with 2 workers
# on 2 cores.
# The load generator runs the same connections and duration against each.
#
# usage: tests/bench/http_bench.sh --loadgen PATH --server 'COMMAND' [options] OUT.md
#   --server 'COMMAND'   how to start our server; {port}, {cert}, {key} and {dir} are
#                        replaced by a free loopback port, the PEM files and an empty
#                        data directory, e.g. 'build/server/vtpmd --data-dir {dir}
#                        --listen 127.0.0.1:{port} --tls-certificate {cert} --tls-private-key {key}'
#                        (its stderr, where the access log goes, is written to a file).
#   --connections N      keep-alive TLS connections (default 32)
#   --duration S         measured seconds per server (default 10)
#   --warmup S           unmeasured seconds before (default 2)
#   --loadgen-threads N  load generator threads (default 1)
#   --rounds N           alternate the two servers N times and report medians (default 3):
#                        a shared VM's throughput drifts, and alternating spreads the drift
#                        over both sides instead of favouring whichever ran first
#   --nginx PATH         nginx binary (default: nginx from PATH or /usr/sbin)
set -euo pipefail

loadgen="" server_cmd="" connections=32 duration=10 warmup=2 lg_threads=1 rounds=3 out=""
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --loadgen) loadgen=$2; shift 2 ;;
    --server) server_cmd=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --loadgen-threads) lg_threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --nginx) nginx_bin=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[[ -x "$loadgen" && -n "$server_cmd" && -n "$out" ]] || { sed -n '2,17p' "$0" >&2; exit 2; }
[[ -x "$nginx_bin" ]] || { echo "nginx not found (apt-get install nginx-light)" >&2; exit 2; }

source "$(dirname "$0")/scratch.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 600); do
    curl -skf -o /dev/null "https://127.0.0.1:$1/healthz" && return 0
    sleep 0.1
  done
  echo "server on port $1 never became ready" >&2; return 1
}
run_load() {
  "$loadgen" --port "$1" --connections "$connections" --duration "$duration" --warmup "$warmup" --threads "$lg_threads"
}
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

# --- our server ---
ours_port=$(free_port)
cmd=${server_cmd//\{port\}/$ours_port}
cmd=${cmd//\{cert\}/$work/cert.pem}
cmd=${cmd//\{key\}/$work/key.pem}
cmd=${cmd//\{dir\}/$work/ours-data}
bash -c "exec $cmd" >"$work/ours.out" 2>"$work/ours.err" &
pids+=($!)
wait_ready "$ours_port"

# --- nginx, same certificate, 2 workers ---
nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" 2>"$work/nginx.err" &
pids+=($!)
wait_ready "$nginx_port"

ours_runs=() theirs_runs=()
for round in $(seq "$rounds"); do
  ours_runs+=("$(run_load "$ours_port")")
  theirs_runs+=("$(run_load "$nginx_port")")
  echo "round $round: ours $(field "${ours_runs[-1]}" rps) req/s, nginx $(field "${theirs_runs[-1]}" rps) req/s" >&2
done
# The run with the median throughput stands for each side (its latencies with it).
median_run() { printf '%s\n' "$@" | awk '{ match($0, /"rps":[0-9.]+/); print substr($0, RSTART + 6, RLENGTH - 6) "\t" $0 }' \
  | sort -n | awk -v n="$#" 'NR == int((n + 1) / 2) { sub(/^[^\t]*\t/, ""); print }'; }
ours=$(median_run "${ours_runs[@]}")
theirs=$(median_run "${theirs_runs[@]}")

ours_rps=$(field "$ours" rps); theirs_rps=$(field "$theirs" rps)
ratio=$(awk -v a="$ours_rps" -v b="$theirs_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
{
  echo "| server | req/s | p50 ms | p99 ms | max ms | errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| ours (\`${server_cmd%% *}\`) | $ours_rps | $(field "$ours" p50_ms) | $(field "$ours" p99_ms) | $(field "$ours" max_ms) | $(field "$ours" errors) |"
  echo "| nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///') (2 workers) | $theirs_rps | $(field "$theirs" p50_ms) | $(field "$theirs" p99_ms) | $(field "$theirs" max_ms) | $(field "$theirs" errors) |"
  echo
  echo "Ratio ours/nginx: **${ratio}x** (median of $rounds alternating rounds; GET /healthz, TLS, $connections keep-alive connections, ${duration} s after ${warmup} s warm-up, loadgen threads $lg_threads, $(nproc) cores, one access-log line per request written to a file on both sides)."
  echo
  echo "Reproduce:"
  echo
  echo '```'
  printf 'tests/bench/http_bench.sh --loadgen %q --server %q --connections %s --duration %s --warmup %s --loadgen-threads %s --rounds %s %q\n' \
    "$loadgen" "$server_cmd" "$connections" "$duration" "$warmup" "$lg_threads" "$rounds" "$out"
  echo '```'
  echo
  echo "Every round (req/s): ours $(for r in "${ours_runs[@]}"; do printf '%s ' "$(field "$r" rps)"; done); nginx $(for r in "${theirs_runs[@]}"; do printf '%s ' "$(field "$r" rps)"; done)"
} >"$out"
cat "$out"
