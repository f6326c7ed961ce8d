package main

// The stream exports (goshm.h "streams"): a goshm.Stream per handle, plus the C state of its fast
// path.

/*
#include <stdlib.h>
#include "goshm.h"
*/
import "C"

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var streams handleTable[stream]

// stream is an open stream and the C state of its fast path (goshm.h lsm_fast, fast.c), which the
// caller may use until it closes the stream. The struct is C memory, so C may keep its address;
// the stream's reader state lives in it, shared by the fast path and the engine.
type stream struct {
	*goshm.Stream
	fast *C.lsm_fast
}

func newFast(s *goshm.Stream, readOnly bool) *C.lsm_fast {
	f := (*C.lsm_fast)(C.calloc(1, C.size_t(unsafe.Sizeof(C.lsm_fast{}))))
	if f == nil {
		return nil
	}
	f.base = (*C.uint8_t)(s.Segment().Base())
	f.size = C.uint64_t(s.Segment().Size())
	f.layout = C.int32_t(s.Layout())
	f.tag = C.uint32_t(goshm.LockTag())
	if readOnly {
		f.read_only = 1
	}
	s.ShareReaderState((*goshm.ReaderState)(unsafe.Pointer(&f.seen)))
	return f
}

// followed brings the fast-path state to the segment the stream maps now, after an engine call that
// may have moved it to a new one (goshm Stream.EnableReattach). The fast path runs on the thread
// that made the call, so nothing reads these fields meanwhile.
func (s *stream) followed() {
	if f := s.fast; f != nil && f.check_ns != 0 {
		f.base = (*C.uint8_t)(s.Segment().Base())
		f.size = C.uint64_t(s.Segment().Size())
	}
}

// close closes the stream and frees its fast-path state; the caller has stopped using it.
func (s *stream) close() error {
	if s.fast != nil {
		s.ShareReaderState(nil)
		s.ShareReattachState(nil)
		C.free(unsafe.Pointer(s.fast))
		s.fast = nil
	}
	return s.Stream.Close()
}

//export lsm_stream_open
func lsm_stream_open(name *C.char, nameLen C.size_t, size C.uint64_t, flags C.uint32_t, layout C.int32_t,
	mode C.uint32_t, lockTimeoutMs C.uint32_t, out *C.lsm_handle, mapped *C.uint64_t, fast **C.lsm_fast,
	e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		o, err := openOptions(size, flags, mode)
		if err != nil {
			return 0, err
		}
		so := goshm.StreamOptions{Layout: goshm.Layout(layout), LockTimeout: time.Duration(lockTimeoutMs) * time.Millisecond,
			Reset: flags&C.LSM_OPEN_RESET != 0}
		s, err := goshm.OpenStream(goName(name, nameLen), o, so)
		if err != nil {
			return 0, err
		}
		st := &stream{Stream: s}
		if fast != nil {
			// The caller keeps the reader state there too (goshm.h), so it must exist.
			if st.fast = newFast(s, o.ReadOnly); st.fast == nil {
				s.Close()
				return 0, &goshm.Error{Kind: goshm.KindOS, Errno: syscall.ENOMEM, Syscall: "malloc",
					Msg: "not enough memory for the state of a shared memory stream"}
			}
		}
		h, err := register(&streams, st, st.close, "shared memory streams")
		if err != nil {
			return 0, err
		}
		*out = C.lsm_handle(h)
		*mapped = C.uint64_t(s.Segment().Size())
		if fast != nil {
			*fast = st.fast
		}
		return 0, nil
	})
}

//export lsm_stream_close
func lsm_stream_close(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return closeHandle(&streams, h, e, (*stream).close)
}

//export lsm_stream_write
func lsm_stream_write(h C.lsm_handle, typ C.uint32_t, data unsafe.Pointer, n C.size_t, e *C.lsm_error) C.int32_t {
	return call(&streams, h, e, func(s *stream) (C.int32_t, error) {
		return ok(s.Write(uint8(typ), bytesOf(data, n)))
	})
}

//export lsm_stream_read
func lsm_stream_read(h C.lsm_handle, typ C.uint32_t, dst unsafe.Pointer, capacity C.size_t, unit C.uint32_t,
	flags *C.uint32_t, e *C.lsm_error) C.int64_t {
	return call(&streams, h, e, func(s *stream) (C.int64_t, error) {
		n, f, err := s.ReadWhole(uint8(typ), bytesOf(dst, capacity), int(unit))
		s.followed()
		*flags = C.uint32_t(f)
		return C.int64_t(n), err
	})
}

//export lsm_stream_flags
func lsm_stream_flags(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return call(&streams, h, e, func(s *stream) (C.int32_t, error) {
		f, err := s.Flags()
		s.followed()
		return C.int32_t(f), err
	})
}

//export lsm_stream_query
func lsm_stream_query(h C.lsm_handle, query C.int32_t, e *C.lsm_error) C.int64_t {
	return call(&streams, h, e, func(s *stream) (C.int64_t, error) {
		var v uint32
		var b bool
		var err error
		switch query {
		case C.LSM_QUERY_REVISION:
			v, err = s.Revision()
		case C.LSM_QUERY_ACK:
			v, err = s.Ack()
		case C.LSM_QUERY_HAS_NEW_DATA:
			b, err = s.HasNewData()
		case C.LSM_QUERY_MARK_AS_READ:
			err = s.MarkAsRead()
		case C.LSM_QUERY_IS_MESSAGE_READ:
			b, err = s.IsMessageRead()
		case C.LSM_QUERY_SEEN:
			v = s.Seen()
		case C.LSM_QUERY_LOCK_BROKEN:
			v = s.StaleLockBroken()
		default:
			err = &goshm.Error{Kind: goshm.KindArg, Msg: fmt.Sprintf("unknown query %d", int(query))}
		}
		s.followed()
		if b {
			v = 1
		}
		return C.int64_t(v), err
	})
}

//export lsm_stream_break_lock
func lsm_stream_break_lock(h C.lsm_handle, force C.int32_t, e *C.lsm_error) C.int64_t {
	return call(&streams, h, e, func(s *stream) (C.int64_t, error) {
		holder, err := s.BreakLock(force != 0)
		return C.int64_t(holder), err
	})
}

//export lsm_stream_stale_lock
func lsm_stream_stale_lock(h C.lsm_handle, staleMs C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&streams, h, e, func(s *stream) (C.int32_t, error) {
		s.SetStaleLockTimeout(time.Duration(staleMs) * time.Millisecond)
		return 0, nil
	})
}

//export lsm_stream_reattach
func lsm_stream_reattach(h C.lsm_handle, pollMs C.uint32_t, size C.uint64_t, e *C.lsm_error) C.int32_t {
	return call(&streams, h, e, func(s *stream) (C.int32_t, error) {
		poll := time.Duration(pollMs) * time.Millisecond
		if poll <= 0 {
			poll = goshm.DefaultPollInterval
		}
		s.EnableReattach(poll, int64(size))
		if s.fast != nil && s.Follows() {
			s.ShareReattachState((*goshm.ReattachState)(unsafe.Pointer(&s.fast.reattach_due)))
			s.fast.checked_at = C.lsm_fast_now_ns()
			s.fast.check_ns = C.uint64_t(poll.Nanoseconds())
		}
		return 0, nil
	})
}
