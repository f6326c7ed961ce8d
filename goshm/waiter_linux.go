// One waiter for many watches: on Linux 5.16 and later, a goroutine waits on up to 127 watched
// words at once with futex_waitv, so the threads and the idle wake-ups of a process do not grow
// with its watches. Where futex_waitv is missing or forbidden, each watch keeps its own goroutine
// (watch.go).

//go:build linux

package goshm

import (
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	sysFutexWaitv = 449 // futex_waitv(2); the number is the same on every Linux architecture
	futex2Size32  = 0x02
	futex2Private = 128 // FUTEX_PRIVATE_FLAG: only for the group's own word, never a shared mapping's
	// futexWaitvMax is the kernel's limit on the words of one call; one of them is the group's own.
	futexWaitvMax = 128
	groupWatches  = futexWaitvMax - 1
)

// futexWaitv is the kernel's struct futex_waitv.
type futexWaitv struct {
	val      uint64
	uaddr    uint64
	flags    uint32
	reserved uint32
}

var (
	groupsMu  sync.Mutex
	groups    []*waitGroup
	waitvOnce sync.Once
	waitvOK   bool
)

// hasWaitv reports whether futex_waitv works here: a kernel before 5.16 answers ENOSYS, a seccomp
// filter (containers) EPERM or ENOSYS. A word that is not the value given must answer EAGAIN.
func hasWaitv() bool {
	waitvOnce.Do(func() {
		word := uint32(1)
		v := futexWaitv{val: 0, uaddr: uint64(uintptr(unsafe.Pointer(&word))), flags: futex2Size32 | futex2Private}
		_, _, errno := unix.Syscall6(sysFutexWaitv, uintptr(unsafe.Pointer(&v)), 1, 0, 0, 0, 0)
		waitvOK = errno == unix.EAGAIN
	})
	return waitvOK
}

// waitGroup is one waiting goroutine and the watches it serves. ctl is a private futex word among
// the ones it waits on: joining or stopping a watch moves it and wakes the goroutine.
type waitGroup struct {
	ctl      uint32
	mu       sync.Mutex
	incoming []*Watcher // joined, not yet taken up by the goroutine (mu)
	members  int        // watches assigned and not finished (groupsMu)
	ws       []*Watcher // the goroutine's own
	lastTick int64      // the poll tick of every watch of the group: one timeout for all
	due      int64      // the next one
	vec      [futexWaitvMax]futexWaitv
}

// joinGroup hands w to a group with room, starting one when none has any. Reports false where
// futex_waitv is not available: the caller then runs the watch on its own goroutine.
func joinGroup(w *Watcher) bool {
	if !hasWaitv() {
		return false
	}
	groupsMu.Lock()
	var g *waitGroup
	for _, c := range groups {
		if c.members < groupWatches {
			g = c
			break
		}
	}
	if g == nil {
		g = &waitGroup{}
		groups = append(groups, g)
		go g.run()
	}
	g.members++
	w.group = g
	groupsMu.Unlock()
	g.mu.Lock()
	g.incoming = append(g.incoming, w)
	g.mu.Unlock()
	g.kick()
	return true
}

func (g *waitGroup) kick() {
	atomic.AddUint32(&g.ctl, 1)
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&g.ctl)), futexWakeOp|futex2Private, 1, 0, 0, 0)
}

// The group's clock: CLOCK_MONOTONIC nanoseconds, the clock futex_waitv's deadline is given in
// (Go's monotonic time is the same clock, read without a system call).
var (
	monoBase  int64
	monoStart = time.Now()
)

func init() {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) == nil {
		monoBase = ts.Nano() - int64(time.Since(monoStart))
	}
}

func monoNow() int64 { return monoBase + int64(time.Since(monoStart)) }

