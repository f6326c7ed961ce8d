package goshm

import (
	"math"
	"math/bits"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"
)

// The FIFO queue of libsharedmemory (SPEC §3.4). All fields are little-endian u32:
//
//	offset  v2 (2.x)          v1 (1.x)
//	0       writeIndex        writeIndex
//	4       readIndex         readIndex
//	8       capacity          capacity
//	12      count (atomic)    count
//	16      maxMessageSize    maxMessageSize
//	20      producerLock      slot 0 ...
//	24      consumerLock
//	28      slot 0 ...
//
// followed by capacity slots of |length u32|data maxMessageSize|. The segment is
// header + capacity*(4+maxMessageSize) bytes.
//
// Byte behaviour, as in libsharedmemory 2.0.0 and 1.10.0 (checked against the images in
// test/fixtures/vectors): a producer writes the slot's length and then exactly length bytes of data;
// the rest of the slot keeps whatever it held before (the C++ library never zero-fills a slot, on
// enqueue or on dequeue), and a dequeue leaves the slot's bytes as they are, moving only readIndex
// and count. A new queue writer initialises the header only: capacity and maxMessageSize, every
// other header word 0 (the slots of a new segment are zero because the file is new).
const (
	qWriteIndex     = 0
	qReadIndex      = 4
	qCapacity       = 8
	qCount          = 12
	qMaxMessageSize = 16
	qProducerLock   = 20
	qConsumerLock   = 24

	qHeaderV2 = 28
	qHeaderV1 = 20
	qSlotHead = 4 // the length word in front of each slot's data
)

// QueueOptions configures a Queue.
type QueueOptions struct {
	// Layout is LayoutV2 (libsharedmemory 2.x: 28-byte header with producer and consumer locks)
	// or LayoutV1 (1.x: 20-byte header, no locks). LayoutV0 has no queue and is refused.
	Layout Layout
	// Capacity is the number of slots and MaxMessageSize the largest message, in bytes. Both are
	// required (>= 1) when creating. When opening, 0 means "as the header says"; any other value
	// must equal the header's.
	Capacity, MaxMessageSize int
	// LockTimeout bounds every wait for a v2 lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
}

// Queue is a bounded FIFO of byte messages in a shared memory segment, in the layout of
// libsharedmemory's SharedMemoryQueue.
//
// In layout v2, any number of producers and consumers, in any processes, may use the queue at
// once, each with its own Queue: producers serialise on the producer lock, consumers on the
// consumer lock, and the count word (changed atomically, after the slot) hands each slot from one
// side to the other, so every message is delivered exactly once. Like the v2 stream lock, this
// engine stores its process id in a lock it holds, so that a lock left by a process that died
// inside an operation is taken over (see acquire); the C++ library stores 1, which can only time
// out.
//
// Layout v1 has no locks, as in libsharedmemory 1.x: a v1 queue is safe for ONE producer and ONE
// consumer at a time (in any processes). Two producers, or two consumers, can lose or duplicate
// messages.
//
// A Queue is used by one goroutine at a time; separate Queues over the same segment, in this
// process or others, may run concurrently.
type Queue struct {
	seg         *Segment
	mem         []byte
	layout      Layout
	header      int
	capacity    uint32
	maxMsg      uint32
	slotSize    int
	lockTimeout time.Duration
	watchers    watchSet
}

func queueHeaderSize(l Layout) int {
	if l == LayoutV1 {
		return qHeaderV1
	}
	return qHeaderV2
}

