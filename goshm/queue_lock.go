// The producer and consumer locks of a v2 queue, and the repair after a holder died inside an
// operation.
package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Locks (layout v2). A lock word is 0 when free; this engine stores its process id (ownTag) while
// it holds one, the C++ library stores 1. A holder seen dead for lockGrace (its pid gone here and
// its presence gone from the segment, lock.go) is taken over.
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
	holder, timedOut, broken, err := acquireWord(q.word(off), q.lockTimeout, q.presence, q.staleRule(off), func(dead uint32) (bool, error) {
		held, err := q.takeOver(off, dead, holdingProducer)
		seized = held && holdingProducer
		return held, err
	})
	if timedOut {
		return false, q.lockTimeoutError(off, holder)
	}
	if err != nil {
		return false, err
	}
	if broken != 0 {
		q.staleBroken[lockIndex(off)] = broken
	}
	return seized, nil
}

// lockIndex is 0 for the producer lock, 1 for the consumer lock (StaleLockBroken, BreakLock).
func lockIndex(off int) int {
	if off == qProducerLock {
		return 0
	}
	return 1
}

// SetStaleLockTimeout turns the stale rule (lock.go staleRule) on (d > 0) or off (0) for both
// locks, as Stream.SetStaleLockTimeout; a side's progress word is its index (writeIndex for
// producers, readIndex for consumers), which each of its operations moves.
func (q *Queue) SetStaleLockTimeout(d time.Duration) { q.staleAfter = d }

func (q *Queue) staleRule(off int) staleRule {
	if q.staleAfter <= 0 {
		return staleRule{}
	}
	progress := qWriteIndex
	if off == qConsumerLock {
		progress = qReadIndex
	}
	return staleRule{after: q.staleAfter, progress: q.word(progress)}
}

// StaleLockBroken returns the holders the stale rule last took the producer and consumer locks
// over from (0: none since the last call), and forgets them.
func (q *Queue) StaleLockBroken() (producer, consumer uint32) {
	producer, consumer = q.staleBroken[0], q.staleBroken[1]
	q.staleBroken = [2]uint32{}
	return producer, consumer
}

// Lock names for BreakLock, as bits (goshm.h LSM_LOCK_PRODUCER, LSM_LOCK_CONSUMER).
const (
	LockProducer = 1
	LockConsumer = 2
)

// BreakLock takes the locks named by which (LockProducer, LockConsumer or both) over from whoever
// holds them, as Stream.BreakLock, and repairs the queue as after a dead holder's takeover: with
// both locks held, a message a broken producer had fully written is published and a removal a
// broken consumer had begun is completed (repair). A lock not named is taken normally for the
// repair (its timeout is the error then, and nothing is broken). It returns the words broken on
// each lock (0: free or not named). A holder known alive is refused with KindLockHeld unless
// force, and then nothing is broken.
func (q *Queue) BreakLock(which int, force bool) (producer, consumer uint32, err error) {
	defer recoverFault(q.seg.name, &err, debug.SetPanicOnFault(true))
	if q.mem == nil {
		return 0, 0, q.closedError()
	}
	if q.layout != LayoutV2 {
		return 0, 0, newError(KindUnsupported, q.seg.name,
			"queue %q has no lock to break: layout %s has none (only v2 does)", q.seg.name, q.layout)
	}
	if which&^(LockProducer|LockConsumer) != 0 || which == 0 {
		return 0, 0, newError(KindArg, q.seg.name, "unknown lock set %d of queue %q", which, q.seg.name)
	}
	held := func(off int) func(uint32) error {
		return func(h uint32) error {
			return lockHeldError(q.seg.name, lockName(off)+" of queue "+quote(q.seg.name), h)
		}
	}
	// Producer lock first, as every holder of both takes them.
	if which&LockProducer != 0 {
		if producer, err = breakWord(q.word(qProducerLock), q.presence, force, held(qProducerLock)); err != nil {
			return 0, 0, err
		}
		if producer == 0 && which == LockProducer {
			return 0, 0, nil
		}
	}
	if producer == 0 {
		if err := q.acquire(qProducerLock); err != nil {
			return 0, 0, err
		}
	}
	// From here the caller holds the producer lock; undo puts back what a failure must not leave.
	undo := func() {
		if producer != 0 {
			atomic.CompareAndSwapUint32(q.word(qProducerLock), ownTag, producer)
		} else {
			q.release(qProducerLock)
		}
	}
	consumerDied := false
	if which&LockConsumer != 0 {
		if consumer, err = breakWord(q.word(qConsumerLock), q.presence, force, held(qConsumerLock)); err != nil {
			undo()
			return 0, 0, err
		}
		consumerDied = consumer != 0
	}
	if consumer == 0 {
		if producer == 0 {
			undo() // nothing was held by anyone: nothing to repair
			return 0, 0, nil
		}
		if consumerDied, err = q.acquireLock(qConsumerLock, true); err != nil {
			undo()
			return 0, 0, err
		}
	}
	q.repair(producer != 0, consumerDied)
	q.release(qConsumerLock)
	q.release(qProducerLock)
	return producer, consumer, nil
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
