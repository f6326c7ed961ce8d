#!/bin/sh
# Runs the Go engine's tests (go test ./goshm) as a Windows program under Wine, on a Debian-like
# Linux. Installs what it needs (wine64, mingw-w64) when missing; safe to run again.
#
#   tools/test-windows-go.sh [go test flags, e.g. -test.run TestWindows -test.v]
set -eu
cd "$(dirname "$0")/.."
. tools/windows-env.sh

GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$go" test -c -o "$work/goshm.test.exe" ./goshm
# In the package's folder, as go test runs it: the vector tests read ../test/fixtures.
cd goshm
exec "$wine" "$work/goshm.test.exe" "$@"