// OpenQueue opens a queue segment, or with o.Create creates it.
//
// Creating: the segment is header + Capacity*(4+MaxMessageSize) bytes (o.Size, if larger, wins).
// A segment that did not exist, or exists with an all-zero header, gets its header initialised
// (capacity at 8, maxMessageSize at 16, the rest 0). An existing segment that already holds a
// queue is attached to as it is, never re-initialised, grown or cleared: its header is validated
// and must match Capacity and MaxMessageSize, or a KindLayout error is returned and nothing in the
// segment changes. (libsharedmemory instead unlinks the name and makes a new, empty queue, leaving
// processes already attached on the orphaned one.)
//
// Opening (o.Create false): the header is validated (capacity and maxMessageSize at least 1, the
// slots inside the segment, the indices below capacity, count at most capacity); garbage is a
// KindLayout error.
//
// o.ReadOnly is refused: every queue operation writes the indices, the count or a lock.
func OpenQueue(name string, o OpenOptions, qo QueueOptions) (*Queue, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if qo.Layout != LayoutV2 && qo.Layout != LayoutV1 {
		return nil, newError(KindArg, name,
			"layout %s has no queue: use layout v2 (libsharedmemory 2.x) or v1 (1.x)", qo.Layout)
	}
	if o.ReadOnly {
		return nil, newError(KindArg, name,
			"queue %q cannot be opened read-only: enqueue, dequeue and peek all write the segment", name)
	}
	if qo.Capacity < 0 || uint64(qo.Capacity) > math.MaxUint32 {
		return nil, newError(KindArg, name, "queue capacity %d is out of range (1 to %d)", qo.Capacity, uint32(math.MaxUint32))
	}
	if qo.MaxMessageSize < 0 || uint64(qo.MaxMessageSize) > math.MaxUint32 {
		return nil, newError(KindArg, name, "queue maxMessageSize %d is out of range (1 to %d bytes)", qo.MaxMessageSize, uint32(math.MaxUint32))
	}
	if !o.Create {
		seg, err := Open(name, o)
		if err != nil {
			return nil, err
		}
		return newQueue(seg, qo, false)
	}

	if qo.Capacity < 1 || qo.MaxMessageSize < 1 {
		return nil, newError(KindArg, name,
			"a new queue needs a capacity and a maxMessageSize of at least 1 (got %d and %d)", qo.Capacity, qo.MaxMessageSize)
	}
	hdr := int64(queueHeaderSize(qo.Layout))
	slot := int64(qSlotHead) + int64(qo.MaxMessageSize)
	if int64(qo.Capacity) > (math.MaxInt64-hdr)/slot {
		return nil, newError(KindArg, name,
			"queue of %d slots of %d bytes does not fit this platform", qo.Capacity, qo.MaxMessageSize)
	}
	need := hdr + int64(qo.Capacity)*slot

	// An existing segment is looked at first, without growing or touching it: an initialised
	// queue is attached to as it is, and one that holds something else is refused, so that a
	// refusal leaves the segment exactly as it was. Only a missing or blank segment is created
	// (or grown) and initialised.
	peek := o
	peek.Create, peek.Size, peek.Unlink = false, 0, false
	if seg, err := Open(name, peek); err == nil {
		switch queueHeaderState(seg, int(hdr)) {
		case headerQueue:
			seg.unlink = o.Unlink
			return newQueue(seg, qo, false)
		case headerOther:
			seg.Close()
			return nil, newError(KindLayout, name,
				"shared memory segment %q exists and holds something other than a queue of layout %s (its header is neither a queue's nor blank)",
				name, qo.Layout)
		}
		seg.Close()
	} else if !isNotExist(err) && !IsKind(err, KindSize) {
		return nil, err
	}

	if o.Size < need {
		o.Size = need
	}
	seg, err := Open(name, o)
	if err != nil {
		return nil, err
	}
	return newQueue(seg, qo, true)
}

const (
	headerBlank = iota // every header byte present is 0: nobody has made a queue of it yet
	headerQueue        // capacity is set
	headerOther        // something else
)

