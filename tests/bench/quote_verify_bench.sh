#!/usr/bin/env bash
# Quote verifications per second (issue 5), everything in one run on this machine:
#   1. the quotes: a swtpm, an EK, an ECDSA P-256 and an RSA-2048 (RSASSA) AIK made
#      by tpm2_createak, then QUOTES quotes per AIK by tpm2_quote (-m -s -o), each
#      over sha256:0-7 with its own random 32-byte nonce;
#   2. the primitive's limit: `openssl speed -seconds 3` for ecdsap256 and rsa2048,
#      before and after the rest (verify/s, per CPU second);
#   3. vtpmd in process: vtpmd_quote_verify_bench on those quotes (each iteration the
#      -o file parsed and the whole VerifyQuote, the clock history in memory), with
#      the signature check alone and OpenSSL's bare verify beside it; medians of 3;
#   4. the reference: `tpm2_checkquote` on the same quotes, one process per quote,
#      quotes/s = QUOTES / wall time, and the process start alone
#      (`tpm2_checkquote --version`) for comparison.
# and writes a markdown section to OUT.md.
#
# usage: tests/bench/quote_verify_bench.sh BUILD_DIR OUT.md [QUOTES=200]
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
build=$(realpath "$1") out=$2 quotes=${3:-200}
selection=sha256:0,1,2,3,4,5,6,7
for tool in openssl swtpm tpm2_createek tpm2_createak tpm2_evictcontrol tpm2_flushcontext tpm2_pcrextend \
            tpm2_quote tpm2_checkquote python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done
bench="$build/tests/bench/vtpmd_quote_verify_bench"
[[ -x "$bench" ]] || { echo "build vtpmd_quote_verify_bench in $build first" >&2; exit 2; }

