// The fault guard: another process may truncate or remove a segment while we have it mapped, and
// the next access must then fail with an error rather than kill the host process with SIGBUS.
package goshm

import (
	"runtime"
	"runtime/debug"
)

// recoverFault is deferred, with the result of debug.SetPanicOnFault(true) as old, by every
// function that touches a mapping. Panic-on-fault turns a SIGBUS or SIGSEGV on the mapping into
// a panic in that goroutine, which lands here and becomes a KindFault error in *err; old is put
// back because the setting belongs to the goroutine, which may be the caller's.
func recoverFault(name string, err *error, old bool) {
	debug.SetPanicOnFault(old)
	if r := recover(); r != nil {
		*err = panicError(name, r)
	}
}

// panicError turns a recovered panic into an Error: a memory fault is KindFault, anything else
// is an engine bug reported as KindInternal.
func panicError(name string, r any) error {
	if re, ok := r.(runtime.Error); ok {
		if _, isFault := re.(interface{ Addr() uintptr }); isFault {
			return newError(KindFault, name,
				"shared memory segment %q faulted on access (truncated or removed by another process?): %v", name, re)
		}
	}
	return newError(KindInternal, name, "internal error on shared memory segment %q: %v", name, r)
}
