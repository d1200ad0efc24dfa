#!/usr/bin/env bash
# Full chained attestations per second over HTTPS (issue 5): guest quote, AIK chain,
# policy and a deep quote by the platform TPM, with the simulated platform TPM
# taking PLATFORM_LATENCY_MS (200) per quote as a hardware TPM would. Runs, each on
# a fresh vtpmd and data directory:
#   1. batching on (--deep-quote-window-ms WINDOW_MS, 20), once per entry of
#      CONNECTIONS (a comma-separated list: 512 or 512,1024) and of AIKS (the guest
#      AIK's algorithm: ecc for ECDSA P-256, rsa for RSA-2048 with RSASSA as
#      tpm2_createak makes by default; a comma-separated list, ecc unless given);
#   2. batching off (--deep-quote-window-ms 0: one platform quote per attestation; the first of AIKS),
#      at most 16 platform quotes at once (the default --deep-quote-max-in-flight),
#      OFF_CONNECTIONS (64) connections for OFF_DURATION (DURATION) seconds;
#   3. batching off with --deep-quote-max-in-flight 256 (the maximum),
#      OFF_PARALLEL_CONNECTIONS (256) connections; 0 skips it.
# Each run creates one instance, a challenger token and a policy on the guest's PCR
# 16 and the platform's PCR 0; vtpmd_attest_loadgen then enrolls one AIK per
# connection in the guest's vTPM, makes its quotes ahead (not measured) and replays
# them, one request in flight per connection. The load generator also reads
# vtpmd's, its own and the whole machine's CPU time over the measured seconds from
# /proc. Writes a markdown section to OUT.md.
#
# usage: tests/bench/attestation_bench.sh BUILD_DIR OUT.md [DURATION=10] [CONNECTIONS=512]
#   env: OFF_CONNECTIONS=64 OFF_DURATION=DURATION OFF_PARALLEL_CONNECTIONS=256 LOADGEN_THREADS=1
#        PLATFORM_LATENCY_MS=200 WINDOW_MS=20 AIKS=ecc VTPMD_THREADS (vtpmd's --threads; its default unless set)
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,24p' "$0" >&2; exit 2; }
build=$(realpath "$1") out=$2 duration=${3:-10} connections=${4:-512}
off_connections=${OFF_CONNECTIONS:-64} off_duration=${OFF_DURATION:-$duration}
off_parallel_connections=${OFF_PARALLEL_CONNECTIONS:-256}
loadgen_threads=${LOADGEN_THREADS:-1} latency_ms=${PLATFORM_LATENCY_MS:-200} window_ms=${WINDOW_MS:-20}
aiks=${AIKS:-ecc}
warmup=2
for tool in curl python3 tpm2_pcrread tpm2_startup swtpm; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done
loadgen="$build/tests/bench/vtpmd_attest_loadgen"
vtpmd="$build/server/vtpmd"
[[ -x "$loadgen" && -x "$vtpmd" ]] || { echo "build vtpmd and vtpmd_attest_loadgen in $build first" >&2; exit 2; }

source "$(dirname "$0")/scratch.sh"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

