// Command cabi is built with -buildmode=c-shared into libgoshm, the library the Node.js addon
// links. It holds only the //export functions of the C ABI (declared in goshm.h) and the handle
// table: each export looks up its handle, calls the engine and translates the error, and starts
// with a recover so that no Go panic ever crosses into C.
package main

/*
#include <stdlib.h>
#include "goshm.h"

static inline void lsm_call_notify(lsm_notify_fn fn, void* ctx, uint32_t value) { fn(ctx, value); }
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var (
	streams  handleTable[stream]
	watchers handleTable[goshm.Watcher]
	segments handleTable[goshm.Segment]
)

func main() {}

// goshm.h promises callers the handle table's index bits.
const _ = uint(indexBits-C.LSM_HANDLE_INDEX_BITS) + uint(C.LSM_HANDLE_INDEX_BITS-indexBits)

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

// close closes the stream and frees its fast-path state; the caller has stopped using it.
func (s *stream) close() error {
	if s.fast != nil {
		s.ShareReaderState(nil)
		C.free(unsafe.Pointer(s.fast))
		s.fast = nil
	}
	return s.Stream.Close()
}

// catch is deferred by every export: a panic becomes a KindInternal error and a -1 result.
func catch(e *C.lsm_error, rc *C.int32_t) {
	if r := recover(); r != nil {
		*rc = fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: fmt.Sprintf("internal error: %v", r)})
	}
}

func catch64(e *C.lsm_error, rc *C.int64_t) {
	if r := recover(); r != nil {
		*rc = C.int64_t(fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: fmt.Sprintf("internal error: %v", r)}))
	}
}

// fail fills e from err and returns -1.
func fail(e *C.lsm_error, err error) C.int32_t {
	ge, ok := err.(*goshm.Error)
	if !ok {
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
	}, nil
}

func staleHandle() error {
	return &goshm.Error{Kind: goshm.KindClosed, Msg: "shared memory handle is closed"}
}

//export lsm_stream_open
func lsm_stream_open(name *C.char, nameLen C.size_t, size C.uint64_t, flags C.uint32_t, layout C.int32_t,
	mode C.uint32_t, lockTimeoutMs C.uint32_t, out *C.uint32_t, fast **C.lsm_fast, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	o, err := openOptions(size, flags, mode)
	if err != nil {
		return fail(e, err)
	}
	so := goshm.StreamOptions{Layout: goshm.Layout(layout), LockTimeout: time.Duration(lockTimeoutMs) * time.Millisecond}
	s, err := goshm.OpenStream(C.GoStringN(name, C.int(nameLen)), o, so)
	if err != nil {
		return fail(e, err)
	}
	st := &stream{Stream: s}
	if fast != nil {
		st.fast = newFast(s, o.ReadOnly)
	}
	h := streams.add(st)
	if h == 0 {
		st.close()
		return fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: "too many open shared memory streams"})
	}
	*out = C.uint32_t(h)
	if fast != nil {
		*fast = st.fast // nil if it could not be allocated: the caller then always takes the slow path
	}
	return 0
}

//export lsm_stream_close
func lsm_stream_close(h C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	s := streams.remove(uint32(h))
	if s == nil {
		return 0 // closing twice is not an error
	}
	if err := s.close(); err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_stream_info_get
func lsm_stream_info_get(h C.uint32_t, info *C.lsm_stream_info, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return fail(e, staleHandle())
	}
	info.size = C.uint64_t(s.Segment().Size())
	info.layout = C.int32_t(s.Layout())
	info.created = 0
	if s.Segment().Created() {
		info.created = 1
	}
	return 0
}

//export lsm_stream_write
func lsm_stream_write(h C.uint32_t, typ C.uint32_t, data unsafe.Pointer, n C.size_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return fail(e, staleHandle())
	}
	if err := s.Write(uint8(typ), bytesOf(data, n)); err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_stream_read
func lsm_stream_read(h C.uint32_t, typ C.uint32_t, dst unsafe.Pointer, capacity C.size_t, flags *C.uint32_t,
	e *C.lsm_error) (rc C.int64_t) {
	defer catch64(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return C.int64_t(fail(e, staleHandle()))
	}
	n, f, err := s.Read(uint8(typ), bytesOf(dst, capacity))
	if err != nil {
		return C.int64_t(fail(e, err))
	}
	*flags = C.uint32_t(f)
	return C.int64_t(n)
}

//export lsm_stream_flags
func lsm_stream_flags(h C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return fail(e, staleHandle())
	}
	f, err := s.Flags()
	if err != nil {
		return fail(e, err)
	}
	return C.int32_t(f)
}

//export lsm_unlink
func lsm_unlink(name *C.char, nameLen C.size_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	if err := goshm.Unlink(C.GoStringN(name, C.int(nameLen))); err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_stream_query
func lsm_stream_query(h C.uint32_t, query C.int32_t, e *C.lsm_error) (rc C.int64_t) {
	defer catch64(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return C.int64_t(fail(e, staleHandle()))
	}
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
	default:
		err = &goshm.Error{Kind: goshm.KindArg, Msg: fmt.Sprintf("unknown query %d", int(query))}
	}
	if err != nil {
		return C.int64_t(fail(e, err))
	}
	if b {
		v = 1
	}
	return C.int64_t(v)
}

//export lsm_watch_start
func lsm_watch_start(h C.uint32_t, field C.int32_t, pollMs C.uint32_t, fn C.lsm_notify_fn, ctx unsafe.Pointer,
	out *C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	s := streams.get(uint32(h))
	if s == nil {
		return fail(e, staleHandle())
	}
	w, err := s.Watch(goshm.Field(field), time.Duration(pollMs)*time.Millisecond, notifier(fn, ctx))
	return addWatcher(w, err, out, e)
}

// notifier is the engine-side callback of a watch: it calls the addon's C function. ctx is C
// memory owned by the addon; it stays valid until lsm_watch_stop has returned.
func notifier(fn C.lsm_notify_fn, ctx unsafe.Pointer) func(uint32) {
	return func(v uint32) { C.lsm_call_notify(fn, ctx, C.uint32_t(v)) }
}

// addWatcher gives a watcher that has just started (or failed to) its handle.
func addWatcher(w *goshm.Watcher, err error, out *C.uint32_t, e *C.lsm_error) C.int32_t {
	if err != nil {
		return fail(e, err)
	}
	id := watchers.add(w)
	if id == 0 {
		w.Stop()
		return fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: "too many watchers"})
	}
	*out = C.uint32_t(id)
	return 0
}

//export lsm_watch_stop
func lsm_watch_stop(id C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	if w := watchers.remove(uint32(id)); w != nil {
		// A watcher that ended on a fault reports it here; it has stopped either way.
		w.Stop()
	}
	return 0
}

//export lsm_segment_open
func lsm_segment_open(name *C.char, nameLen C.size_t, size C.uint64_t, flags C.uint32_t, mode C.uint32_t,
	out *C.uint32_t, base *unsafe.Pointer, mapped *C.uint64_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	o, err := openOptions(size, flags, mode)
	if err != nil {
		return fail(e, err)
	}
	seg, err := goshm.Open(C.GoStringN(name, C.int(nameLen)), o)
	if err != nil {
		return fail(e, err)
	}
	h := segments.add(seg)
	if h == 0 {
		seg.Close()
		return fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: "too many open shared memory segments"})
	}
	*out = C.uint32_t(h)
	*base = seg.Base() // mmap memory, not Go memory: C may keep it until the last release
	*mapped = C.uint64_t(seg.Size())
	return 0
}

//export lsm_segment_retain
func lsm_segment_retain(h C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	seg := segments.get(uint32(h))
	if seg == nil {
		return fail(e, staleHandle())
	}
	seg.Retain()
	return 0
}

//export lsm_segment_release
func lsm_segment_release(h C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	seg := segments.get(uint32(h))
	if seg == nil {
		return 0
	}
	closed, err := seg.Release()
	if closed {
		segments.remove(uint32(h))
	}
	if err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_segment_read
func lsm_segment_read(h C.uint32_t, off C.uint64_t, dst unsafe.Pointer, n C.size_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	seg := segments.get(uint32(h))
	if seg == nil {
		return fail(e, staleHandle())
	}
	if err := seg.ReadAt(bytesOf(dst, n), int64(off)); err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_segment_write
func lsm_segment_write(h C.uint32_t, off C.uint64_t, src unsafe.Pointer, n C.size_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	seg := segments.get(uint32(h))
	if seg == nil {
		return fail(e, staleHandle())
	}
	if err := seg.WriteAt(bytesOf(src, n), int64(off)); err != nil {
		return fail(e, err)
	}
	return 0
}
