#!/usr/bin/env bash
# Node and the npm packages of tests/node (jose for our JWTs, standardwebhooks for
# our webhook signatures: independent implementations to check ours against);
# only what is missing, so a second run is instant.
set -euo pipefail
cd "$(dirname "$0")/.."

# By command, not by Debian package: a NodeSource nodejs bundles npm and conflicts
# with Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing: nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

if [ ! -f tests/node/node_modules/jose/package.json ] || [ ! -f tests/node/node_modules/standardwebhooks/package.json ]; then
  echo "installing: tests/node/node_modules (npm ci)"
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