work=$(mktemp -d)
swtpm_pid=
cleanup() {
  [[ -z $swtpm_pid ]] || { kill "$swtpm_pid" 2>/dev/null || true; wait "$swtpm_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. the quotes ---
echo "making $quotes quotes per AIK on a swtpm ..." >&2
mkdir -p "$work/swtpm" "$work/quotes/ecdsa-p256" "$work/quotes/rsa2048"
swtpm socket --tpm2 --tpmstate dir="$work/swtpm" --server type=unixio,path="$work/tpm.sock" \
  --ctrl type=unixio,path="$work/tpm.sock.ctrl" --flags not-need-init,startup-clear 2>"$work/swtpm.log" &
swtpm_pid=$!
for _ in $(seq 100); do [[ -S "$work/tpm.sock" ]] && break; sleep 0.05; done
export TPM2TOOLS_TCTI="swtpm:path=$work/tpm.sock"
# Measurements, as a booted guest's PCRs would hold.
for pcr in 0 1 2 3 4 5 6 7; do tpm2_pcrextend "$pcr:sha256=$(openssl rand -hex 32)"; done
tpm2_createek -G rsa -c "$work/ek.ctx" >/dev/null
tpm2_flushcontext -t
make_aik() {  # label, persistent handle, tpm2_createak arguments...
  local label=$1 handle=$2
  shift 2
  tpm2_createak -C "$work/ek.ctx" -c "$work/$label.ctx" "$@" -u "$work/quotes/$label/ak.pub" -f tss >/dev/null
  tpm2_flushcontext -t
  tpm2_flushcontext -s
  tpm2_evictcontrol -C o -c "$work/$label.ctx" "$handle" >/dev/null
  tpm2_flushcontext -t
}
make_aik ecdsa-p256 0x81000110 -G ecc256 -g sha256 -s ecdsa
make_aik rsa2048 0x81000111 -G rsa2048 -g sha256 -s rsassa
for aik in ecdsa-p256:0x81000110 rsa2048:0x81000111; do
  label=${aik%%:*} handle=${aik##*:}
  for i in $(seq -f %04g 0 $((quotes - 1))); do
    nonce=$(openssl rand -hex 32)
    echo "$nonce" >"$work/quotes/$label/$i.nonce"
    tpm2_quote -Q -c "$handle" -l "$selection" -q "$nonce" -g sha256 -m "$work/quotes/$label/$i.msg" \
      -s "$work/quotes/$label/$i.sig" -o "$work/quotes/$label/$i.pcrs"
  done
done
unset TPM2TOOLS_TCTI
kill "$swtpm_pid"; wait "$swtpm_pid" 2>/dev/null || true; swtpm_pid=

# --- 2. the primitive's limit ---
speed() {  # file
  openssl speed -seconds 3 -mr ecdsap256 rsa2048 2>/dev/null | grep '^+F' >"$1"
}
echo "openssl speed ..." >&2
speed "$work/speed-before.txt"

# --- 3. in process ---
echo "vtpmd_quote_verify_bench ..." >&2
"$bench" --quote_dir="$work/quotes" --benchmark_min_time=2 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$work/inprocess.json" --benchmark_out_format=json >&2

# --- 4. the reference ---
# Wall, user and system seconds of a command and its children, into a file. The
# CPU seconds matter as much as the wall time: on this shared machine, run under
# nice, a process per quote waits for a core as often as it runs.
timed() {  # file, command...
  local file=$1 TIMEFORMAT='%3R %3U %3S'
  shift
  { time "$@" 2>&4; } 4>&2 2>"$file"
}
checkquote_once() {  # label, quote number, nonce
  local dir="$work/quotes/$1"
  tpm2_checkquote -u "$dir/ak.pub" -m "$dir/$2.msg" -s "$dir/$2.sig" -f "$dir/$2.pcrs" -g sha256 -q "$3" \
    >/dev/null || { echo "tpm2_checkquote refused $1 quote $2" >&2; exit 1; }
}
checkquote_all() {  # label; the nonces are read before, so that the loop is the tool alone
  local i
  for i in "${numbers[@]}"; do checkquote_once "$1" "$i" "${nonces[$i]}"; done
}
version_loop() {
  for _ in $(seq "$quotes"); do tpm2_checkquote --version >/dev/null; done
}
echo "tpm2_checkquote ..." >&2
mapfile -t numbers < <(seq -f %04g 0 $((quotes - 1)))
declare -A nonces
for label in ecdsa-p256 rsa2048; do
  for i in "${numbers[@]}"; do nonces[$i]=$(<"$work/quotes/$label/$i.nonce"); done
  for i in "${numbers[@]:0:5}"; do checkquote_once "$label" "$i" "${nonces[$i]}"; done  # warm the caches
  timed "$work/checkquote-$label" checkquote_all "$label"
done
timed "$work/process-start" version_loop

echo "openssl speed again ..." >&2
speed "$work/speed-after.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the section ---
LOAD_BEFORE=$load_before LOAD_AFTER=$load_after CORES=$(nproc) QUOTES=$quotes SELECTION=$selection \
OPENSSL="$(openssl version)" TOOLS="$(tpm2_checkquote --version | sed -n 's/.*version="\([^"]*\)".*/\1/p')" \
REPRODUCE="tests/bench/quote_verify_bench.sh $1 $2 $quotes" \
  python3 - "$work" "$out" <<'PY'
import json, os, sys
work, out = sys.argv[1:3]
env = os.environ

def speed(path):
    verify = {}
    for line in open(path):
        f = line.strip().split(':')
        verify[(f[0], f[2])] = float(f[4])
    return {'ecdsa-p256': verify[('+F4', '256')], 'rsa2048': verify[('+F2', '2048')]}
before, after = speed(f'{work}/speed-before.txt'), speed(f'{work}/speed-after.txt')
raw = {alg: (before[alg] + after[alg]) / 2 for alg in before}

runs = {b['run_name']: b for b in json.load(open(f'{work}/inprocess.json'))['benchmarks']
        if b.get('aggregate_name') == 'median'}
def rate(name): return runs[name]['items_per_second']
def us(name): return 1e6 / rate(name)
quotes = int(env['QUOTES'])
def per_second(path):  # (per wall second, per CPU second) from `wall user system`
    wall, user, system = (float(x) for x in open(path).read().split())
    return quotes / wall, quotes / (user + system)
checkquote = {alg: per_second(f'{work}/checkquote-{alg}') for alg in raw}
process_start = per_second(f'{work}/process-start')

def n(x): return f'{x:,.0f}'.replace(',', ' ')
labels = {'ecdsa-p256': 'ECDSA P-256', 'rsa2048': 'RSA-2048 (RSASSA)'}
lines = []
w = lines.append
w('Reproduce (after building vtpmd_quote_verify_bench):')
w('')
w('```')
w(env['REPRODUCE'])
w('```')
w('')
w('| AIK | vtpmd `VerifyQuote`/s, 1 core | `tpm2_checkquote`/s, process per quote: per CPU second (wall) | raw OpenSSL verify/s (`openssl speed`) | raw / vtpmd (target ≤ 2) |')
w('|---|---:|---:|---:|---:|')
for alg, label in labels.items():
    v = rate(f'BM_VerifyQuote/{alg}')
    w(f'| {label} | **{n(v)}** | {n(checkquote[alg][1])} ({n(checkquote[alg][0])}) | {n(raw[alg])} | **{raw[alg] / v:.2f}** |')
w('')
w('Where a verification\'s time goes (same run, µs per quote, medians of 3):')
w('')
w('| AIK | whole `VerifyQuote` incl. the -o file | -o file parse (`ParseTpm2ToolsPcrs`) | vtpmd signature check alone | OpenSSL verify on a digest, context made once | `openssl speed` verify |')
w('|---|---:|---:|---:|---:|---:|')
for alg, label in labels.items():
    w(f'| {label} | {us(f"BM_VerifyQuote/{alg}"):.1f} | {us(f"BM_ParseTpm2ToolsPcrs/{alg}"):.2f} | '
      f'{us(f"BM_SignatureOnly/{alg}"):.1f} | {us(f"BM_OpenSslVerifyDigest/{alg}"):.1f} | {1e6 / raw[alg]:.1f} |')
w('')
for alg, label in labels.items():
    v, sig, bare = (rate(f'{b}/{alg}') for b in ('BM_VerifyQuote', 'BM_SignatureOnly', 'BM_OpenSslVerifyDigest'))
    w(f'- {label}: vtpmd / `tpm2_checkquote` per CPU second **{v / checkquote[alg][1]:,.0f}×**; in-process bare verify / vtpmd '
      f'**{bare / v:.2f}** (the same ratio as the target\'s, without the drift between two programs); the '
      f'signature check is {100 * (1 / sig) / (1 / v):.0f} % of a verification, the rest of `VerifyQuote` '
      f'{us(f"BM_VerifyQuote/{alg}") - us(f"BM_SignatureOnly/{alg}"):.1f} µs.')
w(f'- `tpm2_checkquote --version` alone (process start, no verification): {n(process_start[1])} per CPU second '
  f'({n(process_start[0])}/s wall): the process is most of `tpm2_checkquote`\'s cost.')
w(f'- `openssl speed` verify/s before / after: ECDSA P-256 {n(before["ecdsa-p256"])} / {n(after["ecdsa-p256"])}, '
  f'RSA-2048 {n(before["rsa2048"])} / {n(after["rsa2048"])}; their mean is used above.')
w('')
w(f'{env["QUOTES"]} quotes per AIK over `{env["SELECTION"]}`, each with its own 32-byte nonce, made by tpm2-tools '
  f'{env["TOOLS"]} on a swtpm; {env["OPENSSL"]}. vtpmd rates are per CPU second (Google Benchmark), as '
  f'`openssl speed` counts; `tpm2_checkquote` ran the {env["QUOTES"]} quotes in sequence, one process each, '
  f'timed by bash `time` (wall, and user + system CPU of the processes). '
  f'Load average (1, 5, 15 min): {env["LOAD_BEFORE"]} before, {env["LOAD_AFTER"]} after; {env["CORES"]} cores.')
open(out, 'w').write('\n'.join(lines) + '\n')
PY
cat "$out"
