#!/usr/bin/env bash
# Quickstart: installs what is missing, builds Release, creates a dev signing key under ./var
# (if none exists) and shows a signed unit code with hallmarkctl. Safe to re-run.
#   ./deploy/quickstart.sh        build + demo
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/packages.sh
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}"

build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hallmarkctl
ctl="$build/client/hallmarkctl"

mkdir -p var
if [ ! -f var/keys/keys.manifest ] || ! grep -q ACTIVE var/keys/keys.manifest; then
  "$ctl" keys generate --keys_dir var/keys
fi
"$ctl" keys list --keys_dir var/keys
echo
echo "A signed unit code (GTIN 09506000134352, serial DEMO0001, lot L42):"
"$ctl" code sign --keys_dir var/keys --gtin 09506000134352 --serial DEMO0001 --lot L42 \
  --host id.example.com
