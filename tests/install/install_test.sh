#!/usr/bin/env bash
# `cmake --install` into a temp prefix, then a project outside the tree builds the client
# example against it with find_package(Hallmark CONFIG) and runs it (it must start and refuse
# a missing server cleanly); and the .deb holds the binaries, the unit and the client package.
#   tests/install/install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# On any failure, show what the failing step wrote.
trap 'echo "failed at line $LINENO" >&2; tail -n 30 "$tmp"/*.log >&2 2>/dev/null' ERR
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
for f in bin/hallmark-server bin/hallmarkctl include/hallmark/client/hallmark_client.h \
         include/hallmark/hallmark/v1/verification.grpc.pb.h \
         lib/cmake/Hallmark/HallmarkConfig.cmake share/hallmark/proto/hallmark/v1/verification.proto \
         lib/systemd/system/hallmark-server.service; do
  [ -e "$tmp/prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
grep -q "ExecStart=$tmp/prefix/bin/hallmark-server" "$tmp/prefix/lib/systemd/system/hallmark-server.service" ||
  { echo "the unit does not start the installed binary" >&2; exit 1; }
cmake -S "$src/tests/install" -B "$tmp/partner" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DHALLMARK_EXAMPLE="$src/client/examples/retail_check.cc" >"$tmp/configure.log"
cmake --build "$tmp/partner" -j2 >"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }
# No server there: the example must say so and fail, not crash.
set +e
HALLMARK_ADDR="unix:$tmp/no-server.sock" "$tmp/partner/retail_check" </dev/null >"$tmp/run.log" 2>&1
rc=$?
set -e
[ $rc -lt 128 ] || { echo "retail_check crashed ($rc)" >&2; cat "$tmp/run.log" >&2; exit 1; }
[ -e "$tmp/prefix/etc/hallmark/hallmark.env" ] || { echo "not installed: etc/hallmark/hallmark.env" >&2; exit 1; }
# The .deb: the service under /usr, its settings under /etc, the unit, its library dependencies.
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" >"$tmp/cpack.log") ||
  { cat "$tmp/cpack.log" >&2; exit 1; }
deb=$(ls "$tmp"/hallmark_*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/hallmark-server ./usr/bin/hallmarkctl ./etc/hallmark/hallmark.env \
         ./usr/lib/systemd/system/hallmark-server.service ./usr/lib/cmake/Hallmark/HallmarkConfig.cmake; do
  grep -q " $f\$" <<<"$contents" || { echo "not in the .deb: $f" >&2; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
grep -q libgrpc++ <<<"$depends" || { echo ".deb without its dependencies" >&2; exit 1; }
# Listed first, then searched: `grep -q` quitting early would SIGPIPE tar and fail the pipeline.
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
grep -q postinst <<<"$control" || { echo ".deb without postinst" >&2; exit 1; }
echo "installed, linked and packaged: ok"