// queueHeaderState classifies an existing segment's header. A header whose maxMessageSize is set
// but not yet its capacity is a creator between its two stores (newQueue): it is given a moment.
func queueHeaderState(seg *Segment, hdr int) (state int) {
	defer func(old bool) {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			state = headerOther
		}
	}(debug.SetPanicOnFault(true))
	mem := seg.Bytes()
	if len(mem) > hdr {
		mem = mem[:hdr]
	}
	if len(mem) < hdr {
		for _, b := range mem {
			if b != 0 {
				return headerOther
			}
		}
		return headerBlank
	}
	capacity := (*uint32)(unsafe.Pointer(&mem[qCapacity]))
	for deadline := time.Now().Add(100 * time.Millisecond); ; time.Sleep(100 * time.Microsecond) {
		if atomic.LoadUint32(capacity) != 0 {
			return headerQueue
		}
		blank, onlyMaxSet := true, true
		for off := 0; off < hdr; off += 4 {
			if atomic.LoadUint32((*uint32)(unsafe.Pointer(&mem[off]))) != 0 {
				blank = false
				if off != qMaxMessageSize {
					onlyMaxSet = false
				}
			}
		}
		if blank {
			return headerBlank
		}
		if !onlyMaxSet || time.Now().After(deadline) {
			return headerOther
		}
	}
}

// newQueue puts a Queue over seg, which it then owns (and closes on error). With initialise, an
// all-zero header is filled in first.
func newQueue(seg *Segment, qo QueueOptions, initialise bool) (q *Queue, err error) {
	q = &Queue{
		seg: seg, mem: seg.Bytes(), layout: qo.Layout, header: queueHeaderSize(qo.Layout),
		lockTimeout: qo.LockTimeout,
	}
	if q.lockTimeout <= 0 {
		q.lockTimeout = DefaultLockTimeout
	}
	defer func() {
		if err != nil {
			seg.Close()
			q = nil
		}
	}()
	defer q.guard(&err, debug.SetPanicOnFault(true))

	if len(q.mem) < q.header {
		return nil, newError(KindLayout, seg.name,
			"shared memory segment %q is %d bytes, too small for the %d-byte queue header of layout %s",
			seg.name, len(q.mem), q.header, q.layout)
	}
	if initialise && q.headerZero() {
		// Concurrent creators agree through compare-and-swap: the first one's values stand, and
		// the others see them below (a mismatch is then a KindLayout error). maxMessageSize goes
		// first, so whoever sees a capacity also sees the maxMessageSize that goes with it.
		atomic.CompareAndSwapUint32(q.word(qMaxMessageSize), 0, uint32(qo.MaxMessageSize))
		atomic.CompareAndSwapUint32(q.word(qCapacity), 0, uint32(qo.Capacity))
	}
	c := atomic.LoadUint32(q.word(qCapacity))
	if initialise && c == 0 {
		// Another creator may be between its two stores; give it a moment.
		for deadline := time.Now().Add(100 * time.Millisecond); c == 0 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
			c = atomic.LoadUint32(q.word(qCapacity))
		}
	}
	m := atomic.LoadUint32(q.word(qMaxMessageSize))
	if c == 0 {
		return nil, q.headerError("capacity is 0 (not a queue, or not initialised yet)")
	}
	if m == 0 {
		return nil, q.headerError("maxMessageSize is 0")
	}
	if qo.Capacity != 0 && uint64(qo.Capacity) != uint64(c) {
		return nil, newError(KindLayout, seg.name,
			"queue %q has a capacity of %d in its header, but a capacity of %d was asked for", seg.name, c, qo.Capacity)
	}
	if qo.MaxMessageSize != 0 && uint64(qo.MaxMessageSize) != uint64(m) {
		return nil, newError(KindLayout, seg.name,
			"queue %q has a maxMessageSize of %d bytes in its header, but %d bytes were asked for", seg.name, m, qo.MaxMessageSize)
	}
	// header + c*(4+m) <= len(mem), without overflow: divide instead of multiplying.
	slot := uint64(qSlotHead) + uint64(m)
	room := uint64(len(q.mem) - q.header)
	if uint64(c) > room/slot {
		return nil, newError(KindLayout, seg.name,
			"queue %q has an inconsistent header: %d slots of %d bytes need %s bytes, but the segment is %d bytes",
			seg.name, c, m, needBytes(q.header, c, m), len(q.mem))
	}
	q.capacity, q.maxMsg, q.slotSize = c, m, int(slot)
	if _, _, _, err := q.state(); err != nil {
		return nil, err
	}
	return q, nil
}

