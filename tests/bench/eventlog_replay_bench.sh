#!/usr/bin/env bash
# Event-log replays per second (issue 5) on the real logs of tests/data/eventlogs,
# in one run on this machine:
#   1. vtpmd in process: vtpmd_eventlog_replay_bench (each iteration one log parsed
#      from its bytes and replayed into PCR values; per log, all logs in turn, and
#      the parse and the replay alone; medians of 3);
#   2. the reference: `tpm2_eventlog FILE >/dev/null`, one process per run, RUNS runs
#      per log, logs/s = RUNS / wall time; and its process start alone
#      (`tpm2_eventlog --version`).
# and writes a markdown section to OUT.md.
#
# usage: tests/bench/eventlog_replay_bench.sh BUILD_DIR OUT.md [RUNS=50]
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
build=$(realpath "$1") out=$2 runs=${3:-50}
logs_dir=$(realpath "$(dirname "$0")/../data/eventlogs")
for tool in tpm2_eventlog python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done
bench="$build/tests/bench/vtpmd_eventlog_replay_bench"
[[ -x "$bench" ]] || { echo "build vtpmd_eventlog_replay_bench in $build first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. in process ---
echo "vtpmd_eventlog_replay_bench ..." >&2
"$bench" --eventlog_dir="$logs_dir" --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$work/inprocess.json" --benchmark_out_format=json >&2

# --- 2. the reference ---
echo "tpm2_eventlog ..." >&2
# Wall, user and system seconds of RUNS runs of a command, into a file. The CPU
# seconds matter as much as the wall time: on this shared machine, run under nice,
# a process per run waits for a core as often as it runs.
run_loop() {  # command...
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || { echo "$* failed" >&2; exit 1; }; done
}
timed_runs() {  # file, command...
  local file=$1 TIMEFORMAT='%3R %3U %3S'
  shift
  for _ in 1 2; do "$@" >/dev/null 2>&1; done  # warm the page cache and the loader
  { time run_loop "$@" 2>&4; } 4>&2 2>"$file"
}
for log in "$logs_dir"/*.bin; do
  name=$(basename "$log" .bin)
  timed_runs "$work/tpm2_eventlog-$name" tpm2_eventlog "$log"
  stat -c %s "$log" >"$work/size-$name"
done
timed_runs "$work/process-start" tpm2_eventlog --version
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the section ---
LOAD_BEFORE=$load_before LOAD_AFTER=$load_after CORES=$(nproc) RUNS=$runs \
TOOLS="$(tpm2_eventlog --version | sed -n 's/.*version="\([^"]*\)".*/\1/p')" \
REPRODUCE="tests/bench/eventlog_replay_bench.sh $1 $2 $runs" \
  python3 - "$work" "$out" <<'PY'
import glob, json, os, sys
work, out = sys.argv[1:3]
env = os.environ
runs_per_log = int(env['RUNS'])

results = {b['run_name']: b for b in json.load(open(f'{work}/inprocess.json'))['benchmarks']
           if b.get('aggregate_name') == 'median'}
def rate(name): return results[name]['items_per_second']
def us(name): return 1e6 / rate(name)
names = sorted(os.path.basename(p)[len('tpm2_eventlog-'):] for p in glob.glob(f'{work}/tpm2_eventlog-*'))
def seconds(path):  # (wall, CPU) from `wall user system`
    wall, user, system = (float(x) for x in open(path).read().split())
    return wall, user + system
reference_seconds = {name: seconds(f'{work}/tpm2_eventlog-{name}') for name in names}
# logs/s per CPU second and per wall second
reference = {name: (runs_per_log / cpu, runs_per_log / wall) for name, (wall, cpu) in reference_seconds.items()}
reference_all = (runs_per_log * len(names) / sum(cpu for _, cpu in reference_seconds.values()),
                 runs_per_log * len(names) / sum(wall for wall, _ in reference_seconds.values()))
process_start = tuple(runs_per_log / x for x in reversed(seconds(f'{work}/process-start')))

def n(x): return f'{x:,.0f}'.replace(',', ' ')
lines = []
w = lines.append
w('Reproduce (after building vtpmd_eventlog_replay_bench):')
w('')
w('```')
w(env['REPRODUCE'])
w('```')
w('')
w('| log | bytes | events | banks | vtpmd parse + replay (logs/s, 1 core) | `tpm2_eventlog` (logs/s, process per log): per CPU second (wall) | vtpmd / tpm2_eventlog per CPU second | parse µs | replay µs |')
w('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for name in names:
    b = results[f'BM_ParseAndReplay/{name}']
    size = int(open(f'{work}/size-{name}').read())
    w(f'| {name} | {n(size)} | {b["events"]:.0f} | {b["banks"]:.0f} | **{n(rate(f"BM_ParseAndReplay/{name}"))}** | '
      f'{reference[name][0]:.1f} ({reference[name][1]:.1f}) | {rate(f"BM_ParseAndReplay/{name}") / reference[name][0]:,.0f}× | '
      f'{us(f"BM_ParseOnly/{name}"):.1f} | {us(f"BM_ReplayOnly/{name}"):.1f} |')
w(f'| **all {len(names)}, in turn** | | | | **{n(rate("BM_ParseAndReplayAll"))}** | {reference_all[0]:.1f} ({reference_all[1]:.1f}) | '
  f'{rate("BM_ParseAndReplayAll") / reference_all[0]:,.0f}× | | |')
w('')
w(f'`tpm2_eventlog --version` alone (process start, no log): {process_start[0]:.1f} per CPU second '
  f'({process_start[1]:.1f}/s wall). vtpmd rates are per CPU second (Google Benchmark, medians of 3); '
  f'`tpm2_eventlog` (tpm2-tools {env["TOOLS"]}, its YAML to /dev/null) ran {runs_per_log} times per log, timed by '
  f'bash `time` (wall, and user + system CPU of the processes). Load average (1, 5, 15 min): {env["LOAD_BEFORE"]} before, '
  f'{env["LOAD_AFTER"]} after; {env["CORES"]} cores.')
open(out, 'w').write('\n'.join(lines) + '\n')
PY
cat "$out"
