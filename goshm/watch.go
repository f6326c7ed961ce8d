// Watchers: a goroutine that reports the changes of one 32-bit word of a mapping (a v2 stream's
// revision or ack, a queue's count) until it is stopped, its owner closes, or the mapping faults.
package goshm

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultPollInterval bounds how late a change by a peer that does not wake us is noticed.
const DefaultPollInterval = 2 * time.Millisecond

// Watcher runs one goroutine that calls its notify function: notify(value, false) after the word
// changed, then exactly once notify(value, true) when the watcher ends, whatever ends it.
type Watcher struct {
	seg      *Segment
	mem      []byte
	off      int                    // of the word in the mapping
	addr     atomic.Pointer[uint32] // the word: moves with the owner to a new segment (reattach.go)
	hint     int                    // index of the byte that tells wakers someone waits, or -1
	baseline uint32
	owner    *watchSet
	// Every change of interest leaves the word at a new value (a stream's revision, its ack): the
	// notifications for a wake that changed nothing, and the confirming one after each change,
	// are then only extra wake-ups of the event loop, and are not made. A queue's count can move
	// and come back between two looks, so its watches keep them.
	changesOnly bool
	// The owner moved to a new segment (reattach.go moved): the watcher follows at its next look.
	moved atomic.Bool
	stop  atomic.Bool
	done  chan struct{} // closed after the ended call has returned
	err   error         // why the goroutine ended: nil, or the fault; read after done

	// A watch served by a group (waiter_linux.go): the state loop keeps in locals, kept between
	// the group's rounds, and touched by the group's goroutine only. Times are monoNow's.
	group      *waitGroup
	poll       time.Duration
	notify     func(uint32, bool)
	last       uint32
	confirm    bool
	active     int64 // the word last moved or was woken
	lastFollow int64
	tickName   unsafe.Pointer // the ticker's record of the followed name (waiter_linux.go), or nil
}

// A grouped watch that has seen neither a change nor a wake for a while polls less often: its
// group's ticks (ticker_linux.c) come at a fiftieth of the quiet time, from the shortest poll
// interval of its watches up to 10 times it. Only peers that wake nobody (the C++ library) are
// noticed at a poll tick; this module's writers wake the watch at once.

// watchSet is the watchers of one Stream or Queue, stopped together when it closes.
type watchSet struct {
	mu     sync.Mutex
	m      map[*Watcher]struct{}
	follow *follower // the owner follows its name to new segments (reattach.go); nil if not
}

// start runs a watcher on the word at off of seg's mapping. The caller guards against faults:
// the baseline is read here.
func (ws *watchSet) start(seg *Segment, off, hint int, changesOnly bool, poll time.Duration, notify func(uint32, bool)) *Watcher {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	mem := seg.Bytes()
	if seg.readOnly {
		hint = -1
	}
	now := monoNow()
	w := &Watcher{seg: seg, mem: mem, off: off, hint: hint, owner: ws, done: make(chan struct{}),
		poll: poll, notify: notify, active: now, lastFollow: now, changesOnly: changesOnly}
	w.addr.Store(w.wordAt(off))
	// The baseline is taken here, before Watch returns, not when the goroutine first runs: a
	// change made between the two would otherwise become the baseline and never be reported.
	w.baseline = atomic.LoadUint32(w.addr.Load())
	w.last = w.baseline
	// The watcher's own reference: an owner that moves to a new segment releases the old one
	// while the watcher may still be on it.
	seg.Retain()
	ws.mu.Lock()
	if ws.m == nil {
		ws.m = make(map[*Watcher]struct{})
	}
	ws.m[w] = struct{}{}
	ws.mu.Unlock()
	if ownGoroutines.Load() || !joinGroup(w) {
		go w.run(poll, notify)
	}
	return w
}

// Test hooks (export_test.go): ownGoroutines gives every watch its own goroutine, as on systems
// without futex_waitv; beforeWait runs in such a goroutine just before it waits on the word.
var (
	ownGoroutines atomic.Bool
	beforeWait    atomic.Pointer[func(*Watcher)]
)

// list is the watchers of the set now.
func (ws *watchSet) list() []*Watcher {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	all := make([]*Watcher, 0, len(ws.m))
	for w := range ws.m {
		all = append(all, w)
	}
	return all
}

// stopAll ends every watcher; Close calls it before unmapping, so each ended call still finds
// the mapping in place.
func (ws *watchSet) stopAll() {
	all := ws.list()
	// All are told first, so that watches sharing a group end in one of its rounds.
	for _, w := range all {
		w.signal()
	}
	for _, w := range all {
		w.Stop()
	}
}

func (w *Watcher) wordAt(off int) *uint32 { return (*uint32)(unsafe.Pointer(&w.mem[off])) }

// Baseline is the word's value when the watch started: the changes after it are reported.
func (w *Watcher) Baseline() uint32 { return w.baseline }

func (w *Watcher) run(poll time.Duration, notify func(uint32, bool)) {
	defer close(w.done)
	last, err := w.loop(poll, notify)
	if err != nil {
		// The segment faulted under us (truncated or removed). The ended call still comes: the
		// receiver looks again and meets the fault itself, instead of waiting on a watcher that
		// has ended.
		last = 0
	}
	w.err = err
	notify(last, true)
	w.seg.Release()
}

