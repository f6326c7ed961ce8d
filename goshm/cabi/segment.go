package main

// The raw segment exports (goshm.h "raw segments"): a reference-counted goshm.Segment per handle.

/*
#include "goshm.h"
*/
import "C"

import (
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var segments handleTable[goshm.Segment]

//export lsm_segment_open
func lsm_segment_open(name *C.char, nameLen C.size_t, size C.uint64_t, flags C.uint32_t, mode C.uint32_t,
	out *C.lsm_handle, base *unsafe.Pointer, mapped *C.uint64_t, e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		o, err := openOptions(size, flags, mode)
		if err != nil {
			return 0, err
		}
		seg, err := goshm.Open(goName(name, nameLen), o)
		if err != nil {
			return 0, err
		}
		h, err := register(&segments, seg, seg.Close, "shared memory segments")
		if err != nil {
			return 0, err
		}
		*out = C.lsm_handle(h)
		*base = seg.Base() // mmap memory, not Go memory: C may keep it until the last release
		*mapped = C.uint64_t(seg.Size())
		return 0, nil
	})
}

//export lsm_segment_retain
func lsm_segment_retain(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return call(&segments, h, e, func(seg *goshm.Segment) (C.int32_t, error) {
		seg.Retain()
		return 0, nil
	})
}

//export lsm_segment_release
func lsm_segment_release(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		seg := segments.get(uint64(h))
		if seg == nil {
			return 0, nil // released already: not an error
		}
		closed, err := seg.Release()
		if closed {
			segments.remove(uint64(h))
		}
		return 0, err
	})
}

//export lsm_segment_read
func lsm_segment_read(h C.lsm_handle, off C.uint64_t, dst unsafe.Pointer, n C.size_t, e *C.lsm_error) C.int32_t {
	return call(&segments, h, e, func(seg *goshm.Segment) (C.int32_t, error) {
		return ok(seg.ReadAt(bytesOf(dst, n), int64(off)))
	})
}

//export lsm_segment_write
func lsm_segment_write(h C.lsm_handle, off C.uint64_t, src unsafe.Pointer, n C.size_t, e *C.lsm_error) C.int32_t {
	return call(&segments, h, e, func(seg *goshm.Segment) (C.int32_t, error) {
		return ok(seg.WriteAt(bytesOf(src, n), int64(off)))
	})
}
