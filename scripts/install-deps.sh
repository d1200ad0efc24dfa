#!/usr/bin/env bash
# Installs the Debian 12 packages vtpmd needs to build, run and test; only what is
# missing, so a second run returns in a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libssl-dev openssl libboost1.81-dev libboost-json1.81-dev libsqlite3-dev sqlite3 libgoogle-perftools-dev
  libtss2-dev tpm2-tools swtpm swtpm-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  nginx curl python3 python3-jsonschema ca-certificates hyperfine bc qemu-system-x86 seabios util-linux
  nodejs
)
# npm is installed by scripts/node-deps.sh (below), which looks for the command:
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx is only a benchmark reference; the package's own service must not hold port 80.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
fi
bash "$(dirname "$0")/node-deps.sh"
