# shellcheck shell=bash
# Debian bookworm packages Hallmark builds, tests and runs with. Sourced by tests/run.sh,
# deploy/quickstart.sh and bench scripts; installs only what is missing, so a warm machine
# spends no time here.

HALLMARK_BUILD_PACKAGES=(
  build-essential cmake pkg-config openssl
  libssl-dev libabsl-dev libcli11-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libhiredis-dev libevent-dev prometheus-cpp-dev
  libqrencode-dev libdmtx-dev libpng-dev zbar-tools dmtx-utils
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server curl libp11-kit-dev
)
HALLMARK_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# The tests' browser and HTML checker: headless Chromium over the consumer page
# (tests/server/web/browser_test.cc), HTML Tidy for its validity (page_test.cc); SoftHSM2 as
# the PKCS#11 token of tests/crypto/pkcs11_token_test.cc.
HALLMARK_TEST_PACKAGES=(chromium tidy softhsm2)
# bench/run.sh's independent HTTP load generators.
HALLMARK_BENCH_PACKAGES=(wrk nghttp2-client)

# hallmark_missing_packages PKG... : prints the packages that are not installed.
hallmark_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# hallmark_ensure_packages PKG... : apt-get installs the missing ones (non-interactive).
hallmark_ensure_packages() {
  local missing
  missing=$(hallmark_missing_packages "$@")
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing missing packages: $(echo $missing | tr '\n' ' ')" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null; then
    $sudo apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
  fi
}
