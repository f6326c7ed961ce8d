package main

/*
#include "goshm.h"
*/
import "C"

import (
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var queues handleTable[goshm.Queue]

//export lsm_queue_open
func lsm_queue_open(name *C.char, nameLen C.size_t, capacity C.uint32_t, maxMessage C.uint32_t, flags C.uint32_t,
	layout C.int32_t, mode C.uint32_t, lockTimeoutMs C.uint32_t, out *C.uint32_t, info *C.lsm_queue_info,
	e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	o, err := openOptions(0, flags, mode) // the engine sizes a queue from its capacity
	if err != nil {
		return fail(e, err)
	}
	qo := goshm.QueueOptions{
		Layout: goshm.Layout(layout), Capacity: int(capacity), MaxMessageSize: int(maxMessage),
		LockTimeout: time.Duration(lockTimeoutMs) * time.Millisecond,
	}
	q, err := goshm.OpenQueue(C.GoStringN(name, C.int(nameLen)), o, qo)
	if err != nil {
		return fail(e, err)
	}
	h := queues.add(q)
	if h == 0 {
		q.Close()
		return fail(e, &goshm.Error{Kind: goshm.KindInternal, Msg: "too many open queues"})
	}
	*out = C.uint32_t(h)
	info.capacity = C.uint32_t(q.Capacity())
	info.max_message_size = C.uint32_t(q.MaxMessageSize())
	info.size = C.uint64_t(q.Segment().Size())
	return 0
}

//export lsm_queue_close
func lsm_queue_close(h C.uint32_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	q := queues.remove(uint32(h))
	if q == nil {
		return 0
	}
	if err := q.Close(); err != nil {
		return fail(e, err)
	}
	return 0
}

//export lsm_queue_enqueue
func lsm_queue_enqueue(h C.uint32_t, data unsafe.Pointer, n C.size_t, e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	q := queues.get(uint32(h))
	if q == nil {
		return fail(e, staleHandle())
	}
	ok, err := q.Enqueue(bytesOf(data, n))
	if err != nil {
		return fail(e, err)
	}
	if !ok {
		return 0
	}
	return 1
}

//export lsm_queue_take
func lsm_queue_take(h C.uint32_t, dst unsafe.Pointer, capacity C.size_t, peek C.int32_t, e *C.lsm_error) (rc C.int64_t) {
	defer catch64(e, &rc)
	q := queues.get(uint32(h))
	if q == nil {
		return C.int64_t(fail(e, staleHandle()))
	}
	var n int
	var ok bool
	var err error
	if peek != 0 {
		n, ok, err = q.Peek(bytesOf(dst, capacity))
	} else {
		n, ok, err = q.Dequeue(bytesOf(dst, capacity))
	}
	if err != nil {
		return C.int64_t(fail(e, err))
	}
	if !ok {
		return C.LSM_QUEUE_EMPTY
	}
	return C.int64_t(n)
}

//export lsm_queue_len
func lsm_queue_len(h C.uint32_t, e *C.lsm_error) (rc C.int64_t) {
	defer catch64(e, &rc)
	q := queues.get(uint32(h))
	if q == nil {
		return C.int64_t(fail(e, staleHandle()))
	}
	n, err := q.Len()
	if err != nil {
		return C.int64_t(fail(e, err))
	}
	return C.int64_t(n)
}

//export lsm_queue_watch_start
func lsm_queue_watch_start(h C.uint32_t, pollMs C.uint32_t, fn C.lsm_notify_fn, ctx unsafe.Pointer, out *C.uint32_t,
	e *C.lsm_error) (rc C.int32_t) {
	defer catch(e, &rc)
	q := queues.get(uint32(h))
	if q == nil {
		return fail(e, staleHandle())
	}
	w, err := q.Watch(time.Duration(pollMs)*time.Millisecond, notifier(fn, ctx))
	return addWatcher(w, err, out, e)
}
