// The FIFO queue of libsharedmemory (SPEC §3.4): its header, and opening, creating and validating
// one. The operations are in queue_ops.go, the v2 locks in queue_lock.go.
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

// All fields of a queue's header are little-endian u32:
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
	qWriteIndex = iota * 4 // consecutive u32 words, in the order of the table above
	qReadIndex
	qCapacity
	qCount
	qMaxMessageSize
	qProducerLock
	qConsumerLock
)

// The header words' offsets, for the C fast path (goshm.h LSM_QUEUE_WRITE_INDEX ...).
const (
	QueueWriteIndex   = qWriteIndex
	QueueReadIndex    = qReadIndex
	QueueCapacity     = qCapacity
	QueueCount        = qCount
	QueueMaxMessage   = qMaxMessageSize
	QueueProducerLock = qProducerLock
	QueueConsumerLock = qConsumerLock
)

// Header sizes, and the length word in front of each slot's data. v1's slots begin where v2's
// locks are.
const (
	QueueHeaderV1 = qProducerLock
	QueueHeaderV2 = qConsumerLock + 4
	QueueSlotHead = 4
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
// inside an operation is taken over (see queue_lock.go); the C++ library stores 1, which can only time
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
	presence    *presence     // v2: how this queue's locks are judged (lock.go)
	staleAfter  time.Duration // the stale rule (queue_lock.go); 0: off
	staleBroken [2]uint32     // holders it took the producer and consumer locks over from, until asked
	watchers    watchSet
	re          *reattach // follows its name to new segments (reattach.go), or nil
}

func queueHeaderSize(l Layout) int {
	if l == LayoutV1 {
		return QueueHeaderV1
	}
	return QueueHeaderV2
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
// o.ReadOnly is refused: every queue operation writes the indices, the count or a lock. A segment
// owned by another user is refused (EPERM) unless o.AllowForeignOwner, whether creating or not.
//
// A failed open never removes a segment it did not create, o.Unlink or not; a segment whose bytes
// show a stream or a queue of the other layout is refused with a KindLayout error saying so
// (detect.go). A queue writer never resets an existing queue: its peers' messages stay.
func OpenQueue(name string, o OpenOptions, qo QueueOptions) (*Queue, error) {
	if qo.Layout != LayoutV2 && qo.Layout != LayoutV1 {
		return nil, newError(KindArg, name,
			"layout %s has no queue: use layout v2 (libsharedmemory 2.x) or v1 (1.x)", qo.Layout)
	}
	if o.ReadOnly {
		return nil, newError(KindArg, name,
			"queue %q cannot be opened read-only: enqueue, dequeue and peek all write the segment", name)
	}
	if qo.Capacity < 0 || uint64(qo.Capacity) > MaxSize {
		return nil, newError(KindArg, name, "queue capacity %d is out of range (1 to %d)", qo.Capacity, uint32(MaxSize))
	}
	if qo.MaxMessageSize < 0 || uint64(qo.MaxMessageSize) > MaxSize {
		return nil, newError(KindArg, name, "queue maxMessageSize %d is out of range (1 to %d bytes)", qo.MaxMessageSize, uint32(MaxSize))
	}
	// Both ends of a queue store messages the other consumes: neither attaches to a queue of
	// another user unless told AllowForeignOwner (see OpenOptions).
	o.ownerOnly = true
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
	slot := int64(QueueSlotHead) + int64(qo.MaxMessageSize)
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
		state, err := queueHeaderState(seg, int(hdr))
		if err != nil {
			state = headerOther // a header we cannot even read is not a queue to attach to
		}
		switch state {
		case headerQueue:
			seg.unlink = o.Unlink
			return newQueue(seg, qo, false)
		case headerOther:
			err := queueShapeError(seg, qo.Layout, newError(KindLayout, name,
				"shared memory segment %q exists and holds something other than a queue of layout %s (its header is neither a queue's nor blank)",
				name, qo.Layout))
			seg.Close()
			return nil, err
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
func queueHeaderState(seg *Segment, hdr int) (state int, err error) {
	defer recoverFault(seg.name, &err, debug.SetPanicOnFault(true))
	mem := seg.Bytes()
	if len(mem) > hdr {
		mem = mem[:hdr]
	}
	if len(mem) < hdr {
		for _, b := range mem {
			if b != 0 {
				return headerOther, nil
			}
		}
		return headerBlank, nil
	}
	capacity := (*uint32)(unsafe.Pointer(&mem[qCapacity]))
	for deadline := time.Now().Add(100 * time.Millisecond); ; time.Sleep(100 * time.Microsecond) {
		if atomic.LoadUint32(capacity) != 0 {
			return headerQueue, nil
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
			return headerBlank, nil
		}
		if !onlyMaxSet || time.Now().After(deadline) {
			return headerOther, nil
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
			err = queueShapeError(seg, qo.Layout, err)
			seg.abandon()
			q = nil
		}
	}()
	defer recoverFault(seg.name, &err, debug.SetPanicOnFault(true))

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
	slot := uint64(QueueSlotHead) + uint64(m)
	room := uint64(len(q.mem) - q.header)
	if uint64(c) > room/slot {
		return nil, newError(KindLayout, seg.name,
			"queue %q has an inconsistent header: %d slots of %d bytes need %s bytes, but the segment is %d bytes",
			seg.name, c, m, needBytes(q.header, c, m), len(q.mem))
	}
	if !seg.created && qo.Layout == LayoutV1 && !seg.sizeInPages {
		// A v2 queue passes every check of v1's shorter header (its slots end 8 bytes before the
		// segment does); its exact geometry is what tells them apart (not known in whole pages).
		if _, ok := detectQueue(q.mem, seg.wholeSize(), false, LayoutV2); ok {
			return nil, q.headerError("it is sized for the 28-byte header of layout v2")
		}
	}
	q.capacity, q.maxMsg, q.slotSize = c, m, int(slot)
	if _, _, _, err := q.state(); err != nil {
		return nil, err
	}
	if q.layout == LayoutV2 {
		if q.presence, err = announcePresence(seg); err != nil {
			return nil, err
		}
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

// queueShapeError gives a KindLayout error met while opening a queue of layout l over seg the
// message of what the segment looks like instead, when its bytes show another kind or layout (see
// shapeConflict). Any other error is returned as it is.
func queueShapeError(seg *Segment, l Layout, err error) error {
	if !IsKind(err, KindLayout) {
		return err
	}
	d, derr := DetectSegment(seg)
	if derr != nil || !shapeConflict(seg, d, ShapeQueue, l) {
		return err
	}
	return newError(KindLayout, seg.name, "shared memory segment %q looks like %s, not a queue of layout %s", seg.name, d, l)
}

func needBytes(hdr int, c, m uint32) string {
	hi, lo := bits.Mul64(uint64(c), uint64(m)+QueueSlotHead)
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

// Close ends the queue's watchers (each with its ended call) and then releases the mapping (and
// removes the name if the segment was opened with Unlink). Closing twice is not an error.
func (q *Queue) Close() error {
	q.watchers.stopAll()
	q.presence.withdraw()
	q.mem = nil
	return q.seg.Close()
}