// headerZero reports whether every header word is 0: a segment nobody has made a queue of yet.
// Only such a header is initialised, so that a segment holding something else is not altered.
func (q *Queue) headerZero() bool {
	for off := 0; off < q.header; off += 4 {
		if atomic.LoadUint32(q.word(off)) != 0 {
			return false
		}
	}
	return true
}

func needBytes(hdr int, c, m uint32) string {
	hi, lo := bits.Mul64(uint64(c), uint64(m)+qSlotHead)
	if hi != 0 || lo+uint64(hdr) < lo {
		return "more than 2^64"
	}
	return strconv.FormatUint(lo+uint64(hdr), 10)
}

// Segment is the mapping under the queue.
func (q *Queue) Segment() *Segment { return q.seg }

// Layout is the queue's wire layout.
func (q *Queue) Layout() Layout { return q.layout }

// Capacity is the number of slots.
func (q *Queue) Capacity() int { return int(q.capacity) }

// MaxMessageSize is the largest message, in bytes.
func (q *Queue) MaxMessageSize() int { return int(q.maxMsg) }

// Close releases the mapping (and removes the name if the segment was opened with Unlink).
// Closing twice is not an error.
func (q *Queue) Close() error {
	q.watchers.stopAll()
	q.mem = nil
	return q.seg.Close()
}

// Len is the number of messages in the queue (the count word).
func (q *Queue) Len() (n int, err error) {
	defer q.guard(&err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return 0, q.closedError()
	}
	c := atomic.LoadUint32(q.word(qCount))
	if c > q.capacity {
		return 0, q.headerError("count " + strconv.FormatUint(uint64(c), 10) + " exceeds capacity " + strconv.FormatUint(uint64(q.capacity), 10))
	}
	return int(c), nil
}

// Enqueue appends p. It returns false, writing nothing, when the queue is full. A message longer
// than MaxMessageSize is a KindTooLarge error and nothing is written.
func (q *Queue) Enqueue(p []byte) (ok bool, err error) {
	defer q.guard(&err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return false, q.closedError()
	}
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
		return false, q.headerError("count " + strconv.FormatUint(uint64(count), 10) + " exceeds capacity " + strconv.FormatUint(uint64(q.capacity), 10))
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
	copy(q.mem[off+qSlotHead:], p)
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
	defer q.guard(&err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return 0, false, q.closedError()
	}
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
		return 0, false, q.headerError("count " + strconv.FormatUint(uint64(count), 10) + " exceeds capacity " + strconv.FormatUint(uint64(q.capacity), 10))
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
	copy(dst, q.mem[off+qSlotHead:off+qSlotHead+int(size)])
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
		return 0, 0, 0, q.headerError("count " + strconv.FormatUint(uint64(count), 10) + " exceeds capacity " + strconv.FormatUint(uint64(q.capacity), 10))
	}
	return w, r, count, nil
}

