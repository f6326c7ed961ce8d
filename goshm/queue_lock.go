// The producer and consumer locks of a v2 queue, and the repair after a holder died inside an
// operation.
package goshm

import "sync/atomic"

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
	holder, timedOut, err := acquireWord(q.word(off), q.lockTimeout, q.presence, func(dead uint32) (bool, error) {
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
	return seized, nil
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
