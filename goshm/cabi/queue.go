package main

// The queue exports (goshm.h "queues"): a goshm.Queue per handle, plus the C state of its fast
// path (goshm.h "queue fast path", fast_queue.c).

/*
#include <stdlib.h>
#include "goshm.h"
*/
import "C"

import (
	"sync"
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var queues handleTable[goshm.Queue]

// The header offsets the fast path uses agree with the engine's (as consts.go checks the others).
var (
	_ = check[int64(goshm.QueueWriteIndex)-C.LSM_QUEUE_WRITE_INDEX]
	_ = check[int64(goshm.QueueReadIndex)-C.LSM_QUEUE_READ_INDEX]
	_ = check[int64(goshm.QueueCapacity)-C.LSM_QUEUE_CAPACITY]
	_ = check[int64(goshm.QueueCount)-C.LSM_QUEUE_COUNT]
	_ = check[int64(goshm.QueueMaxMessage)-C.LSM_QUEUE_MAX_MESSAGE]
	_ = check[int64(goshm.QueueProducerLock)-C.LSM_QUEUE_PRODUCER_LOCK]
	_ = check[int64(goshm.QueueConsumerLock)-C.LSM_QUEUE_CONSUMER_LOCK]
)

// queueFast maps each open queue to its fast-path state (*C.lsm_queue_fast): C memory, so the
// caller may keep its address until lsm_queue_close. Beside the handle table rather than in it, so
// that the table's callers keep their *goshm.Queue.
var queueFast sync.Map

func newQueueFast(q *goshm.Queue) *C.lsm_queue_fast {
	f := (*C.lsm_queue_fast)(C.calloc(1, C.size_t(unsafe.Sizeof(C.lsm_queue_fast{}))))
	if f == nil {
		return nil // no fast path for this queue: its calls take the engine's way
	}
	f.tag = C.uint32_t(goshm.LockTag())
	mirrorQueue(q, f)
	queueFast.Store(q, f)
	return f
}

// mirrorQueue copies into f what the fast path needs of the segment q maps now.
func mirrorQueue(q *goshm.Queue, f *C.lsm_queue_fast) {
	f.base = (*C.uint8_t)(q.Segment().Base())
	f.size = C.uint64_t(q.Segment().Size())
	f.layout = C.int32_t(q.Layout())
	f.header = C.LSM_QUEUE_HEADER_V2
	if q.Layout() == goshm.LayoutV1 {
		f.header = C.LSM_QUEUE_HEADER_V1
	}
	f.capacity = C.uint32_t(q.Capacity())
	f.max_message = C.uint32_t(q.MaxMessageSize())
	f.slot_size = C.uint64_t(q.MaxMessageSize()) + C.LSM_QUEUE_SLOT_HEAD
}

// followed brings the fast-path state to the segment a following queue maps now, after an engine
// call that may have moved it (goshm Queue.EnableReattach). The fast path runs on the thread that
// made the call, so nothing reads the state meanwhile.
func followed(q *goshm.Queue) {
	if !q.Follows() {
		return
	}
	if f, ok := queueFast.Load(q); ok {
		mirrorQueue(q, f.(*C.lsm_queue_fast))
	}
}

// closeQueue closes q and frees its fast-path state; the caller has stopped using it.
func closeQueue(q *goshm.Queue) error {
	if f, ok := queueFast.LoadAndDelete(q); ok {
		C.free(unsafe.Pointer(f.(*C.lsm_queue_fast)))
	}
	return q.Close()
}

//export lsm_queue_fast_state
func lsm_queue_fast_state(h C.lsm_handle) (out *C.lsm_queue_fast) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	if q := queues.get(uint64(h)); q != nil {
		if f, ok := queueFast.Load(q); ok {
			return f.(*C.lsm_queue_fast)
		}
	}
	return nil
}

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
		newQueueFast(q)
		h, err := register(&queues, q, func() error { return closeQueue(q) }, "queues")
		if err != nil {
			return 0, err
		}
		*out = C.lsm_handle(h)
		describe(q, info)
		followed(q)
		return 0, nil
	})
}

//export lsm_queue_close
func lsm_queue_close(h C.lsm_handle, e *C.lsm_error) C.int32_t {
	return closeHandle(&queues, h, e, closeQueue)
}

//export lsm_queue_enqueue
func lsm_queue_enqueue(h C.lsm_handle, data unsafe.Pointer, n C.size_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		added, err := q.Enqueue(bytesOf(data, n))
		followed(q)
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
		followed(q)
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
		followed(q)
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
			if f, ok := queueFast.Load(q); ok {
				poll := time.Duration(pollMs) * time.Millisecond
				if poll <= 0 {
					poll = goshm.DefaultPollInterval
				}
				fast := f.(*C.lsm_queue_fast)
				fast.reattach = state
				fast.checked_at = C.lsm_fast_now_ns()
				fast.check_ns = C.uint64_t(poll.Nanoseconds())
			}
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
		followed(q)
		return 0, nil
	})
}