// guard is Stream.guard for queues: a fault on the mapping becomes a KindFault error.
func (q *Queue) guard(err *error, panicOnFault bool) {
	debug.SetPanicOnFault(panicOnFault)
	if r := recover(); r != nil {
		*err = panicError(q.seg.name, r)
	}
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

// Locks (layout v2). A lock word is 0 when free; this engine stores its process id (ownTag) while
// it holds one, the C++ library stores 1. A holder seen dead for lockGrace is taken over.
//
// Lock order: whoever holds both locks took the producer lock first. Normal operations hold one
// lock only; only the repair after a takeover holds both.
//
// Repair. Producers write the slot, then writeIndex, then increment count; consumers read the slot,
// then move readIndex, then decrement count. With both locks held and nobody mid-operation,
// writeIndex == (readIndex + count) mod capacity. A producer that died between its writeIndex store
// and its increment leaves writeIndex one ahead: its slot is fully written, so the repair publishes
// it (count++). A consumer that died between its readIndex store and its decrement leaves readIndex
// one ahead: it had copied the message out, so the repair completes the removal (count--). A holder
// that died earlier changed nothing visible. (A consumer that dies after copying a message loses it
// with its process, as with any queue.)

func lockName(off int) string {
	if off == qProducerLock {
		return "producer lock"
	}
	return "consumer lock"
}

// acquire takes the lock at off, waiting at most lockTimeout, taking it over from a dead holder.
func (q *Queue) acquire(off int) error {
	_, err := q.acquireLock(off, false)
	return err
}

func (q *Queue) release(off int) { atomic.StoreUint32(q.word(off), 0) }

// acquireLock takes a lock. holdingProducer says the caller holds the producer lock already (only
// for the consumer lock, during a repair): a dead consumer holder is then seized directly and the
// caller repairs. seized reports that.
func (q *Queue) acquireLock(off int, holdingProducer bool) (seized bool, err error) {
	w := q.word(off)
	if atomic.CompareAndSwapUint32(w, 0, ownTag) {
		return false, nil
	}
	var wt waiter
	for {
		holder := atomic.LoadUint32(w)
		if holder == 0 {
			if atomic.CompareAndSwapUint32(w, 0, ownTag) {
				return false, nil
			}
			continue
		}
		takeOver, timedOut := wt.pause(q.lockTimeout, holder, true)
		if timedOut {
			return false, q.lockTimeoutError(off, holder)
		}
		if !takeOver {
			continue
		}
		held, err := q.takeOver(off, holder, holdingProducer)
		if err != nil {
			return false, err
		}
		if held {
			return holdingProducer, nil
		}
	}
}

// takeOver seizes the lock at off from the dead process dead and repairs what it left. held reports
// whether the caller now holds the lock.
func (q *Queue) takeOver(off int, dead uint32, holdingProducer bool) (held bool, err error) {
	switch {
	case off == qConsumerLock && holdingProducer:
		// The caller (a producer takeover) repairs with both locks.
		return atomic.CompareAndSwapUint32(q.word(off), dead, ownTag), nil

	case off == qProducerLock:
		if !atomic.CompareAndSwapUint32(q.word(off), dead, ownTag) {
			return false, nil
		}
		consumerDied, err := q.acquireLock(qConsumerLock, true)
		if err != nil {
			// Put the dead holder back, so that a later producer repeats the takeover and repair.
			atomic.CompareAndSwapUint32(q.word(off), ownTag, dead)
			return false, err
		}
		q.repair(true, consumerDied)
		q.release(qConsumerLock)
		return true, nil

	default: // the consumer lock, holding nothing: producer lock first, then seize.
		if err := q.acquire(qProducerLock); err != nil {
			return false, err
		}
		defer q.release(qProducerLock)
		if !atomic.CompareAndSwapUint32(q.word(off), dead, ownTag) {
			return false, nil // repaired and released meanwhile; wait for it normally
		}
		q.repair(false, true)
		return true, nil
	}
}

// repair restores writeIndex == (readIndex + count) mod capacity after a holder died (see above).
// The caller holds both locks. A header that is out of range is left for the operations to report.
func (q *Queue) repair(producerDied, consumerDied bool) {
	w, r, count, err := q.state()
	if err != nil {
		return
	}
	c := uint64(q.capacity)
	W, R, N := uint64(w), uint64(r), uint64(count)
	if (R+N)%c == W {
		return
	}
	if producerDied && N < c && (R+N+1)%c == W {
		atomic.AddUint32(q.word(qCount), 1)
		return
	}
	if consumerDied && N > 0 && (R+N-1)%c == W {
		q.countAdded(^uint32(0))
	}
}

func (q *Queue) lockTimeoutError(off int, holder uint32) error {
	return newError(KindLockTimeout, q.seg.name,
		"%s of queue %q is held by %s; gave up after %d ms",
		lockName(off), q.seg.name, holderName(holder), q.lockTimeout.Milliseconds())
}
