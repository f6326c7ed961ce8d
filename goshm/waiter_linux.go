// One waiter for many watches: on Linux 5.16 and later, a goroutine waits on up to 127 watched
// words at once with futex_waitv, so the threads and the idle wake-ups of a process do not grow
// with its watches. Where futex_waitv is missing or forbidden, each watch keeps its own goroutine
// (watch.go).

//go:build linux

package goshm

// #include "ticker_linux.h"
import "C"

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
	incoming []*Watcher        // joined, not yet taken up by the goroutine (mu)
	members  int               // watches assigned and not finished (groupsMu)
	ws       []*Watcher        // the goroutine's own
	ticker   *C.lsm_tick_group // its poll ticks (ticker_linux.c)
	vec      [futexWaitvMax]futexWaitv
	names    [futexWaitvMax]*C.lsm_tick_name
	freed    []*C.lsm_tick_name // names of ended watches, freed once the ticker no longer has them
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
		// The address is handed over as a number: g stays in groups, so alive and in place (Go
		// does not move heap objects), until retire has taken it back from the ticker.
		if g.ticker = C.lsm_tick_join(C.uintptr_t(uintptr(unsafe.Pointer(&g.ctl))), C.int64_t(w.poll)); g.ticker == nil {
			groupsMu.Unlock()
			return false
		}
		groups = append(groups, g)
		go g.run()
	}
	g.members++
	w.group = g
	groupsMu.Unlock()
	if w.owner.follow != nil && namesFD() >= 0 {
		name := w.seg.name
		w.tickName = unsafe.Pointer(C.lsm_tick_name_new(C._GoStringPtr(name), C.size_t(len(name))))
	}
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
// then waits, without a timeout, for the first of: a wake on a watched word, a word that is no
// longer the value seen, and the group's own word (a watch joined or stopped, or the ticker of
// ticker_linux.c handing over a poll tick that needs the goroutine).
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
		groupRounds.Add(1)
		now := monoNow()
		tick := C.lsm_tick_take(g.ticker) != 0
		active, minPoll := int64(math.MinInt64), int64(math.MaxInt64)
		owed, names := false, false
		n := 0
		for i, w := range g.ws {
			if w.stop.Load() {
				g.end(w, nil)
				continue
			}
			if err := w.pass(now, i == woken, tick); err != nil {
				g.end(w, err)
				continue
			}
			g.ws[n] = w
			g.vec[n] = futexWaitv{val: uint64(w.last), uaddr: uint64(uintptr(unsafe.Pointer(w.addr.Load()))), flags: futex2Size32}
			g.names[n] = (*C.lsm_tick_name)(w.tickName)
			active, minPoll = max(active, w.active), min(minPoll, int64(w.poll))
			owed = owed || w.confirm
			names = names || w.owner.follow != nil
			n++
		}
		woken = -1
		if n < len(g.ws) {
			clear(g.ws[n:])
			g.ws = g.ws[:n]
			// An ended watch cleared its hint byte, which another watch of the same word may
			// still need: one more round sets it again before anyone waits.
			continue
		}
		g.vec[n] = futexWaitv{val: uint64(gen), uaddr: uint64(uintptr(unsafe.Pointer(&g.ctl))), flags: futex2Size32 | futex2Private}
		if n > 0 {
			C.lsm_tick_publish(g.ticker, (*C.lsm_waitv)(unsafe.Pointer(&g.vec[0])), &g.names[0], C.uint32_t(n),
				C.int64_t(active), C.int64_t(minPoll), cBool(owed || (names && namesFD() < 0)))
		}
		for i, t := range g.freed {
			C.lsm_tick_name_free(t)
			g.freed[i] = nil
		}
		g.freed = g.freed[:0]
		if faults > 1 && n > 0 {
			// A word the kernel cannot read but Go can (nothing faulted in pass): wait for the
			// ticker's next tick instead of spinning on EFAULT.
			time.Sleep(time.Duration(minPoll))
			faults = 0
			continue
		}
		r, _, errno := unix.Syscall6(sysFutexWaitv, uintptr(unsafe.Pointer(&g.vec[0])), uintptr(n+1), 0, 0, 0, 0)
		switch {
		case errno == 0:
			if int(r) < n {
				woken = int(r)
			}
			faults = 0
		case errno == unix.EFAULT:
			faults++ // the next pass meets the fault of a truncated segment and ends its watch
		default:
			faults = 0 // EAGAIN (a word moved: the next pass sees it), EINTR
		}
	}
}

// end finishes w; the name it followed is freed after the next publish, which takes it from the ticker.
func (g *waitGroup) end(w *Watcher, err error) {
	w.finish(err)
	if w.tickName != nil {
		g.freed = append(g.freed, (*C.lsm_tick_name)(w.tickName))
	}
}

// groupRounds counts the rounds of every group (tests read it).
var groupRounds atomic.Int64

func cBool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
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
	C.lsm_tick_leave(g.ticker)
	g.ticker = nil
	for _, t := range g.freed {
		C.lsm_tick_name_free(t)
	}
	g.freed = nil
	return true
}

// leave counts a finished watch out of its group.
func (g *waitGroup) leave() {
	groupsMu.Lock()
	g.members--
	groupsMu.Unlock()
}

// The segment folder's changes, from inotify: a follow check (reattach.go) needs the lstat of its
// name only if inotify reported an event for that name since its last look. The ticker reads the
// events (ticker_linux.c); this process has one descriptor for them, made at the first need.
var names struct {
	once sync.Once
	fd   int // -1: no inotify (limits reached, or refused): every check looks
}

func namesFD() int {
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
		C.lsm_tick_names(C.int(fd))
	})
	return names.fd
}

// nameMayHaveChanged reports whether w's follow check must look its name up: always, unless the
// ticker reads the folder's events for it and has seen none since the last look.
func nameMayHaveChanged(w *Watcher) bool {
	if w.tickName == nil {
		return true
	}
	return atomic.SwapUint32((*uint32)(w.tickName), 0) != 0 // lsm_tick_name.changed, its first field
}
