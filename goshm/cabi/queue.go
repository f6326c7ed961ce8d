package main

// The queue exports (goshm.h "queues"): a goshm.Queue per handle.

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
	layout C.int32_t, mode C.uint32_t, lockTimeoutMs C.uint32_t, out *C.lsm_handle, info *C.lsm_queue_info,
	e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		o, err := openOptions(0, flags, mode) // the engine sizes a queue from its capacity
		if err != nil {
			return 0, err
		}
		qo := goshm.QueueOptions{
			Layout: goshm.Layout(layout), Capacity: int(capacity), MaxMessageSize: int(maxMessage),
			LockTimeout: time.Duration(lockTimeoutMs) * time.Millisecond,
		}
		q, err := goshm.OpenQueue(goName(name, nameLen), o, qo)
		if err != nil {
			return 0, err
		}
		h, err := register(&queues, q, q.Close, "queues")
		if err != nil {
			return 0, err
		}
		*out = C.lsm_handle(h)
		describe(q, info)
		return 0, nil
	})
}

//export lsm_queue_close
func lsm_queue_close(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return closeHandle(&queues, h, e, (*goshm.Queue).Close)
}

//export lsm_queue_enqueue
func lsm_queue_enqueue(h C.lsm_handle, data unsafe.Pointer, n C.size_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		added, err := q.Enqueue(bytesOf(data, n))
		if added {
			return 1, err
		}
		return 0, err
	})
}

//export lsm_queue_take
func lsm_queue_take(h C.lsm_handle, dst unsafe.Pointer, capacity C.size_t, peek C.int32_t, e *C.lsm_error) C.int64_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int64_t, error) {
		take := q.Dequeue
		if peek != 0 {
			take = q.Peek
		}
		n, found, err := take(bytesOf(dst, capacity))
		if err == nil && !found {
			return C.LSM_QUEUE_EMPTY, nil
		}
		return C.int64_t(n), err
	})
}

//export lsm_queue_len
func lsm_queue_len(h C.lsm_handle, e *C.lsm_error) C.int64_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int64_t, error) {
		n, err := q.Len()
		return C.int64_t(n), err
	})
}

//export lsm_queue_break_lock
func lsm_queue_break_lock(h C.lsm_handle, which C.uint32_t, force C.int32_t, broken *C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		p, c, err := q.BreakLock(int(which), force != 0)
		out := unsafe.Slice(broken, 2)
		out[0], out[1] = C.uint32_t(p), C.uint32_t(c)
		return 0, err
	})
}

//export lsm_queue_stale_lock
func lsm_queue_stale_lock(h C.lsm_handle, staleMs C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		q.SetStaleLockTimeout(time.Duration(staleMs) * time.Millisecond)
		return 0, nil
	})
}

func describe(q *goshm.Queue, info *C.lsm_queue_info) {
	info.capacity = C.uint32_t(q.Capacity())
	info.max_message_size = C.uint32_t(q.MaxMessageSize())
	info.size = C.uint64_t(q.Segment().Size())
}

//export lsm_queue_reattach
func lsm_queue_reattach(h C.lsm_handle, pollMs C.uint32_t, flags C.uint32_t, state *C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		q.EnableReattach(time.Duration(pollMs)*time.Millisecond, flags&C.LSM_OPEN_ALLOW_FOREIGN != 0)
		if q.Follows() && state != nil {
			q.ShareReattachState((*goshm.ReattachState)(unsafe.Pointer(state)))
		}
		return 0, nil
	})
}

//export lsm_queue_lock_broken
func lsm_queue_lock_broken(h C.lsm_handle, broken *C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		p, c := q.StaleLockBroken()
		out := unsafe.Slice(broken, 2)
		out[0], out[1] = C.uint32_t(p), C.uint32_t(c)
		return 0, nil
	})
}

//export lsm_queue_describe
func lsm_queue_describe(h C.lsm_handle, info *C.lsm_queue_info, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		describe(q, info)
		return 0, nil
	})
}
