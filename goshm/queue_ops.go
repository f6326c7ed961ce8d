// The operations of a queue: Len, Enqueue, Dequeue and Peek, and the checks of the header words
// they rely on.
package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"unsafe"
)

// Len is the number of messages in the queue (the count word).
func (q *Queue) Len() (n int, err error) {
	defer recoverFault(q.seg.name, &err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return 0, q.closedError()
	}
	q.maybeReattach()
	c := atomic.LoadUint32(q.word(qCount))
	if c > q.capacity {
		return 0, q.countError(c)
	}
	return int(c), nil
}

// Enqueue appends p. It returns false, writing nothing, when the queue is full. A message longer
// than MaxMessageSize is a KindTooLarge error and nothing is written.
func (q *Queue) Enqueue(p []byte) (ok bool, err error) {
	defer recoverFault(q.seg.name, &err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return false, q.closedError()
	}
	q.maybeReattach()
	if uint64(len(p)) > uint64(q.maxMsg) {
		return false, newError(KindTooLarge, q.seg.name,
			"message of %d bytes does not fit queue %q: its maxMessageSize is %d bytes", len(p), q.seg.name, q.maxMsg)
	}
	if q.layout == LayoutV2 {
		if err := q.acquire(qProducerLock); err != nil {
			return false, err
		}
		defer q.release(qProducerLock)
	}
	count := atomic.LoadUint32(q.word(qCount))
	if count > q.capacity {
		return false, q.countError(count)
	}
	if count == q.capacity {
		return false, nil
	}
	w := atomic.LoadUint32(q.word(qWriteIndex))
	if w >= q.capacity {
		return false, q.indexError("writeIndex", w)
	}
	// As libsharedmemory: the length, then exactly len(p) bytes; the rest of the slot is left as
	// it was. Then writeIndex moves, and count last: a consumer that sees the count sees the slot.
	off := q.slotOffset(w)
	putU32(q.mem[off:], uint32(len(p)))
	copy(q.mem[off+QueueSlotHead:], p)
	atomic.StoreUint32(q.word(qWriteIndex), (w+1)%q.capacity)
	q.countAdded(1)
	return true, nil
}

// Dequeue removes the oldest message and copies it into dst. ok is false when the queue is empty.
//
// When the message is longer than dst, nothing is copied and the message is NOT removed: Dequeue
// returns ok = true with n = the message's length (> len(dst)), so the caller can grow dst to n
// bytes and call again. (Another consumer may take that message meanwhile; the retry then gets the
// next one.) n <= len(dst) means the message was copied into dst[:n] and removed.
func (q *Queue) Dequeue(dst []byte) (n int, ok bool, err error) {
	return q.take(dst, true)
}

// Peek copies the oldest message into dst without removing it, with the conventions of Dequeue
// (ok false when empty; n > len(dst) means nothing was copied).
func (q *Queue) Peek(dst []byte) (n int, ok bool, err error) {
	return q.take(dst, false)
}

func (q *Queue) take(dst []byte, consume bool) (n int, ok bool, err error) {
	defer recoverFault(q.seg.name, &err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return 0, false, q.closedError()
	}
	q.maybeReattach()
	if q.layout == LayoutV2 {
		// libsharedmemory's peek takes the consumer lock too.
		if err := q.acquire(qConsumerLock); err != nil {
			return 0, false, err
		}
		defer q.release(qConsumerLock)
	}
	count := atomic.LoadUint32(q.word(qCount))
	if count == 0 {
		return 0, false, nil
	}
	if count > q.capacity {
		return 0, false, q.countError(count)
	}
	r := atomic.LoadUint32(q.word(qReadIndex))
	if r >= q.capacity {
		return 0, false, q.indexError("readIndex", r)
	}
	off := q.slotOffset(r)
	size := getU32(q.mem[off:])
	if size > q.maxMsg {
		return 0, false, newError(KindLayout, q.seg.name,
			"queue %q has an inconsistent slot: slot %d holds a length of %d bytes, more than its maxMessageSize of %d",
			q.seg.name, r, size, q.maxMsg)
	}
	if int(size) > len(dst) {
		return int(size), true, nil
	}
	copy(dst, q.mem[off+QueueSlotHead:off+QueueSlotHead+int(size)])
	if consume {
		atomic.StoreUint32(q.word(qReadIndex), (r+1)%q.capacity)
		q.countAdded(^uint32(0))
	}
	return int(size), true, nil
}

func (q *Queue) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&q.mem[off])) }

func (q *Queue) slotOffset(i uint32) int { return q.header + int(i)*q.slotSize }

// state reads and checks the indices and the count.
func (q *Queue) state() (w, r, count uint32, err error) {
	w = atomic.LoadUint32(q.word(qWriteIndex))
	r = atomic.LoadUint32(q.word(qReadIndex))
	count = atomic.LoadUint32(q.word(qCount))
	switch {
	case w >= q.capacity:
		return 0, 0, 0, q.indexError("writeIndex", w)
	case r >= q.capacity:
		return 0, 0, 0, q.indexError("readIndex", r)
	case count > q.capacity:
		return 0, 0, 0, q.countError(count)
	}
	return w, r, count, nil
}

func (q *Queue) closedError() error {
	return newError(KindClosed, q.seg.name, "queue %q is closed", q.seg.name)
}

func (q *Queue) headerError(what string) error {
	return newError(KindLayout, q.seg.name, "queue %q has an inconsistent header: %s", q.seg.name, what)
}

func (q *Queue) indexError(field string, v uint32) error {
	return newError(KindLayout, q.seg.name, "queue %q has an inconsistent header: %s %d is not below its capacity of %d",
		q.seg.name, field, v, q.capacity)
}

func (q *Queue) countError(count uint32) error {
	return newError(KindLayout, q.seg.name, "queue %q has an inconsistent header: count %d exceeds capacity %d",
		q.seg.name, count, q.capacity)
}
