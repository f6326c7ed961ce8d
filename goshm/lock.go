// The lock words of layout v2 (the stream's write lock, the queue's producer and consumer locks):
// waiting for one, taking it, and taking it over from a holder that died.
package goshm

import (
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// A lock word is 0 when free and non-zero when held. libsharedmemory stores 1; this engine stores
// its process id, so that a waiter can tell a holder that died (SIGKILL in the middle of a write)
// from one that is merely slow, and take the lock over.
//
// A process id only means something in the PID namespace that issued it: a live writer in another
// container that shares /dev/shm looks dead from here, or like an unrelated process. So the pid
// alone never condemns a holder. Every Stream and Queue that can hold a lock also announces its
// presence on the segment file (sys.announce: an open-file-description lock on the byte of its
// tag, kept by the kernel exactly as long as the process lives, visible from every namespace). A
// holder is judged dead only when both say so: its pid is not a live process here, and no
// descriptor on the segment announces its tag. A live holder of this version always announces,
// so its lock is never taken over, wherever it runs; a dead one announces nothing, and is taken
// over as before when its pid is gone here too. The word itself stays the pid, so older versions
// and the C fast path (which stores LockTag) see what they always saw: a namespace tag in its high
// bits would be a number above pid_max, which older versions judge dead at once (and a tag of a
// few bits still collides between namespaces, so it could not make "never" true anyway).

// DefaultLockTimeout bounds every wait for a lock unless StreamOptions or QueueOptions say otherwise.
const DefaultLockTimeout = time.Second

// lockGrace is how long a holder must be seen dead before its lock is taken over, so that no
// single look decides: an older peer (which announces nothing) judged by its pid alone gets the
// same 50 ms as before.
const lockGrace = 50 * time.Millisecond

// anonymousHolder is what the C++ library stores: such a holder can only be timed out.
const anonymousHolder = 1

var ownTag = uint32(os.Getpid())

// LockTag is the value this process stores in a v2 lock word it holds (its process id).
func LockTag() uint32 { return ownTag }

// presence is a Stream's or Queue's announcement on its segment (see above), and the descriptor
// through which it asks about other holders. fd is -1 when the OS cannot announce: then no holder
// can be proved dead and locks only time out.
type presence struct{ fd int }

// announcePresence announces this process on seg. A read-only mapping never holds or takes over
// a lock, so it announces nothing (nil).
func announcePresence(seg *Segment) (*presence, error) {
	if seg.readOnly {
		return nil, nil
	}
	fd, unsupported, err := sys.announce(seg.name, seg.mem, ownTag)
	if err != nil {
		return nil, err
	}
	if unsupported {
		return &presence{fd: -1}, nil
	}
	return &presence{fd: fd}, nil
}

// withdraw ends the announcement; twice is fine.
func (p *presence) withdraw() {
	if p != nil && p.fd >= 0 {
		sys.withdraw(p.fd)
		p.fd = -1
	}
}

// holderDead reports whether the process that stored holder can no longer release it: its pid is
// not a live process in our namespace, and nobody announces its tag on the segment. A kernel that
// does not answer proves nothing, so the holder stays alive.
func (p *presence) holderDead(holder uint32) bool {
	if p == nil || p.fd < 0 || holder == 0 || holder == anonymousHolder || sys.pidAlive(holder) {
		return false
	}
	held, known := sys.announced(p.fd, holder)
	return known && !held
}

// waiter paces one wait for the lock: a short spin (holders keep it for one memcpy), then yields,
// then short sleeps, and decides when the wait has timed out or the holder is dead.
type waiter struct {
	spins     int
	start     time.Time
	dead      uint32
	deadSince time.Time
}

// pause waits a little. It reports takeOver when the holder has been dead for lockGrace (judged
// through judge, the caller's presence; nil when the caller cannot take the lock over), and
// timedOut once timeout has passed since the wait began. Streams and queues share it; each words
// its own timeout error.
func (w *waiter) pause(timeout time.Duration, holder uint32, judge *presence) (takeOver, timedOut bool) {
	w.spins++
	if w.spins < 64 {
		return false, false
	}
	now := time.Now()
	if w.start.IsZero() {
		w.start = now
	}
	if judge.holderDead(holder) {
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

// acquireWord takes the lock word w for this process, waiting at most timeout. A holder seen
// dead (judged through judge) for lockGrace is handed to seize, which tries to take the word over
// from it and repair what it left, and reports whether the caller now holds the word; seize is only called on that
// slow path, so an uncontended acquire is one compare-and-swap. On timeout, holder is who held the
// word last, for the caller's message.
func acquireWord(w *uint32, timeout time.Duration, judge *presence, seize func(dead uint32) (held bool, err error)) (holder uint32, timedOut bool, err error) {
	if atomic.CompareAndSwapUint32(w, 0, ownTag) {
		return 0, false, nil
	}
	var wt waiter
	for {
		holder = atomic.LoadUint32(w)
		if holder == 0 {
			if atomic.CompareAndSwapUint32(w, 0, ownTag) {
				return 0, false, nil
			}
			continue
		}
		takeOver, timedOut := wt.pause(timeout, holder, judge)
		if timedOut {
			return holder, true, nil
		}
		if !takeOver {
			continue
		}
		held, err := seize(holder)
		if err != nil {
			return holder, false, err
		}
		if held {
			return 0, false, nil
		}
	}
}