api() {  # METHOD PATH [BODY]: the answer's body; fails on HTTP >= 400
  local body=()
  [[ $# -ge 3 ]] && body=(-d "$3")
  curl -sSf --cacert "$data/root-ca.pem" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -X "$1" "${body[@]}" "https://127.0.0.1:$port$2"
}

# Quotes per connection: the run's warm-up and measured seconds at the rate one
# connection can reach (one attestation per platform quote and half a window, at
# least 20 ms with the latency model off), plus a margin.
quotes_for() {
  python3 -c "import math; print(math.ceil(($warmup + $1) * 1000 / max(20, $latency_ms + $2 / 2) * 1.3) + 5)"
}

run() {  # TAG WINDOW_MS MAX_IN_FLIGHT CONNECTIONS DURATION AIK: results into $work/run-TAG.json
  local tag=$1 window=$2 in_flight=$3 conns=$4 secs=$5 aik=$6 quotes pid instance tcti pcr16 platform0 lg
  quotes=$(quotes_for "$secs" "$window")
  data="$work/data-$tag"
  "$vtpmd" --data-dir "$data" --socket-dir "$work/sockets-$tag" --listen 127.0.0.1:0 \
    --ready-file "$work/ready-$tag.json" --platform-quote-latency-ms "$latency_ms" --deep-quote-window-ms "$window" \
    --deep-quote-max-in-flight "$in_flight" --max-connections 8192 ${VTPMD_THREADS:+--threads "$VTPMD_THREADS"} 2>"$work/vtpmd-$tag.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do [[ -s "$work/ready-$tag.json" ]] && break; sleep 0.1; done
  [[ -s "$work/ready-$tag.json" ]] || { echo "vtpmd did not start:" >&2; tail -20 "$work/vtpmd-$tag.log" >&2; exit 1; }
  port=$(json_field '["port"]' <"$work/ready-$tag.json")
  admin=$(cat "$data/admin.token")
  printf '%s' "$admin" >"$work/admin-$tag.token"
  api POST /v1/tokens '{"role":"challenger"}' | json_field '["token"]' | tr -d '\n' >"$work/challenger-$tag.token"
  instance=$(api POST /v1/instances "{\"vm_id\":\"$(python3 -c 'import uuid; print(uuid.uuid4())')\"}" | json_field '["id"]')
  for _ in $(seq 600); do
    api GET "/v1/instances/$instance" >"$work/instance-$tag.json"
    [[ $(json_field '["status"]' <"$work/instance-$tag.json") == running ]] && break
    sleep 0.1
  done
  tcti=$(json_field '["attach"]["tcti"]' <"$work/instance-$tag.json")
  # vtpmd shuts the vTPM down after provisioning; a guest's firmware would start it.
  tpm2_startup -c -T "$tcti" 2>/dev/null || true
  pcr16=$(tpm2_pcrread -T "$tcti" sha256:16 | sed -n 's/.*0x\([0-9A-Fa-f]\{64\}\).*/\1/p' | tr 'A-F' 'a-f')
  [[ ${#pcr16} == 64 ]] || { echo "could not read the guest's PCR 16" >&2; exit 1; }
  # And the platform's PCR 0, so that the platform submodule is appraised too (without
  # platform reference values it stays "warning").
  platform0=$(api GET /v1/platform | json_field '["pcrs"]["sha256"]["0"]')
  api POST /v1/policies "{\"name\":\"bench\",\"guest\":{\"pcrs\":{\"sha256\":{\"16\":[\"$pcr16\"]}}},\
\"platform\":{\"pcrs\":{\"sha256\":{\"0\":[\"$platform0\"]}}}}" >/dev/null

  echo "$tag: window $window ms, max in flight $in_flight, $conns connections x $quotes quotes, $aik AIKs, preparing ..." >&2
  "$loadgen" --port "$port" --admin-token-file "$work/admin-$tag.token" \
    --challenger-token-file "$work/challenger-$tag.token" --instance "$instance" --tcti "$tcti" --policy bench \
    --quotes-per-connection "$quotes" --aik "$aik" --connections "$conns" --threads "$loadgen_threads" --duration "$secs" \
    --warmup "$warmup" --server-pid "$pid" >"$work/load-$tag.json" 2> >(tee "$work/loadgen-$tag.log" >&2) &
  lg=$!
  pids+=("$lg")
  wait "$lg" || { echo "vtpmd_attest_loadgen failed" >&2; exit 1; }
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  python3 -c "
import json
r = json.load(open('$work/load-$tag.json'))
r.update(tag='$tag', window_ms=$window, max_in_flight=$in_flight)
print(json.dumps(r))" >"$work/run-$tag.json"
  cat "$work/run-$tag.json" >&2
  echo "$tag" >>"$work/runs"
}

first_aik=${aiks%%,*}
for aik in ${aiks//,/ }; do
  for conns in ${connections//,/ }; do
    run "on-$aik-$conns" "$window_ms" 16 "$conns" "$duration" "$aik"
  done
done
run off 0 16 "$off_connections" "$off_duration" "$first_aik"
[[ $off_parallel_connections == 0 ]] || run off-parallel 0 256 "$off_parallel_connections" "$off_duration" "$first_aik"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

LOAD_BEFORE=$load_before LOAD_AFTER=$load_after CORES=$(nproc) LATENCY=$latency_ms WARMUP=$warmup \
MODEL=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1) \
REPRODUCE="AIKS=$aiks ${VTPMD_THREADS:+VTPMD_THREADS=$VTPMD_THREADS }tests/bench/attestation_bench.sh $1 $2 $duration $connections" \
  python3 - "$work" "$out" <<'PY'
import json, os, sys
work, out = sys.argv[1:3]
env = os.environ
tags = open(f'{work}/runs').read().split()
runs = [json.load(open(f'{work}/run-{tag}.json')) for tag in tags]
latency = int(env['LATENCY'])
def n(x): return f'{x:,.0f}'.replace(',', ' ')
lines = []
w = lines.append
w('| deep-quote batching | guest AIK | connections | attestations/s | p50 ms | p99 ms | max ms | p99 target (window + 250 ms) '
  '| errors | vtpmd CPU ms / attestation | loadgen CPU ms / attestation | platform quotes/s | mean / largest batch |')
w('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
aik_names = {'ecc': 'ECDSA P-256', 'rsa': 'RSA-2048'}
for r in runs:
    aps = r['aps']
    per = lambda cores: f'{cores / aps * 1e3:.2f}' if aps and cores >= 0 else 'n/a'
    mean = r['mean_batch']
    quotes = f'{aps / mean:.1f}' if mean else 'n/a'
    label = f'on (window {r["window_ms"]} ms)' if r['window_ms'] else 'off'
    w(f'| {label}, max {r["max_in_flight"]} platform quotes in flight | {aik_names[r["aik"]]} | {r["connections"]} | **{n(aps)}** | '
      f'{r["p50_ms"]:.1f} | {r["p99_ms"]:.1f} | {r["max_ms"]:.1f} | {r["window_ms"] + 250} | {r["errors"]} | '
      f'{per(r["server_cores"])} | {per(r["loadgen_cores"])} | {quotes} | {mean:.1f} / {r["largest_batch"]} |')
w('')
off = next(r for r in runs if r['tag'] == 'off')
for aik in dict.fromkeys(r['aik'] for r in runs if r['window_ms']):
    # The best batched run that keeps the latency target; the best of all when none does.
    batched = [r for r in runs if r['window_ms'] and r['aik'] == aik]
    within = [r for r in batched if r['p99_ms'] <= r['window_ms'] + 250]
    on = max(within or batched, key=lambda r: r['aps'])
    met = on['aps'] >= 5000 and on['p99_ms'] <= on['window_ms'] + 250
    w(f'{aik_names[aik]} AIKs: target ≥ 5,000/s with p99 ≤ {on["window_ms"] + 250} ms **{"met" if met else "not met"}** '
      f'(best batched run{" within the latency target" if within else ", none within the latency target"}: '
      f'{n(on["aps"])}/s = {on["aps"] / 5000:.2f} of the rate at {on["connections"]} connections, p99 {on["p99_ms"]:.0f} ms).')
    w('')
best_on = max((r for r in runs if r['window_ms'] and r['aik'] == off['aik']), key=lambda r: r['aps'])
w(f'Batching on / off (16 platform quotes in flight, {aik_names[off["aik"]]} AIKs): '
  f'**{best_on["aps"] / off["aps"] if off["aps"] else float("nan"):.0f}×** the attestations/s.')
w('')
for r in runs:
    w(f'- {r["tag"]}: {r["attestations"]} attestations in {r["seconds"]:.1f} s after {env["WARMUP"]} s warm-up, '
      f'{r["errors"]} errors; cores busy over the measured seconds: vtpmd {r["server_cores"]:.2f}, load generator '
      f'{r["loadgen_cores"]:.2f}, whole machine {r["machine_cores"]:.2f} of {env["CORES"]}; preparation (one AIK '
      f'enrolled per connection and {r["quotes_per_connection"]} quotes each in the vTPM) {r["prepare_seconds"]:.0f} s; '
      f'{r["exhausted_early"]} connections ran out of quotes early.')
w('')
w(f'Platform quote latency {latency} ms (simulated, `--platform-quote-latency-ms`), access log on, load generator '
  f'threads {runs[0]["threads"]}. Batch sizes come from the answers\' Merkle tree sizes (warm-up included). Load '
  f'average (1, 5, 15 min): {env["LOAD_BEFORE"]} before, {env["LOAD_AFTER"]} after; {env["CORES"]} × {env["MODEL"]}.')
w('')
w('Reproduce (after building vtpmd and vtpmd_attest_loadgen):')
w('')
w('```')
w(env['REPRODUCE'])
w('```')
open(out, 'w').write('\n'.join(lines) + '\n')
PY
cat "$out"
