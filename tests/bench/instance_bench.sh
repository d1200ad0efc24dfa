#!/usr/bin/env bash
# vTPM provisioning, side by side in one run with the standard way a host provisions a
# vTPM today: `swtpm_setup --tpm2 --createek --create-ek-cert` with swtpm_localca.
#   1. one instance: hyperfine, N runs each, medians;
#   2. M instances at once, both cores busy (xargs -P), wall time;
#   3. vtpmd's own memory per running instance (RSS growth / M), beyond the swtpm children;
#   4. optionally, capacity: grow to CAPACITY running instances (vtpmd only) and report
#      the time, vtpmd's RSS and the host memory all the swtpm children take.
#
# usage: tests/bench/instance_bench.sh BUILD_DIR OUT.md [RUNS=10] [INSTANCES=100] [CAPACITY=0]
set -euo pipefail
build=$(realpath "$1") out=$2 runs=${3:-10} many=${4:-100} capacity=${5:-0}
work=$(mktemp -d)
vtpmd_pid=""
cleanup() { [ -n "$vtpmd_pid" ] && kill "$vtpmd_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/server/vtpmd" --data-dir "$work/data" --listen 127.0.0.1:0 --ready-file "$work/ready.json" \
  --access-log false 2>"$work/vtpmd.log" &
vtpmd_pid=$!
for _ in $(seq 600); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/ready.json")
ctl="$build/server/vtpmctl --url https://127.0.0.1:$port --cacert $work/data/root-ca.pem --token-file $work/data/admin.token"
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$vtpmd_pid/status"; }

# --- 1. one instance ---
hyperfine --style basic --runs "$runs" --export-json "$work/one.json" \
  --prepare "rm -rf $work/swtpm-setup && mkdir $work/swtpm-setup" \
  -n swtpm_setup "swtpm_setup --tpm2 --tpmstate $work/swtpm-setup --createek --create-ek-cert --overwrite" \
  -n vtpmd "$ctl instance create --vm \$(cat /proc/sys/kernel/random/uuid) --wait" >&2
median() { python3 -c "import json,sys; r={x['command']: x for x in json.load(open('$work/one.json'))['results']}; print('%.1f' % (r['$1']['median']*1000))"; }
setup_ms=$(median swtpm_setup) ours_ms=$(median vtpmd)

# --- 2. many instances at once ---
before_kib=$(rss_kib)
count_before=$($ctl --json instance list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))')
start=$(date +%s.%N)
seq "$many" | xargs -P 8 -I{} sh -c "$ctl instance create --vm \$(cat /proc/sys/kernel/random/uuid) --wait >/dev/null"
ours_many=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
after_kib=$(rss_kib)
running=$($ctl --json instance list | python3 -c 'import json,sys; print(sum(i["status"]=="running" for i in json.load(sys.stdin)["instances"]))')
start=$(date +%s.%N)
seq "$many" | xargs -P 2 -I{} sh -c "mkdir -p $work/setup-{} && swtpm_setup --tpm2 --tpmstate $work/setup-{} --createek --create-ek-cert --overwrite >/dev/null 2>&1"
setup_many=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
per_instance_kib=$(( (after_kib - before_kib) / many ))

capacity_line=""
if [ "$capacity" -gt 0 ]; then
  have=$($ctl --json instance list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))')
  used_before=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
  start=$(date +%s.%N)
  seq $((capacity - have)) | xargs -P 8 -I{} sh -c "$ctl instance create --vm \$(cat /proc/sys/kernel/random/uuid) --wait >/dev/null"
  grow_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
  capacity_running=$($ctl --json instance list | python3 -c 'import json,sys; print(sum(i["status"]=="running" for i in json.load(sys.stdin)["instances"]))')
  used_mib=$(( ($used_before - $(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)) / 1024 ))
  capacity_line="Capacity: $capacity_running instances running (grown from $have in ${grow_s} s); vtpmd RSS $(rss_kib) KiB; host memory taken by the $((capacity - have)) new instances (swtpm children included): $used_mib MiB."
fi

{
  echo "| measure | swtpm_setup + swtpm_localca | vtpmd | ratio |"
  echo "|---|---:|---:|---:|"
  echo "| one vTPM created and provisioned, median of $runs (ms) | $setup_ms | $ours_ms | $(printf '%.2f' "$(echo "scale=4; $ours_ms / $setup_ms" | bc)") |"
  echo "| $many vTPMs, both cores (s) | $setup_many | $ours_many | $(printf '%.2f' "$(echo "scale=4; $ours_many / $setup_many" | bc)") |"
  echo
  echo "vtpmd RSS: $before_kib KiB with $count_before instances, $after_kib KiB with $((count_before + many)) ($running running): **$per_instance_kib KiB per instance** beyond its swtpm child."
  echo
  [ -n "$capacity_line" ] && { echo "$capacity_line"; echo; }
  echo "vtpmd's figure includes the vtpmctl process, TLS connection, REST call and polling until the"
  echo "instance reports running (EKs created and persisted, EK' certificates issued by the EK"
  echo "authority and written to NV). Reproduce: \`tests/bench/instance_bench.sh build OUT.md $runs $many $capacity\`"
} >"$out"
cat "$out"
