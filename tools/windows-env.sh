# Sourced by tools/test-windows*.sh: Wine and mingw-w64 installed (apt-get, when missing), the Wine
# prefix made, and Go's ProcessPrng shim in it. Sets $wine, $go, $WINEPREFIX, WINEDEBUG and $work.
#
# Wine 8.0 lacks ProcessPrng in bcryptprimitives.dll, which Go >= 1.22 calls at start-up
# ("fatal error: bcryptprimitives.dll not found"): a small DLL that implements it on top of
# advapi32's SystemFunction036 (RtlGenRandom) is built and put into the Wine prefix first.

if ! [ -x /usr/lib/wine/wine64 ] && ! command -v wine64 >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends wine64 mingw-w64
fi
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
go=$(command -v go || echo /usr/local/go/bin/go)

export WINEPREFIX="${WINEPREFIX:-$HOME/.wine-node-libsharedmemory}"
export WINEDEBUG="${WINEDEBUG:--all}"
work="${TMPDIR:-/tmp}/lsm-windows-go"
mkdir -p "$work"

if ! [ -d "$WINEPREFIX/drive_c/windows/system32" ]; then
	"$wine" wineboot --init >/dev/null 2>&1 || true
	"$(dirname "$wine")/wineserver" -w 2>/dev/null || true
fi

# The ProcessPrng shim, built once per prefix.
if ! [ -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] ||
	! grep -q ProcessPrng "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"; then
	cat >"$work/prng.c" <<'C'
#include <windows.h>
/* RtlGenRandom, exported by advapi32 as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
	while (length > 0) {
		ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
		if (!SystemFunction036(data, chunk)) return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
C
	x86_64-w64-mingw32-gcc -shared -O2 -o "$work/bcryptprimitives.dll" "$work/prng.c" -ladvapi32
	cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
fi
