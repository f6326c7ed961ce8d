// The write lock of a v2 stream: taking it, taking it over from a writer that died, and breaking
// it on the caller's word (BreakLock, the stale rule) when the holder cannot be judged.
package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

func (s *Stream) lockTimeoutError(holder uint32) error {
	return newError(KindLockTimeout, s.seg.name,
		"lock of shared memory segment %q is held by %s; gave up after %d ms",
		s.seg.name, holderName(holder), s.lockTimeout.Milliseconds())
}

func (s *Stream) lockWord() *uint32 { return s.word(V2Lock) }

// stalePolicy is a stream's or queue's opt-in stale rule (lock.go staleRule) and what it did.
type stalePolicy struct {
	after  time.Duration // 0: off
	broken uint32        // the holder the rule last took the lock over from, until asked
}

// SetStaleLockTimeout turns the stale rule on (d > 0) or off (0): a wait that sees the lock word
// and the revision unchanged for d takes the lock over as from a dead holder, unless the holder is
// known alive. It is meant for peers whose death cannot be seen (the C++ library stores 1); a
// holder that only holds the lock longer than d loses its write, which is repaired. Only useful
// below the lock timeout, which ends every wait first.
func (s *Stream) SetStaleLockTimeout(d time.Duration) { s.stale.after = d }

func (s *Stream) staleRule() staleRule {
	if s.stale.after <= 0 {
		return staleRule{}
	}
	return staleRule{after: s.stale.after, progress: s.word(V2Revision)}
}

// StaleLockBroken returns the holder the stale rule last took the lock over from (0: none since
// the last call), and forgets it.
func (s *Stream) StaleLockBroken() uint32 {
	h := s.stale.broken
	s.stale.broken = 0
	return h
}

// lock takes the v2 write lock, waiting at most lockTimeout.
func (s *Stream) lock() error {
	holder, timedOut, broken, err := acquireWord(s.lockWord(), s.lockTimeout, s.presence, s.staleRule(), s.seize)
	if timedOut {
		return s.lockTimeoutError(holder)
	}
	if broken != 0 {
		s.stale.broken = broken
	}
	return err
}

// seize is takeOver in the shape acquireWord wants.
func (s *Stream) seize(dead uint32) (bool, error) { return s.takeOver(dead), nil }

func (s *Stream) unlock() { atomic.StoreUint32(s.lockWord(), 0) }

// takeOver seizes the lock from a dead holder. The holder died inside a write, so the payload may
// be half written: it is replaced by an empty payload with no type bit under a new revision
// (repair), so no reader ever sees the torn bytes as a message. It returns false if someone else got there first.
func (s *Stream) takeOver(dead uint32) bool {
	if !atomic.CompareAndSwapUint32(s.lockWord(), dead, ownTag) {
		return false
	}
	s.repair()
	return true
}

// BreakLock takes the v2 write lock over from whoever holds it, repairs the payload as a takeover
// does (the holder may have died inside a write: the value becomes empty with no type bit under a
// new revision) and releases it. It returns the lock word it broke, or 0 when the lock was free
// (nothing changes then). A holder known alive (holderLive: a live pid here, this process
// included, or announced on the segment) is refused with KindLockHeld unless force, since breaking
// it tears the write it is in. The C++ library's 1 is never known alive: that is the case this is
// for.
func (s *Stream) BreakLock(force bool) (holder uint32, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if s.mem == nil {
		return 0, s.closedError()
	}
	if s.layout != LayoutV2 {
		return 0, newError(KindUnsupported, s.seg.name,
			"shared memory segment %q has no lock to break: layout %s has none (only v2 does)", s.seg.name, s.layout)
	}
	if s.presence == nil {
		return 0, newError(KindUnsupported, s.seg.name,
			"shared memory segment %q is mapped read-only: its lock cannot be broken from this mapping", s.seg.name)
	}
	holder, err = breakWord(s.lockWord(), s.presence, force, func(h uint32) error {
		return lockHeldError(s.seg.name, "lock of shared memory segment "+quote(s.seg.name), h)
	})
	if err != nil || holder == 0 {
		return 0, err
	}
	defer s.unlock()
	s.repair()
	if s.mem[V2HintRevision] != 0 {
		sys.wake(s.word(V2Revision))
	}
	return holder, nil
}