// run serves the group until it has no watch left. Each round looks at every watch (see pass) and
// then waits for the first of: a wake on a watched word, a word that is no longer the value seen,
// the group's own word (a watch joined or stopped), or the earliest poll tick of a watch.
func (g *waitGroup) run() {
	debug.SetPanicOnFault(true) // the goroutine is ours: a truncated segment becomes a panic in pass
	woken := -1
	faults := 0
	for {
		gen := atomic.LoadUint32(&g.ctl)
		g.mu.Lock()
		g.ws = append(g.ws, g.incoming...)
		clear(g.incoming)
		g.incoming = g.incoming[:0]
		g.mu.Unlock()
		if len(g.ws) == 0 && g.retire() {
			return
		}
		now := monoNow()
		tick := now >= g.due
		if tick {
			g.lastTick = now
		}
		next := int64(math.MaxInt64)
		n := 0
		for i, w := range g.ws {
			if w.stop.Load() {
				w.finish(nil)
				continue
			}
			if err := w.pass(now, i == woken, tick); err != nil {
				w.finish(err)
				continue
			}
			g.ws[n] = w
			g.vec[n] = futexWaitv{val: uint64(w.last), uaddr: uint64(uintptr(unsafe.Pointer(w.addr.Load()))), flags: futex2Size32}
			next = min(next, w.interval(now))
			n++
		}
		woken = -1
		deadline := int64(math.MaxInt64)
		if n > 0 {
			deadline = g.lastTick + next
		}
		g.due = deadline
		if n < len(g.ws) {
			clear(g.ws[n:])
			g.ws = g.ws[:n]
			// An ended watch cleared its hint byte, which another watch of the same word may
			// still need: one more round sets it again before anyone waits.
			continue
		}
		g.vec[n] = futexWaitv{val: uint64(gen), uaddr: uint64(uintptr(unsafe.Pointer(&g.ctl))), flags: futex2Size32 | futex2Private}
		var tsp unsafe.Pointer
		var ts unix.Timespec
		if deadline != math.MaxInt64 {
			ts = unix.NsecToTimespec(deadline)
			tsp = unsafe.Pointer(&ts)
		}
		if faults > 1 {
			// A word the kernel cannot read but Go can (nothing faulted in pass): wait by the
			// clock instead of spinning on EFAULT.
			time.Sleep(time.Duration(max(0, deadline-monoNow())))
			faults = 0
			continue
		}
		r, _, errno := unix.Syscall6(sysFutexWaitv, uintptr(unsafe.Pointer(&g.vec[0])), uintptr(n+1), 0,
			uintptr(tsp), unix.CLOCK_MONOTONIC, 0)
		switch {
		case errno == 0:
			if int(r) < n {
				woken = int(r)
			}
			faults = 0
		case errno == unix.EFAULT:
			faults++ // the next pass meets the fault of a truncated segment and ends its watch
		default:
			faults = 0 // EAGAIN (a word moved: the next pass sees it), ETIMEDOUT, EINTR
		}
	}
}

// retire removes a group left without watches, unless one joined meanwhile (joining counts the
// member first, under the same lock), and reports whether its goroutine may end.
func (g *waitGroup) retire() bool {
	groupsMu.Lock()
	defer groupsMu.Unlock()
	if g.members > 0 {
		return false
	}
	for i, c := range groups {
		if c == g {
			groups = append(groups[:i], groups[i+1:]...)
			break
		}
	}
	return true
}

// leave counts a finished watch out of its group.
func (g *waitGroup) leave() {
	groupsMu.Lock()
	g.members--
	groupsMu.Unlock()
}

// The segment folder's changes, from inotify: a follow check (reattach.go) needs the lstat of its
// name only if a name of the folder may have been created, removed, renamed or resized since its
// last look. Events are only counted; their names are not looked at.
var names struct {
	once  sync.Once
	mu    sync.Mutex
	fd    int // -1: no inotify (limits reached, or refused): every check looks
	epoch uint64
	buf   [4096]byte
}

// namesEpoch returns a number that has moved if the segment folder may have changed since an earlier
// call returned it, and false when that cannot be known.
func namesEpoch() (uint64, bool) {
	names.once.Do(func() {
		names.fd = -1
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			return
		}
		const mask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_MODIFY |
			unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
		if _, err := unix.InotifyAddWatch(fd, strings.TrimSuffix(shmDir, "/"), mask); err != nil {
			unix.Close(fd)
			return
		}
		names.fd = fd
		names.epoch = 1 // a watch's first check (namesSeen 0) always looks
	})
	if names.fd < 0 {
		return 0, false
	}
	names.mu.Lock()
	defer names.mu.Unlock()
	for {
		// Events (an overflow too) only move the epoch.
		n, err := unix.Read(names.fd, names.buf[:])
		if err == unix.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			break
		}
		names.epoch++
	}
	return names.epoch, true
}
