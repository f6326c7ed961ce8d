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
	stop     atomic.Bool
	done     chan struct{} // closed after the ended call has returned
	err      error         // why the goroutine ended: nil, or the fault; read after done
}

// watchSet is the watchers of one Stream or Queue, stopped together when it closes.
type watchSet struct {
	mu     sync.Mutex
	m      map[*Watcher]struct{}
	follow *follower // the owner follows its name to new segments (reattach.go); nil if not
}

// start runs a watcher on the word at off of seg's mapping. The caller guards against faults:
// the baseline is read here.
func (ws *watchSet) start(seg *Segment, off, hint int, poll time.Duration, notify func(uint32, bool)) *Watcher {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	mem := seg.Bytes()
	if seg.readOnly {
		hint = -1
	}
	w := &Watcher{seg: seg, mem: mem, off: off, hint: hint, owner: ws, done: make(chan struct{})}
	w.addr.Store(w.wordAt(off))
	// The baseline is taken here, before Watch returns, not when the goroutine first runs: a
	// change made between the two would otherwise become the baseline and never be reported.
	w.baseline = atomic.LoadUint32(w.addr.Load())
	// The watcher's own reference: an owner that moves to a new segment releases the old one
	// while the watcher may still be on it.
	seg.Retain()
	ws.mu.Lock()
	if ws.m == nil {
		ws.m = make(map[*Watcher]struct{})
	}
	ws.m[w] = struct{}{}
	ws.mu.Unlock()
	go w.run(poll, notify)
	return w
}

// stopAll ends every watcher; Close calls it before unmapping, so each ended call still finds
// the mapping in place.
func (ws *watchSet) stopAll() {
	ws.mu.Lock()
	all := make([]*Watcher, 0, len(ws.m))
	for w := range ws.m {
		all = append(all, w)
	}
	ws.mu.Unlock()
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
		if w.hint >= 0 && w.mem[w.hint] == 0 {
			w.mem[w.hint] = 1
		}
		addr := w.addr.Load()
		v := atomic.LoadUint32(addr)
		if v != last {
			last, confirm = v, true
			notify(v, false)
			continue
		}
		woken := sys.wait(addr, v, poll)
		if w.stop.Load() {
			break
		}
		// At most once a poll interval, however often writes wake us: it costs a system call.
		if w.owner.follow != nil && time.Since(lastFollow) >= poll {
			lastFollow = time.Now()
			if w.follow() {
				last, confirm = atomic.LoadUint32(w.addr.Load()), true
				notify(last, false)
				continue
			}
		}
		if woken || confirm {
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
	if w.stop.CompareAndSwap(false, true) {
		sys.wake(w.addr.Load()) // wakes every waiter on the word, in every process: they re-check and wait again
	}
	<-w.done
	w.owner.mu.Lock()
	delete(w.owner.m, w)
	w.owner.mu.Unlock()
	return w.err
}
