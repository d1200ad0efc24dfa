#!/usr/bin/env bash
# Runs every libFuzzer target of a -DVTPMD_FUZZ=ON build for a while on a scratch
# copy of its seed corpus (the repository's corpus is never written), and fails if
# any target finds a crash, leak or timeout.
#
#   scripts/run-fuzzers.sh BUILD_DIR [SECONDS_PER_TARGET]   (default 10 seconds)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS_PER_TARGET]" >&2
  exit 2
fi
build_dir=$1
seconds=${2:-10}
repo_dir=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$build_dir/tests/fuzz
corpus_root=$repo_dir/tests/fuzz/corpus

shopt -s nullglob
targets=("$fuzz_dir"/fuzz_*)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz_* binaries in $fuzz_dir (configure with -DVTPMD_FUZZ=ON and build them)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()
for target in "${targets[@]}"; do
  [[ -x $target && -f $target ]] || continue
  name=$(basename "$target")
  name=${name#fuzz_}
  corpus=$work/corpus/$name
  artifacts=$work/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  if [[ -d $corpus_root/$name ]]; then
    cp -r "$corpus_root/$name/." "$corpus/"
  else
    echo "warning: no seed corpus for $name" >&2
  fi
  echo "== fuzz_$name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" >"$work/$name.log" 2>&1; then
    echo "!! fuzz_$name failed; last lines of its log:" >&2
    tail -n 40 "$work/$name.log" >&2
    for artifact in "$artifacts"/*; do
      echo "!! reproducer (base64) $(basename "$artifact"): $(base64 -w0 "$artifact")" >&2
    done
    failed+=("$name")
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$name.log" || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzers failed: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzzers ran clean"
