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

// holderLive reports whether holder is a process this engine can tell is alive: its pid is a live
// process here (this one included: another thread of it may be inside an operation), or a
// descriptor on the segment announces it. The C++ library's 1 names nobody, so it is never known
// alive.
func (p *presence) holderLive(holder uint32) bool {
	if holder == 0 || holder == anonymousHolder {
		return false
	}
	if holder == ownTag || sys.pidAlive(holder) {
		return true
	}
	if p == nil || p.fd < 0 {
		return false
	}
	held, known := sys.announced(p.fd, holder)
	return known && held
}

// staleRule is the opt-in policy for holders that cannot be judged (StreamOptions and
// QueueOptions StaleLockTimeout): a lock whose word stays the same non-zero value, while the word
// progress (the stream's revision, the queue's index of that side) does not move either, for after
// is taken over as a dead holder's would be, unless its holder is known alive (holderLive). The C++
// library stores 1 for every holder, so the word alone cannot tell one long hold from two short
// ones: progress can. after 0 is off.
type staleRule struct {
	after    time.Duration
	progress *uint32
}

// waiter paces one wait for the lock: a short spin (holders keep it for one memcpy), then yields,
// then short sleeps, and decides when the wait has timed out or the holder is dead.
type waiter struct {
	spins     int
	start     time.Time
	dead      uint32
	deadSince time.Time

	stale         staleRule
	staleHolder   uint32
	staleProgress uint32
	staleSince    time.Time // zero: the clock is not running
	staleFired    bool      // the last takeOver was by the stale rule
}

// staleFor reports whether holder has held the word, with no progress, for the stale rule's time.
// Any other value, a free word (holder 0) or progress restarts the clock.
func (w *waiter) staleFor(now time.Time, holder uint32) bool {
	if w.stale.after <= 0 {
		return false
	}
	var progress uint32
	if w.stale.progress != nil {
		progress = atomic.LoadUint32(w.stale.progress)
	}
	if holder == 0 || w.staleSince.IsZero() || holder != w.staleHolder || progress != w.staleProgress {
		w.staleHolder, w.staleProgress, w.staleSince = holder, progress, now
		if holder == 0 {
			w.staleSince = time.Time{}
		}
		return false
	}
	return now.Sub(w.staleSince) >= w.stale.after
}

// pause waits a little. It reports takeOver when the holder has been dead for lockGrace (judged
// through judge, the caller's presence; nil when the caller cannot take the lock over), or when the
// stale rule says so (staleFired then), and timedOut once timeout has passed since the wait began.
// Streams and queues share it; each words its own timeout error.
func (w *waiter) pause(timeout time.Duration, holder uint32, judge *presence) (takeOver, timedOut bool) {
	w.spins++
	if holder == 0 {
		w.staleSince = time.Time{}
	}
	if w.spins < 64 {
		return false, false
	}
	now := time.Now()
	if w.start.IsZero() {
		w.start = now
	}
	w.staleFired = false
	if w.staleFor(now, holder) && judge != nil && !judge.holderLive(holder) {
		w.staleFired = true
		w.staleSince = time.Time{} // a failed takeover starts over
		return true, false
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
// dead (judged through judge) for lockGrace, or stale by rule, is handed to seize, which tries to
// take the word over from it and repair what it left, and reports whether the caller now holds the
// word; seize is only called on that slow path, so an uncontended acquire is one compare-and-swap.
// On timeout, holder is who held the word last, for the caller's message. staleBroken is the
// holder taken over by the stale rule (0 when none), for the caller to report.
func acquireWord(w *uint32, timeout time.Duration, judge *presence, rule staleRule,
	seize func(dead uint32) (held bool, err error)) (holder uint32, timedOut bool, staleBroken uint32, err error) {
	if atomic.CompareAndSwapUint32(w, 0, ownTag) {
		return 0, false, 0, nil
	}
	wt := waiter{stale: rule}
	for {
		holder = atomic.LoadUint32(w)
		if holder == 0 {
			if atomic.CompareAndSwapUint32(w, 0, ownTag) {
				return 0, false, 0, nil
			}
			continue
		}
		takeOver, timedOut := wt.pause(timeout, holder, judge)
		if timedOut {
			return holder, true, 0, nil
		}
		if !takeOver {
			continue
		}
		held, err := seize(holder)
		if err != nil {
			return holder, false, 0, err
		}
		if held {
			if wt.staleFired {
				staleBroken = holder
			}
			return 0, false, staleBroken, nil
		}
	}
}

// breakWord takes the lock word w over from whoever holds it, for an explicit BreakLock: it
// returns the holder it took the word from (the caller now holds it and must repair and release),
// or 0 when the word was free. A holder known alive (holderLive) is refused with KindLockHeld
// unless force: breaking it tears the operation it is in the middle of.
func breakWord(w *uint32, judge *presence, force bool, heldError func(holder uint32) error) (uint32, error) {
	// The word changes only when someone releases or takes it; a few rounds settle on one holder.
	for round := 0; ; round++ {
		holder := atomic.LoadUint32(w)
		if holder == 0 {
			return 0, nil
		}
		if (!force && judge.holderLive(holder)) || round >= 100 {
			return 0, heldError(holder)
		}
		if atomic.CompareAndSwapUint32(w, holder, ownTag) {
			return holder, nil
		}
	}
}

// lockHeldError is BreakLock's refusal of a holder known alive.
func lockHeldError(name, what string, holder uint32) error {
	return newError(KindLockHeld, name,
		"%s is held by %s, which is alive: breaking it would tear the operation it is in (force breaks it anyway)",
		what, holderName(holder))
}

func quote(s string) string { return strconv.Quote(s) }
