#!/usr/bin/env bash
# AIK enrollments per second (issue 4), everything in one run on this machine:
#   1. the primitives' limit: `openssl speed` for what an enrollment costs the CA in
#      asymmetric operations (see limit below);
#   2. vtpmd in process: vtpmd_enrollment_bench (Google Benchmark, real time);
#   3. the reference, per enrollment: `tpm2_makecredential -T none` plus
#      `openssl x509 -req` issuing the AIK certificate with a P-256 privacy CA key,
#      one process pair at a time and two at once; the inputs (EK and AIK public
#      areas, the AIK's name) are made once by tpm2_createek/tpm2_createak on a swtpm;
#   4. vtpmd over HTTPS: the real binary on a fresh data directory per EK type, a
#      software EK certified once by POST /v1/ek-certificates, then
#      vtpmd_enroll_loadgen enrolling over keep-alive connections (the TPM's
#      ActivateCredential played in software by the client); vtpmd's CPU time during
#      the measured seconds comes from /proc.
# and writes a markdown section to OUT.md.
#
# usage: tests/bench/enrollment_bench.sh BUILD_DIR OUT.md [DURATION=10] [CONNECTIONS=32] [ITERATIONS=200]
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,17p' "$0" >&2; exit 2; }
build=$(realpath "$1") out=$2 duration=${3:-10} connections=${4:-32} iterations=${5:-200}
warmup=2
for tool in openssl swtpm tpm2_createek tpm2_createak tpm2_makecredential curl python3 xxd; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done
bench="$build/tests/bench/vtpmd_enrollment_bench"
loadgen="$build/tests/bench/vtpmd_enroll_loadgen"
vtpmd="$build/server/vtpmd"
[[ -x "$bench" && -x "$loadgen" && -x "$vtpmd" ]] || {
  echo "build vtpmd, vtpmd_enrollment_bench and vtpmd_enroll_loadgen in $build first" >&2; exit 2; }

source "$(dirname "$0")/scratch.sh"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. the primitives' limit ---
echo "openssl speed ..." >&2
openssl speed -seconds 3 -mr rsa2048 ecdsap256 ecdhp256 2>/dev/null | grep '^+F' >"$work/speed.txt"

# --- 2. in process ---
echo "vtpmd_enrollment_bench ..." >&2
"$bench" --benchmark_min_time=2 --benchmark_out="$work/inprocess.json" --benchmark_out_format=json >&2

# --- 3. the reference ---
echo "reference: tpm2_makecredential + openssl x509 -req ..." >&2
ref="$work/ref"
mkdir -p "$ref/swtpm"
swtpm socket --tpm2 --tpmstate dir="$ref/swtpm" --server type=unixio,path="$ref/tpm.sock" \
  --ctrl type=unixio,path="$ref/tpm.sock.ctrl" --flags not-need-init,startup-clear 2>"$ref/swtpm.log" &
pids+=($!)
for _ in $(seq 100); do [[ -S "$ref/tpm.sock" ]] && break; sleep 0.05; done
export TPM2TOOLS_TCTI="swtpm:path=$ref/tpm.sock"
(
  cd "$ref"
  tpm2_createek -G rsa -c ek-rsa.ctx -u ek-rsa.pub >/dev/null
  tpm2_createak -C ek-rsa.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -f pem -u ak.pem -n ak.name >/dev/null
  tpm2_flushcontext -t
  tpm2_createek -G ecc -c ek-ecc.ctx -u ek-ecc.pub >/dev/null
  tpm2_flushcontext -t
)
unset TPM2TOOLS_TCTI
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
ak_name=$(xxd -p -c 256 "$ref/ak.name")
head -c 32 /dev/urandom >"$ref/secret.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=privacy CA" \
  -keyout "$ref/privacy.key" -out "$ref/privacy.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=aik" \
  -keyout "$ref/throwaway.key" -out "$ref/aik.csr" 2>/dev/null
