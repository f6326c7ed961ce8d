// The write lock of a v2 stream: taking it, and taking it over from a writer that died.
package goshm

import "sync/atomic"

func (s *Stream) lockTimeoutError(holder uint32) error {
	return newError(KindLockTimeout, s.seg.name,
		"lock of shared memory segment %q is held by %s; gave up after %d ms",
		s.seg.name, holderName(holder), s.lockTimeout.Milliseconds())
}

func (s *Stream) lockWord() *uint32 { return s.word(V2Lock) }

// lock takes the v2 write lock, waiting at most lockTimeout.
func (s *Stream) lock() error {
	holder, timedOut, err := acquireWord(s.lockWord(), s.lockTimeout, s.presence, s.seize)
	if timedOut {
		return s.lockTimeoutError(holder)
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
