// Waiting on a queue: watching its count, and the wake-ups that make such waits cheap.
package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Consumers wait while the queue is empty and producers while it is full, so only the transitions
// out of those states need a wake-up: a producer that makes the count leave 0, and a consumer that
// makes it leave capacity, wake the count word's futex. Operations in between make no system
// call. Peers that never wake anyone (the C++ library) are noticed within the watcher's poll
// interval.

// Watch starts a goroutine that calls notify(count, false) with the new count each time it
// changes, and notify(count, true) once when the watch ends (calls coalesce and end as for
// Stream.Watch): on Stop, on the queue's Close, or when the segment faults.
func (q *Queue) Watch(poll time.Duration, notify func(count uint32, ended bool)) (w *Watcher, err error) {
	defer recoverFault(q.seg.name, &err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return nil, q.closedError()
	}
	return q.watchers.start(q.seg, qCount, -1, false, poll, notify), nil
}

// countAdded moves the count by delta (+1 or -1 as uint32) after a slot changed hands, and wakes
// waiters when the queue leaves the empty or the full state.
func (q *Queue) countAdded(delta uint32) {
	w := q.word(qCount)
	after := atomic.AddUint32(w, delta)
	before := after - delta
	if before == 0 || before == q.capacity {
		sys.wake(w)
	}
}
