package goshm

import (
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// The v2 lock word (offset 16) is 0 when free and non-zero when held. libsharedmemory stores 1;
// this engine stores its process id, so that a waiter can tell a holder that died (SIGKILL in the
// middle of a write) from one that is merely slow, and take the lock over.

// DefaultLockTimeout bounds every wait for the lock unless StreamOptions says otherwise.
const DefaultLockTimeout = time.Second

// lockGrace is how long a holder must be seen dead before its lock is taken over, so that a
// process id that is briefly absent (a peer in another PID namespace that we cannot see) is not
// robbed by a single look.
const lockGrace = 50 * time.Millisecond

// anonymousHolder is what the C++ library stores: such a holder can only be timed out.
const anonymousHolder = 1

var ownTag = uint32(os.Getpid())

// LockTag is the value this process stores in a v2 lock word it holds (its process id).
func LockTag() uint32 { return ownTag }

// waiter paces one wait for the lock: a short spin (holders keep it for one memcpy), then yields,
// then short sleeps, and decides when the wait has timed out or the holder is dead.
type waiter struct {
	spins     int
	start     time.Time
	dead      uint32
	deadSince time.Time
}

// pause waits a little. It reports takeOver when the holder has been dead for lockGrace and the
// caller can take the lock over (canTakeOver), and timedOut once timeout has passed since the
// wait began. Streams and queues share it; each words its own timeout error.
func (w *waiter) pause(timeout time.Duration, holder uint32, canTakeOver bool) (takeOver, timedOut bool) {
	w.spins++
	if w.spins < 64 {
		return false, false
	}
	now := time.Now()
	if w.start.IsZero() {
		w.start = now
	}
	if canTakeOver && holder != 0 && holder != anonymousHolder && !pidAlive(holder) {
		if w.dead != holder {
			w.dead, w.deadSince = holder, now
		} else if now.Sub(w.deadSince) >= lockGrace {
			return true, false
		}
	} else {
		w.dead = 0
	}
	if now.Sub(w.start) >= timeout {
		return false, true
	}
	if w.spins < 512 {
		runtime.Gosched()
	} else {
		time.Sleep(20 * time.Microsecond)
	}
	return false, false
}

// holderName says who holds a lock, for timeout messages.
func holderName(holder uint32) string {
	if holder == anonymousHolder {
		return "a process that does not record its id (libsharedmemory stores 1)"
	}
	return "process " + strconv.FormatUint(uint64(holder), 10)
}

func (s *Stream) lockTimeoutError(holder uint32) error {
	return newError(KindLockTimeout, s.seg.name,
		"lock of shared memory segment %q is held by %s; gave up after %d ms",
		s.seg.name, holderName(holder), s.lockTimeout.Milliseconds())
}

func (s *Stream) lockWord() *uint32 { return s.word(v2Lock) }

// lock takes the v2 write lock, waiting at most lockTimeout.
func (s *Stream) lock() error {
	w := s.lockWord()
	if atomic.CompareAndSwapUint32(w, 0, ownTag) {
		return nil
	}
	var wt waiter
	for {
		holder := atomic.LoadUint32(w)
		if holder == 0 {
			if atomic.CompareAndSwapUint32(w, 0, ownTag) {
				return nil
			}
			continue
		}
		takeOver, timedOut := wt.pause(s.lockTimeout, holder, true)
		if timedOut {
			return s.lockTimeoutError(holder)
		}
		if takeOver && s.takeOver(holder) {
			return nil
		}
	}
}

func (s *Stream) unlock() { atomic.StoreUint32(s.lockWord(), 0) }

// takeOver seizes the lock from a dead holder. The holder died inside a write, so the payload may
// be half written: it is replaced by an empty payload with no type bit under a new revision, so no
// reader ever sees the torn bytes as a message. It returns false if someone else got there first.
func (s *Stream) takeOver(dead uint32) bool {
	if !atomic.CompareAndSwapUint32(s.lockWord(), dead, ownTag) {
		return false
	}
	putU32(s.mem[v2Size:], 0)
	s.mem[0] = nextFlags(s.mem[0], 0)
	atomic.AddUint32(s.word(v2Revision), 1)
	return true
}