# What vtpmd's AIK certificates carry: no CA, digitalSignature, tcg-kp-AIKCertificate
# and the AIK's TPM name in vtpmd's extension.
name_length=$(printf '%02x' $(( ${#ak_name} / 2 )))
cat >"$ref/aik.ext" <<EXT
[aik]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = 2.23.133.8.3
2.25.251627286845629575248525112827099618712.1 = DER:04:$name_length:$ak_name
EXT
enroll_once() {  # EK public, tag
  tpm2_makecredential -Q -T none -u "$1" -s "$ref/secret.bin" -n "$ak_name" -o "$ref/cred-$2.bin" &&
    openssl x509 -req -in "$ref/aik.csr" -CA "$ref/privacy.pem" -CAkey "$ref/privacy.key" \
      -force_pubkey "$ref/ak.pem" -days 365 -extfile "$ref/aik.ext" -extensions aik -out "$ref/aik-$2.pem" 2>/dev/null
}
enroll_loop() {  # EK public, count, tag
  for _ in $(seq "$2"); do enroll_once "$1" "$3" || { echo "reference enrollment failed" >&2; return 1; }; done
}
reference() {  # EK public, parallel loops, tag: enrollments/s into $work/ref-TAG
  local start end p failed=0 loops=()
  start=$(date +%s.%N)
  for p in $(seq "$2"); do
    enroll_loop "$1" $((iterations / $2)) "$p" &
    loops+=($!)
  done
  for p in "${loops[@]}"; do wait "$p" || failed=1; done
  end=$(date +%s.%N)
  [[ $failed == 0 ]] || { echo "a reference enrollment failed" >&2; exit 1; }
  python3 -c "print('%.1f' % ($iterations / ($end - $start)))" >"$work/ref-$3"
}
reference "$ref/ek-rsa.pub" 1 rsa-1
reference "$ref/ek-rsa.pub" 2 rsa-2
reference "$ref/ek-ecc.pub" 1 ecc-1
reference "$ref/ek-ecc.pub" 2 ecc-2
# The reference did issue certificates, with the extensions asked for.
openssl x509 -in "$ref/aik-1.pem" -noout -ext extendedKeyUsage | grep -q 2.23.133.8.3

# --- 4. over HTTPS ---
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
https_run() {  # ecc|rsa: the loadgen's JSON plus vtpmd's CPU seconds into $work/https-KIND.json
  local kind=$1 data="$work/https-$1" port pid token ek_json point lg cpu0 cpu1
  "$vtpmd" --data-dir "$data" --listen 127.0.0.1:0 --ready-file "$work/ready-$kind.json" 2>"$work/vtpmd-$kind.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do [[ -s "$work/ready-$kind.json" ]] && break; sleep 0.1; done
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/ready-$kind.json")
  token=$(cat "$data/admin.token")
  if [[ $kind == rsa ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/ek-$kind.key" 2>/dev/null
    ek_json="{\"algorithm\":\"rsa2048\",\"modulus\":\"$(openssl rsa -in "$work/ek-$kind.key" -noout -modulus | cut -d= -f2)\",\"exponent\":65537}"
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ek-$kind.key" 2>/dev/null
    point=$(openssl pkey -in "$work/ek-$kind.key" -pubout -outform DER | tail -c 64 | xxd -p -c 64)
    ek_json="{\"algorithm\":\"ecc-nist-p256\",\"x\":\"${point:0:64}\",\"y\":\"${point:64:64}\"}"
  fi
  # What a host does for a TPM it manufactures itself (vtpm-create-certs).
  curl -sf --cacert "$data/root-ca.pem" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"ek_public\":$ek_json}" "https://127.0.0.1:$port/v1/ek-certificates" |
    python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["certificate_pem"])' >"$work/ek-$kind.pem"
  "$loadgen" --port "$port" --token-file "$data/admin.token" --ek-key "$work/ek-$kind.key" \
    --ek-certificate "$work/ek-$kind.pem" --connections "$connections" --duration "$duration" --warmup "$warmup" \
    >"$work/load-$kind.json" &
  lg=$!
  sleep "$warmup"
  cpu0=$(cpu_ticks "$pid")
  wait "$lg"
  cpu1=$(cpu_ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  python3 -c "import json; r = json.load(open('$work/load-$kind.json')); r['vtpmd_cpu_s'] = ($cpu1 - $cpu0) / $clock_ticks; print(json.dumps(r))" \
    >"$work/https-$kind.json"
}
echo "HTTPS, ECC EK ..." >&2
https_run ecc
echo "HTTPS, RSA EK ..." >&2
https_run rsa
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the section ---
LOAD_BEFORE=$load_before LOAD_AFTER=$load_after CORES=$(nproc) ITERATIONS=$iterations DURATION=$duration \
WARMUP=$warmup REPRODUCE="tests/bench/enrollment_bench.sh $1 $2 $duration $connections $iterations" \
  python3 - "$work" "$out" <<'PY'
import json, os, sys
work, out = sys.argv[1:3]
env = os.environ
speed_file, inprocess_file = f'{work}/speed.txt', f'{work}/inprocess.json'
speed = {}
for line in open(speed_file):
    f = line.strip().split(':')
    speed[(f[0], f[2])] = (float(f[3]), float(f[4]))
rsa_sign, rsa_public = speed[('+F2', '2048')]
ecdsa_sign, ecdsa_verify = speed[('+F4', '256')]
ecdh = speed[('+F5', '256')][0]
# Per enrollment, the CA's asymmetric work: the EK certificate's chain (the EK
# authority's and the root's signatures: 2 ECDSA verifies), the AIK certificate (1
# ECDSA sign) and the seed: RSA-OAEP encryption (1 RSA public operation) or, for an
# ECC EK, an ephemeral key (one fixed-base multiplication, costed as an ECDSA sign)
# and ECDH (1 derive).
common = 1 / ecdsa_sign + 2 / ecdsa_verify
limit = {'rsa': 1 / (common + 1 / rsa_public), 'ecc': 1 / (common + 1 / ecdsa_sign + 1 / ecdh)}

runs = {b['name']: b for b in json.load(open(inprocess_file))['benchmarks'] if b.get('run_type', 'iteration') == 'iteration'}
def rate(name): return runs[name]['items_per_second']
def us(name): return runs[name]['real_time'] / 1e3 if runs[name]['time_unit'] == 'ns' else runs[name]['real_time']
act = {'rsa': us('BM_SoftwareActivation/rsa_ek/real_time'), 'ecc': us('BM_SoftwareActivation/ecc_ek/real_time')}
def ca_only(name, ek): return 1e6 / (us(name) - act[ek])
https = {ek: json.load(open(f'{work}/https-{ek}.json')) for ek in ('rsa', 'ecc')}
ref = {(ek, p): float(open(f'{work}/ref-{ek}-{p}').read()) for ek in ('rsa', 'ecc') for p in (1, 2)}
commit_file, commit_mem = us('BM_StoreCommit/file_store/real_time'), us('BM_StoreCommit/memory_store/real_time')

def n(x): return f'{x:,.0f}'.replace(',', ' ')
lines = []
w = lines.append
w('| path | RSA-2048 EK (enrollments/s) | ECC P-256 EK (enrollments/s) |')
w('|---|---:|---:|')
w(f'| reference: `tpm2_makecredential -T none` + `openssl x509 -req`, one at a time | {n(ref[("rsa", 1)])} | {n(ref[("ecc", 1)])} |')
w(f'| reference, two at once (2 cores) | {n(ref[("rsa", 2)])} | {n(ref[("ecc", 2)])} |')
for store, label in (('file', 'file store (WAL, flushed before each answer)'), ('memory', 'in-memory store')):
    r, e = f'BM_Enroll/rsa_ek_{store}_store/real_time', f'BM_Enroll/ecc_ek_{store}_store/real_time'
    w(f'| in process, {label}, 1 thread, with the software activation | {n(rate(r))} | {n(rate(e))} |')
    w(f'| in process, {label}: **CA only** = 1/(iteration − activation) | **{n(ca_only(r, "rsa"))}** | **{n(ca_only(e, "ecc"))}** |')
w(f'| in process, file store, 2 threads (RSA EK) | {n(rate("BM_Enroll/rsa_ek_file_store/real_time/threads:2"))} | |')
w(f'| in process, in-memory store, 2 threads (RSA EK) | {n(rate("BM_Enroll/rsa_ek_memory_store/real_time/threads:2"))} | |')
w(f'| in process, file store, 16 threads sharing flushes (RSA EK) | {n(rate("BM_Enroll/rsa_ek_file_store/real_time/threads:16"))} | |')
w(f'| **HTTPS**, {https["rsa"]["connections"]} connections (p50 / p99 ms) | **{n(https["rsa"]["eps"])}** ({https["rsa"]["p50_ms"]:.1f} / {https["rsa"]["p99_ms"]:.1f}) | **{n(https["ecc"]["eps"])}** ({https["ecc"]["p50_ms"]:.1f} / {https["ecc"]["p99_ms"]:.1f}) |')
w(f'| primitives\' limit (openssl speed), 1 core | {n(limit["rsa"])} | {n(limit["ecc"])} |')
w(f'| primitives\' limit, 2 cores | {n(2 * limit["rsa"])} | {n(2 * limit["ecc"])} |')
w('')
w('Ratios:')
w('')
for ek, label in (('rsa', 'RSA EK'), ('ecc', 'ECC EK')):
    h = https[ek]
    w(f'- {label}: HTTPS / reference two at once **{h["eps"] / ref[(ek, 2)]:.2f}×**; HTTPS / 3,000 target '
      f'**{h["eps"] / 3000:.3f}**; in process CA only / primitives\' limit per core: file store '
      f'**{ca_only(f"BM_Enroll/{ek}_ek_file_store/real_time", ek) / limit[ek]:.3f}**, in-memory store '
      f'**{ca_only(f"BM_Enroll/{ek}_ek_memory_store/real_time", ek) / limit[ek]:.3f}** (target ≥ 0.5).')
w('')
w('Where an enrollment\'s time goes (same run):')
w('')
w(f'- one committed write transaction: **{commit_file:,.0f} µs** on the file store, {commit_mem:.1f} µs in memory; '
  f'an enrollment makes 1, in Activate (a challenge is held in memory until used): {commit_file / 1e3:.1f} ms of '
  f'the file store\'s {us("BM_Enroll/rsa_ek_file_store/real_time") / 1e3:.1f} ms (RSA EK). One thread waits for its '
  f'flush, which caps it at 1/commit = {1e6 / commit_file:,.0f} enrollments/s on this disk; commits flush in '
  f'groups outside the store\'s lock (one fdatasync of the log covers every commit made before it started), so '
  f'16 threads reach **{n(rate("BM_Enroll/rsa_ek_file_store/real_time/threads:16"))}/s**.')
w(f'- the software activation (the TPM\'s work, subtracted above): {act["rsa"]:.0f} µs (RSA-2048 OAEP decryption), '
  f'{act["ecc"]:.0f} µs (ECDH).')
w(f'- the EK certificate check of each Challenge: {us("BM_EkCertificateVerify/real_time"):.0f} µs: the chain\'s 2 ECDSA '
  f'verifies ({2e6 / ecdsa_verify:.0f} µs at openssl speed) run once per certificate, later checks read only its '
  f'revocation from the store.')
w(f'- after {100000:,} recent challenges (5 minutes at 333/s) the in-memory RSA enrollment takes '
  f'{us("BM_EnrollAfterRecentChallenges/rsa_ek_memory_store/real_time") / 1e3:.1f} ms instead of '
  f'{us("BM_Enroll/rsa_ek_memory_store/real_time") / 1e3:.2f} ms (pending challenges are counted in memory; '
  f'the store holds only used ones).')
for ek in ('rsa', 'ecc'):
    h = https[ek]
    cpu = h['vtpmd_cpu_s'] / h['enrollments'] * 1e3 if h['enrollments'] else float('nan')
    w(f'- HTTPS, {ek.upper()} EK: {h["enrollments"]} enrollments in {h["seconds"]:.1f} s, {h["errors"]} errors; vtpmd used '
      f'{h["vtpmd_cpu_s"]:.1f} CPU-s, **{cpu:.2f} ms of CPU per enrollment** (2 cores would allow {2000 / cpu:,.0f}/s '
      f'if CPU were the limit).')
w('')
w(f'openssl speed (per core): RSA-2048 {n(rsa_public)} public ops/s, {n(rsa_sign)} private ops/s; ECDSA P-256 '
  f'{n(ecdsa_sign)} signs/s, {n(ecdsa_verify)} verifies/s; ECDH P-256 {n(ecdh)}/s. The limit counts per enrollment: '
  f'2 ECDSA verifies (the EK certificate\'s chain) + 1 ECDSA sign (the AIK certificate) + 1 RSA public operation '
  f'(OAEP, RSA EK) or 1 ECDH + 1 fixed-base multiplication costed as an ECDSA sign (ECC EK).')
w('')
w(f'Load average (1, 5, 15 min): {env["LOAD_BEFORE"]} before, {env["LOAD_AFTER"]} after; {env["CORES"]} cores; '
  f'{env["ITERATIONS"]} reference enrollments per figure; HTTPS: {https["rsa"]["connections"]} keep-alive connections, '
  f'{env["DURATION"]} s after {env["WARMUP"]} s warm-up, loadgen threads {https["rsa"]["threads"]}, a fresh vtpmd '
  f'(simulated platform TPM, access log on) per EK type.')
w('')
w('Reproduce (after building vtpmd, vtpmd_enrollment_bench and vtpmd_enroll_loadgen):')
w('')
w('```')
w(env['REPRODUCE'])
w('```')
open(out, 'w').write('\n'.join(lines) + '\n')
PY
cat "$out"
