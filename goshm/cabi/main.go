// Command cabi is built with -buildmode=c-shared into libgoshm, the library the Node.js addon
// links. It holds only the //export functions of the C ABI (goshm.h), the handle tables that
// stand between C's integers and Go's objects, and the stream fast path (fast.c). Every export has
// one shape: resolve the handle, call the engine, translate the error; guarded() and call() are
// that shape, with the recover that keeps a Go panic from ever crossing into C.
package main

/*
#include "goshm.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

func main() {}

// goshm.h promises callers the handle table's index and generation bits (each line fails to
// compile unless the two agree).
const (
	_ = uint(indexBits-C.LSM_HANDLE_INDEX_BITS) + uint(C.LSM_HANDLE_INDEX_BITS-indexBits)
	_ = uint(genBits-C.LSM_HANDLE_GENERATION_BITS) + uint(C.LSM_HANDLE_GENERATION_BITS-genBits)
)

// result is what an export returns: a status (0 or -1) or a count (>= 0 or -1).
type result interface{ ~int32 | ~int64 }

// guarded runs f for an export: its error fills e and becomes -1, and so does a panic (see
// recoverExport).
func guarded[R result](e *C.lsm_error, f func() (R, error)) (rc R) {
	defer recoverExport(e, &rc)
	v, err := f()
	if err != nil {
		return R(fail(e, err))
	}
	return v
}

// call is guarded for the exports that take a handle: a handle that is not live (closed, or
// never valid) is an ERR_SHM_CLOSED error, never a crash. It is written out rather than built on
// guarded: the streams' slow paths pass here, and a second closure costs them.
func call[T any, R result](t *handleTable[T], h C.lsm_handle, e *C.lsm_error, f func(*T) (R, error)) (rc R) {
	defer recoverExport(e, &rc)
	v := t.get(uint64(h))
	if v == nil {
		return R(fail(e, errClosedHandle))
	}
	r, err := f(v)
	if err != nil {
		return R(fail(e, err))
	}
	return r
}

var errClosedHandle = &goshm.Error{Kind: goshm.KindClosed, Msg: "shared memory handle is closed"}

// recoverExport is deferred by every export: a Go panic becomes an internal error and a -1 result
// instead of killing the host.
func recoverExport[R result](e *C.lsm_error, rc *R) {
	if r := recover(); r != nil {
		*rc = R(fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: fmt.Sprintf("internal error: %v", r)}))
	}
}

// ok adapts an operation that returns only an error to call's shape.
func ok(err error) (C.int32_t, error) { return 0, err }

// fail fills e from err and returns -1.
func fail(e *C.lsm_error, err error) C.int32_t {
	ge, isEngine := goshm.AsError(err)
	if !isEngine {
		ge = &goshm.Error{Kind: goshm.KindInternal, Msg: err.Error()}
	}
	e.kind = C.int32_t(ge.Kind)
	e.errnum = C.int32_t(ge.Errno)
	putString(unsafe.Pointer(&e.code[0]), len(e.code), ge.Code())
	putString(unsafe.Pointer(&e.syscall[0]), len(e.syscall), ge.Syscall)
	putString(unsafe.Pointer(&e.segment[0]), len(e.segment), ge.Segment)
	putString(unsafe.Pointer(&e.message[0]), len(e.message), ge.Msg)
	return -1
}

// putString copies s into a fixed C char array, truncated and NUL-terminated.
func putString(dst unsafe.Pointer, size int, s string) {
	b := unsafe.Slice((*byte)(dst), size)
	n := copy(b[:size-1], s)
	b[n] = 0
}

func bytesOf(p unsafe.Pointer, n C.size_t) []byte {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(p), int(n))
}

func goName(name *C.char, n C.size_t) string { return C.GoStringN(name, C.int(n)) }

// openOptions turns the C ABI's size, LSM_OPEN_* flags and mode into the engine's options.
func openOptions(size C.uint64_t, flags, mode C.uint32_t) (goshm.OpenOptions, error) {
	if size > 1<<62 {
		return goshm.OpenOptions{}, &goshm.Error{Kind: goshm.KindArg, Msg: "size too large"}
	}
	return goshm.OpenOptions{
		Size:     int64(size),
		Create:   flags&C.LSM_OPEN_CREATE != 0,
		Unlink:   flags&C.LSM_OPEN_UNLINK != 0,
		ReadOnly: flags&C.LSM_OPEN_READONLY != 0,
		Mode:     uint32(mode),

		AllowForeignOwner: flags&C.LSM_OPEN_ALLOW_FOREIGN != 0,
	}, nil
}

// register gives an object that has just been opened its handle, closing it again when the table
// is full.
func register[T any](t *handleTable[T], v *T, closeIt func() error, what string) (uint64, error) {
	h := t.add(v)
	if h == 0 {
		closeIt()
		return 0, &goshm.Error{Kind: goshm.KindInternal, Msg: "too many open " + what}
	}
	return h, nil
}

// closeHandle is the close export of a kind: it forgets the handle, then closes the object.
// Closing a handle twice (or one never valid) is not an error.
func closeHandle[T any](t *handleTable[T], h C.lsm_handle, e *C.lsm_error, closeIt func(*T) error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		if v := t.remove(uint64(h)); v != nil {
			return ok(closeIt(v))
		}
		return 0, nil
	})
}

//export lsm_unlink
func lsm_unlink(name *C.char, nameLen C.size_t, e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) { return ok(goshm.Unlink(goName(name, nameLen))) })
}