// loop reports changes until stopped, and returns the word's value then; it ends early with a
// KindFault error when the segment is truncated under it.
//
// Comparing values alone would miss changes that undo each other between two looks (a queue's
// count going 3 -> 4 -> 3 while a waiting producer is being notified: its retry found the queue
// full, and the slot freed afterwards looks like no change). So every wake-up, and a word that
// moved between our look and the wait, notifies too; and after any notification one more follows
// at the next poll timeout, which covers a wake sent while we were busy notifying. The receiver
// re-checks the real state each time, so extra notifications only cost a look.
func (w *Watcher) loop(poll time.Duration, notify func(uint32, bool)) (last uint32, err error) {
	defer recoverFault(w.seg.name, &err, debug.SetPanicOnFault(true))
	last = w.baseline
	confirm := false
	lastFollow := time.Now()
	for !w.stop.Load() {
		if w.moved.Swap(false) && w.follow(false) {
			last, confirm = atomic.LoadUint32(w.addr.Load()), !w.changesOnly
			notify(last, false)
			continue
		}
		if w.hint >= 0 && w.mem[w.hint] == 0 {
			w.mem[w.hint] = 1
		}
		addr := w.addr.Load()
		v := atomic.LoadUint32(addr)
		if v != last {
			last, confirm = v, !w.changesOnly
			notify(v, false)
			continue
		}
		if f := beforeWait.Load(); f != nil {
			(*f)(w)
		}
		woken := sys.wait(addr, v, poll)
		if w.stop.Load() {
			break
		}
		// At most once a poll interval, however often writes wake us: it costs a system call.
		if w.owner.follow != nil && time.Since(lastFollow) >= poll {
			lastFollow = time.Now()
			if w.follow(true) {
				last, confirm = atomic.LoadUint32(w.addr.Load()), !w.changesOnly
				notify(last, false)
				continue
			}
		}
		if (woken && !w.changesOnly) || confirm {
			confirm = woken
			notify(atomic.LoadUint32(addr), false)
		}
	}
	// Writers stop paying for wake-ups; other watchers set the hint again within one poll interval.
	if w.hint >= 0 {
		w.mem[w.hint] = 0
	}
	return atomic.LoadUint32(w.addr.Load()), nil
}

// Stop ends the watcher and waits for its goroutine, so that the ended call has returned, and
// notify is never called again, once Stop returns. It returns the fault that ended the watcher
// first, if one did. Stopping twice is fine. Stop must not be called from notify.
func (w *Watcher) Stop() error {
	w.signal()
	w.awaitEnd()
	w.owner.mu.Lock()
	delete(w.owner.m, w)
	w.owner.mu.Unlock()
	return w.err
}

// awaitEnd waits for the watcher's goroutine to end. A watch with its own goroutine can miss the
// one wake signal sends: sent after the goroutine looked at the stop flag and before it began to
// wait on the word, it finds the word unchanged and sleeps a whole poll interval (a minute, with
// pollInterval 60000), with the caller's thread blocked here. So the wake is sent again every
// millisecond until the goroutine is gone. A group's kick moves a word of the group's own: none
// is lost.
func (w *Watcher) awaitEnd() {
	if w.group != nil {
		<-w.done
		return
	}
	again := time.NewTicker(time.Millisecond)
	defer again.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-again.C:
			sys.wake(w.addr.Load())
		}
	}
}

func (w *Watcher) signal() {
	if w.stop.CompareAndSwap(false, true) {
		if w.group != nil {
			w.group.kick()
		} else {
			sys.wake(w.addr.Load()) // wakes every waiter on the word, in every process: they re-check and wait again
		}
	}
}

// pass is a grouped watch's share of one round of its group (waiter_linux.go), by loop's rules:
// a changed word notifies; a wake notifies, and once more at the next tick; a tick follows the
// name (at most once a poll interval). A fault is returned: the group then ends the watch.
// The group's ticks are shared by its watches (one timeout for all): see interval.
func (w *Watcher) pass(now int64, woken, tick bool) (err error) {
	defer recoverFault(w.seg.name, &err, true)
	if w.moved.Swap(false) && w.follow(false) {
		w.last, w.confirm, w.active = atomic.LoadUint32(w.addr.Load()), !w.changesOnly, now
		w.notify(w.last, false)
		return nil
	}
	if w.hint >= 0 && w.mem[w.hint] == 0 {
		w.mem[w.hint] = 1
	}
	v := atomic.LoadUint32(w.addr.Load())
	if v != w.last {
		w.last, w.confirm, w.active = v, !w.changesOnly, now
		w.notify(v, false)
		return nil
	}
	if (woken || tick) && w.owner.follow != nil && now-w.lastFollow >= int64(w.poll) {
		w.lastFollow = now
		// The name is looked up (an lstat) only when it may have changed since the last look:
		// with many quiet watches those lookups were most of their cost.
		if w.follow(nameMayHaveChanged(w)) {
			w.last, w.confirm, w.active = atomic.LoadUint32(w.addr.Load()), !w.changesOnly, now
			w.notify(w.last, false)
			return nil
		}
	}
	if woken && w.changesOnly {
		w.active = now
	} else if woken {
		w.confirm, w.active = true, now
		w.notify(v, false)
	} else if tick && w.confirm {
		w.confirm = false
		w.notify(v, false)
	}
	return nil
}

// finish ends a grouped watch as run ends its own goroutine's: the hint is cleared, the ended call
// made (value 0 after a fault), the segment let go and Stop released.
func (w *Watcher) finish(err error) {
	last := uint32(0)
	if err == nil {
		last, err = w.quit()
	}
	if err != nil {
		last = 0
	}
	w.err = err
	w.notify(last, true)
	w.seg.Release()
	w.group.leave()
	close(w.done)
}

func (w *Watcher) quit() (last uint32, err error) {
	defer recoverFault(w.seg.name, &err, true)
	if w.hint >= 0 {
		w.mem[w.hint] = 0
	}
	return atomic.LoadUint32(w.addr.Load()), nil
}
