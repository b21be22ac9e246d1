#!/usr/bin/env bash
# Refreshes docs/img/genuine.png and docs/img/counterfeit.png: the consumer page of a genuine
# and of a counterfeit unit, as headless Chromium renders them on a phone-sized window. They
# are taken by the browser test (tests/server/web/browser_test.cc) against a real server.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/packages.sh
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}" "${HALLMARK_TEST_PACKAGES[@]}"
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target server_web_browser_test hallmark-server
HALLMARK_SCREENSHOT_DIR="$PWD/docs/img" GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS=50 \
  "$build/tests/server/web/server_web_browser_test" --gtest_filter='*EachVerdict*'
ls -l docs/img/genuine.png docs/img/counterfeit.png
