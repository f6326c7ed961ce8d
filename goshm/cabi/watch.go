package main

// The watch exports (goshm.h "watches"): one goshm.Watcher per id. The id is the only name a watch
// has in every layer above: the addon keeps its own state for a watch in the ctx it passes here,
// and reaches it through the notifications, never through a table of its own.

/*
#include "goshm.h"

static inline void lsm_call_notify(lsm_notify_fn fn, void* ctx, uint32_t value, int32_t ended) {
  fn(ctx, value, ended);
}
*/
import "C"

import (
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

var watchers handleTable[watch]

// watch is a running engine watcher and the ctx the addon gave it.
type watch struct {
	*goshm.Watcher
	ctx unsafe.Pointer
}

// notifier is the engine-side callback of a watch: it calls the addon's C function. ctx is C
// memory owned by the addon, which keeps it valid until lsm_watch_stop has returned for this
// watch (the final, ended call comes before that).
func notifier(fn C.lsm_notify_fn, ctx unsafe.Pointer) func(uint32, bool) {
	return func(v uint32, ended bool) {
		var end C.int32_t
		if ended {
			end = 1
		}
		C.lsm_call_notify(fn, ctx, C.uint32_t(v), end)
	}
}

// startWatch gives a watcher that has just started its id and reports its baseline.
func startWatch(start func() (*goshm.Watcher, error), ctx unsafe.Pointer, out *C.lsm_handle, baseline *C.uint32_t) (C.int32_t, error) {
	w, err := start()
	if err != nil {
		return 0, err
	}
	id, err := register(&watchers, &watch{Watcher: w, ctx: ctx}, w.Stop, "watches")
	if err != nil {
		return 0, err
	}
	*out = C.lsm_handle(id)
	*baseline = C.uint32_t(w.Baseline())
	return 0, nil
}

//export lsm_watch_start
func lsm_watch_start(h C.lsm_handle, field C.int32_t, pollMs C.uint32_t, fn C.lsm_notify_fn, ctx unsafe.Pointer,
	out *C.lsm_handle, baseline *C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&streams, h, e, func(s *stream) (C.int32_t, error) {
		return startWatch(func() (*goshm.Watcher, error) {
			return s.Watch(goshm.Field(field), time.Duration(pollMs)*time.Millisecond, notifier(fn, ctx))
		}, ctx, out, baseline)
	})
}

//export lsm_queue_watch_start
func lsm_queue_watch_start(h C.lsm_handle, pollMs C.uint32_t, fn C.lsm_notify_fn, ctx unsafe.Pointer, out *C.lsm_handle,
	baseline *C.uint32_t, e *C.lsm_error) C.int32_t {
	return call(&queues, h, e, func(q *goshm.Queue) (C.int32_t, error) {
		return startWatch(func() (*goshm.Watcher, error) {
			return q.Watch(time.Duration(pollMs)*time.Millisecond, notifier(fn, ctx))
		}, ctx, out, baseline)
	})
}

//export lsm_watch_stop
func lsm_watch_stop(id C.lsm_handle, e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		if w := watchers.remove(uint64(id)); w != nil {
			// Stop returns when the watcher's final notification has returned. The fault that
			// may have ended it is not reported here: that final notification made the
			// receiver look again and meet it.
			w.Stop()
		}
		return 0, nil
	})
}

//export lsm_watch_context
func lsm_watch_context(id C.lsm_handle) unsafe.Pointer {
	if w := watchers.get(uint64(id)); w != nil {
		return w.ctx // C memory of the addon's, handed back
	}
	return nil
}
