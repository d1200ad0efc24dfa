#!/usr/bin/env bash
# Webhook fan-out (issue 6): one event to SUBSCRIBERS (1000) subscriptions, each its
# own HTTPS receiver on loopback (vtpmd_webhook_receivers: one single-threaded C++
# process, light so that the figures are vtpmd's), through a real vtpmd: time
# until all have it, deliveries per second and event-to-delivery latency p50/p99,
# for EVENTS (10) events one after the other (the first one cold: vtpmd opens and
# TLS-handshakes every connection) and BURST (10) events at once. In the same run
# the Keylime-style reference notifier (keylime_style_notifier.py: one thread, one
# request at a time, a new connection each) sends one notification to the same
# receivers. Writes a markdown section to OUT.md and the raw figures to OUT.json.
# BUILD_DIR needs the targets vtpmd and vtpmd_webhook_receivers built.
#
# usage: tests/bench/webhook_fanout_bench.sh BUILD_DIR OUT.md [SUBSCRIBERS=1000] [EVENTS=10] [BURST=10]
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,13p' "$0" >&2; exit 2; }
build=$(realpath "$1") out=$2 subscribers=${3:-1000} events=${4:-10} burst=${5:-10}
here=$(cd "$(dirname "$0")" && pwd)
for tool in node python3 openssl; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done
vtpmd="$build/server/vtpmd"
[[ -x "$vtpmd" ]] || { echo "build vtpmd in $build first" >&2; exit 2; }
receivers="$build/tests/bench/vtpmd_webhook_receivers"
[[ -x "$receivers" ]] || { echo "build vtpmd_webhook_receivers in $build first" >&2; exit 2; }

source "$here/scratch.sh"
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=receivers \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/receiver.key" -out "$work/receiver.pem" 2>/dev/null
data="$work/data"
"$vtpmd" --data-dir "$data" --socket-dir "$work/sockets" --listen 127.0.0.1:0 --ready-file "$work/ready.json" \
  --access-log false --webhook-allow-loopback true --webhook-ca-file "$work/receiver.pem" ${VTPMD_FLAGS:-} \
  2>"$work/vtpmd.log" &
pids+=($!)
for _ in $(seq 600); do [[ -s "$work/ready.json" ]] && break; sleep 0.1; done
[[ -s "$work/ready.json" ]] || { echo "vtpmd did not start:" >&2; tail -20 "$work/vtpmd.log" >&2; exit 1; }
port=$(json_field '["port"]' <"$work/ready.json")
cat "$data/root-ca.pem" "$work/receiver.pem" >"$work/trust.pem"

# Receivers need the open files: SUBSCRIBERS listening sockets and as many connections.
ulimit -n "$(ulimit -Hn)"
NODE_EXTRA_CA_CERTS="$work/trust.pem" node "$here/webhook_fanout.mjs" "https://127.0.0.1:$port" \
  "$(cat "$data/admin.token")" "$work/receiver.pem" "$work/receiver.key" "$receivers" \
  "$subscribers" "$events" "$burst" >"$work/result.json"

python3 - "$work/result.json" "$out" "$subscribers" "$events" "$burst" "$load_before" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
out, subscribers, events, burst, load = sys.argv[2:]
f = lambda x: f"{x:,.1f}"
warm = r["warm"]
best = min(warm, key=lambda w: w["all_ms"]) if warm else r["cold"]
worst = max(warm, key=lambda w: w["all_ms"]) if warm else r["cold"]
with open(out, "a") as o:
    o.write(f"""### One event to {subscribers} subscribers (issue 6)

| run | all delivered | deliveries/s | latency p50 | latency p99 |
|---|---|---|---|---|
| vtpmd, first event (cold: {subscribers} TLS connections opened) | {f(r['cold']['all_ms'])} ms | {r['cold']['deliveries_per_s']:,.0f} | {f(r['cold']['p50_ms'])} ms | {f(r['cold']['p99_ms'])} ms |
| vtpmd, next {len(warm)} events one at a time (warm), best | {f(best['all_ms'])} ms | {best['deliveries_per_s']:,.0f} | {f(best['p50_ms'])} ms | {f(best['p99_ms'])} ms |
| vtpmd, warm, worst | {f(worst['all_ms'])} ms | {worst['deliveries_per_s']:,.0f} | {f(worst['p50_ms'])} ms | {f(worst['p99_ms'])} ms |
| vtpmd, all warm deliveries ({len(warm) * int(subscribers)}) | | | {f(r['warm_latency']['p50_ms'])} ms | {f(r['warm_latency']['p99_ms'])} ms |
| vtpmd, {burst} events at once ({r['burst']['deliveries']} deliveries) | {f(r['burst']['all_ms'])} ms | {r['burst']['deliveries_per_s']:,.0f} | {f(r['burst']['p50_ms'])} ms | {f(r['burst']['p99_ms'])} ms |
| Keylime-style reference, one notification | {f(r['reference']['all_ms'])} ms | {r['reference']['deliveries_per_s']:,.0f} | {f(r['reference']['p50_ms'])} ms | {f(r['reference']['p99_ms'])} ms |

Latency runs from just before the API call that records the event to the arrival
at the receiver (so it includes that call and the commit). Receivers: {subscribers}
TLS listeners in one single-threaded Asio process (vtpmd_webhook_receivers), each its
own origin, answering 204 without checking signatures; vtpmd signs every delivery.
Load average before the run: {load}.
Reference delivered {r['reference']['delivered']}, failed {r['reference']['failed']}.

""")
PY
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: v for k, v in r.items()}, indent=1))' \
  "$work/result.json" >"${out%.md}.json"
echo "wrote $out and ${out%.md}.json (every round)"
