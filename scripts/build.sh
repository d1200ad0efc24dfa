#!/usr/bin/env bash
# Configures and builds one flavour into its build directory.
#   scripts/build.sh release    -> build/          (gcc, RelWithDebInfo, tests and benchmarks)
#   scripts/build.sh sanitize   -> build-sanitize/ (clang, ASan+UBSan, libFuzzer targets)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
# Paths relative to the checkout in ccache's keys: a fresh clone elsewhere (as CI
# makes) still hits the cache of an earlier build.
export CCACHE_BASEDIR=$PWD
case "$flavour" in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build
    ;;
  sanitize)
    CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DVTPMD_SANITIZE=ON -DVTPMD_FUZZ=ON -DVTPMD_BENCH=OFF >/dev/null
    cmake --build build-sanitize
    ;;
  *) echo "usage: $0 release|sanitize" >&2; exit 2 ;;
esac
