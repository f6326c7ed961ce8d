#!/bin/sh
# Cross-builds the Windows (x64) module from Linux: the Go engine as goshm.dll and the N-API addon
# node_libsharedmemory.node beside it, in build/win32-x64/ (where lib/native.js looks on Windows).
# Installs mingw-w64 when missing (apt-get); node-api-headers comes from the project's
# devDependencies (npm ci). Safe to run again: each step reruns only when its inputs changed.
#
#   tools/build-windows.sh            (npm run build:windows)
#
# How the pieces find each other: the addon imports the Node-API functions from "node.exe" (an import
# library made by dlltool from node-api-headers' .def files, as node-gyp does for MSVC with
# node.lib) and goshm.dll by name. Node loads an addon with LoadLibraryExW(path,
# LOAD_WITH_ALTERED_SEARCH_PATH), under which Windows looks for the addon's own imports in the
# addon's folder first: so goshm.dll beside the .node is found wherever the process runs. -static
# links libstdc++, libgcc and winpthreads in, so no mingw runtime DLL has to travel with them.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-dlltool >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends mingw-w64
fi
go=$(command -v go || echo /usr/local/go/bin/go)
headers=$(node -p "require('path').dirname(require.resolve('node-api-headers/package.json'))")
addon_api=$(node -p "require('node-addon-api').include_dir")

out="$root/build/win32-x64"
obj="$out/obj"
mkdir -p "$obj"

# Rebuilds $1 when it is missing or older than any file found by the find(1) arguments that follow.
stale() {
	target=$1
	shift
	[ ! -e "$target" ] || [ -n "$(find "$@" -newer "$target" -print -quit)" ]
}

# 1. The Go engine. The C fast path is compiled in but off on Windows: its fault guard is POSIX
# signals, and without a guard fast_ready() answers 0, so every call takes the engine's way.
if stale "$out/goshm.dll" goshm go.mod go.sum; then
	echo "build-windows: goshm.dll"
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		"$go" build -buildmode=c-shared -trimpath -ldflags "-s -w" -o "$out/goshm.dll" ./goshm/cabi
	rm -f "$out/goshm.h" # the generated header; the addon uses goshm/cabi/goshm.h
fi

# 2. The import library for node.exe (what node.lib is to MSVC).
if stale "$obj/libnode.a" "$headers/def"; then
	echo "build-windows: libnode.a"
	cat "$headers/def/node_api.def" >"$obj/node.def"
	# Both files start with a NAME/EXPORTS header; keep one.
	grep -v -e '^NAME' -e '^EXPORTS' "$headers/def/js_native_api.def" >>"$obj/node.def"
	x86_64-w64-mingw32-dlltool -d "$obj/node.def" -D node.exe -l "$obj/libnode.a"
fi

# 3. The addon: the sources binding.gyp lists, the same defines.
sources=$(node -e "
  const gyp = JSON.parse(require('fs').readFileSync('binding.gyp', 'utf8').replace(/^\s*#.*$/gm, ''));
  console.log(gyp.targets.find((t) => t.target_name === 'node_libsharedmemory').sources.join(' '));")
objects=""
for src in $sources; do
	o="$obj/$(echo "$src" | tr / _).o"
	objects="$objects $o"
	if stale "$o" "$src" src goshm/cabi/goshm.h tools/build-windows.sh; then
		echo "build-windows: $src"
		x86_64-w64-mingw32-g++-posix -std=c++17 -O2 -c "$src" -o "$o" \
			-I "$headers/include" -I "$addon_api" -I goshm/cabi \
			-DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
			-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DBUILDING_NODE_EXTENSION \
			-DNODE_GYP_MODULE_NAME=node_libsharedmemory
	fi
done
# shellcheck disable=SC2086
if stale "$out/node_libsharedmemory.node" $objects "$out/goshm.dll" "$obj/libnode.a"; then
	echo "build-windows: node_libsharedmemory.node"
	# shellcheck disable=SC2086
	x86_64-w64-mingw32-g++-posix -shared -static -s -o "$out/node_libsharedmemory.node" $objects \
		"$out/goshm.dll" "$obj/libnode.a"
fi
echo "build-windows: $out/node_libsharedmemory.node + goshm.dll"
