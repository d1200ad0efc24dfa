#!/usr/bin/env bash
# README command two (and CI): install what is missing, then build and run the whole
# suite twice: a normal build and a clang ASan+UBSan build, whose libFuzzer targets
# then run briefly on their corpora.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

passed=0
failed=0
run_suite() {
  local dir=$1 log
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure --timeout 600 -j2 2>&1 | tee "$log"
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

status=0
echo "== release build"
if bash scripts/build.sh release; then run_suite build; else status=1; fi
echo "== sanitizer build (ASan+UBSan)"
if bash scripts/build.sh sanitize; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-sanitize
  echo "== fuzzers"
  bash scripts/run-fuzzers.sh build-sanitize "${VTPMD_FUZZ_SECONDS:-10}" || status=1
else
  status=1
fi

[ "$failed" -eq 0 ] || status=1
echo "tests: $passed passed, $failed failed"
exit $status
