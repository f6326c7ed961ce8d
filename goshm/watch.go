package goshm

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Change detection for layout v2. The revision (offset 4) moves at the end of every write and the
// ack (offset 8) whenever a reader marks a message read. A Watcher waits on one of these words
// with a futex and reports each change. Two of the three padding bytes of the v2 header are used
// as hints "someone is futex-waiting on this word": byte 1 for the revision, byte 2 for the ack.
// This engine's writers (and markAsRead) issue a wake only when the hint is set, so an unwatched
// write costs one byte load more. Peers that never wake anyone (the C++ library ignores these
// bytes) are still noticed, because every wait is bounded by the poll interval.

// Field is a watchable word of the v2 header.
type Field int

const (
	FieldRevision Field = 0
	FieldAck      Field = 1
)

const (
	hintRevision = 1
	hintAck      = 2
)

// DefaultPollInterval bounds how late a change by a peer that does not wake us is noticed.
const DefaultPollInterval = 2 * time.Millisecond

// Watcher runs one goroutine that reports changes of a 32-bit word of a mapping until Stop.
type Watcher struct {
	seg   *Segment
	mem   []byte
	addr  *uint32
	hint  int // index of the byte that tells wakers someone waits, or -1
	owner *watchSet
	stop  atomic.Bool
	done  chan struct{}
	err   error
}

// watchSet is the watchers of one Stream or Queue, stopped together when it closes.
type watchSet struct {
	mu sync.Mutex
	m  map[*Watcher]struct{}
}

// start runs a watcher on the word at off of seg's mapping.
func (ws *watchSet) start(seg *Segment, off, hint int, poll time.Duration, notify func(uint32)) *Watcher {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	mem := seg.Bytes()
	if seg.readOnly {
		hint = -1
	}
	w := &Watcher{seg: seg, mem: mem, addr: (*uint32)(unsafe.Pointer(&mem[off])), hint: hint, owner: ws,
		done: make(chan struct{})}
	ws.mu.Lock()
	if ws.m == nil {
		ws.m = make(map[*Watcher]struct{})
	}
	ws.m[w] = struct{}{}
	ws.mu.Unlock()
	// The baseline is taken here, before Watch returns, not when the goroutine first runs: a
	// change made between the two would otherwise become the baseline and never be reported.
	go w.run(atomic.LoadUint32(w.addr), poll, notify)
	return w
}

// stopAll ends every watcher; Close calls it before unmapping.
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

// Revision is the current revision (layout v2 only).
func (s *Stream) Revision() (rev uint32, err error) {
	defer s.guard(&err, debug.SetPanicOnFault(true))
	if err := s.needV2("revision"); err != nil {
		return 0, err
	}
	return atomic.LoadUint32(s.word(v2Revision)), nil
}

// Ack is the revision a reader last marked as read (layout v2 only).
func (s *Stream) Ack() (ack uint32, err error) {
	defer s.guard(&err, debug.SetPanicOnFault(true))
	if err := s.needV2("ack"); err != nil {
		return 0, err
	}
	return atomic.LoadUint32(s.word(v2Ack)), nil
}

// HasNewData reports whether the revision differs from the one this stream last read.
func (s *Stream) HasNewData() (bool, error) {
	rev, err := s.Revision()
	return err == nil && rev != s.reader.Seen, err
}

// Seen is the revision of the value this stream last read (0 before its first read).
func (s *Stream) Seen() uint32 { return s.reader.Seen }

// MarkAsRead stores into ack the revision of the value this stream last read (the current
// revision if it has read nothing), and wakes writers waiting for it.
func (s *Stream) MarkAsRead() (err error) {
	defer s.guard(&err, debug.SetPanicOnFault(true))
	if err := s.needV2("markAsRead"); err != nil {
		return err
	}
	rev := s.reader.Seen
	if s.reader.HasRead == 0 {
		rev = atomic.LoadUint32(s.word(v2Revision))
	}
	ack := s.word(v2Ack)
	atomic.StoreUint32(ack, rev)
	if s.mem[hintAck] != 0 {
		futexWake(ack)
	}
	return nil
}

// IsMessageRead reports whether ack == revision: a reader has marked the latest write as read.
func (s *Stream) IsMessageRead() (read bool, err error) {
	defer s.guard(&err, debug.SetPanicOnFault(true))
	if err := s.needV2("isMessageRead"); err != nil {
		return false, err
	}
	return atomic.LoadUint32(s.word(v2Ack)) == atomic.LoadUint32(s.word(v2Revision)), nil
}

func (s *Stream) needV2(what string) error {
	if s.mem == nil {
		return s.closedError()
	}
	if s.layout != LayoutV2 {
		return newError(KindUnsupported, s.seg.name,
			"%s needs layout v2; shared memory segment %q uses layout %s, which has no revision or ack",
			what, s.seg.name, s.layout)
	}
	return nil
}

// Watch starts a goroutine that calls notify with the new value each time the field changes.
// notify runs on that goroutine; calls are never concurrent. Changes that happen while notify
// runs are coalesced: the next call carries the latest value. Stop the watcher (or Close the
// stream) to end it.
func (s *Stream) Watch(f Field, poll time.Duration, notify func(value uint32)) (*Watcher, error) {
	if err := s.needV2("watching"); err != nil {
		return nil, err
	}
	off, hint := v2Revision, hintRevision
	if f == FieldAck {
		off, hint = v2Ack, hintAck
	}
	return s.watchers.start(s.seg, off, hint, poll, notify), nil
}

func (w *Watcher) run(last uint32, poll time.Duration, notify func(uint32)) {
	defer close(w.done)
	w.err = w.loop(last, poll, notify)
	if w.err != nil && !w.stop.Load() {
		// The segment faulted under us (truncated or removed). One last notification makes the
		// receiver look again, meet the fault itself and fail its waits, instead of waiting on a
		// watcher that has ended.
		notify(0)
	}
}

// loop ends when stopped, or with a KindFault error when the segment is truncated under it.
//
// Comparing values alone would miss changes that undo each other between two looks (a queue's
// count going 3 -> 4 -> 3 while a waiting producer is being notified: its retry found the queue
// full, and the slot freed afterwards looks like no change). So every wake-up, and a word that
// moved between our look and the wait, notifies too; and after any notification one more follows
// at the next poll timeout, which covers a wake sent while we were busy notifying. The receiver
// re-checks the real state each time, so extra notifications only cost a look.
func (w *Watcher) loop(last uint32, poll time.Duration, notify func(uint32)) (err error) {
	defer w.seg.guard(&err, debug.SetPanicOnFault(true))
	confirm := false
	for !w.stop.Load() {
		if w.hint >= 0 && w.mem[w.hint] == 0 {
			w.mem[w.hint] = 1
		}
		v := atomic.LoadUint32(w.addr)
		if v != last {
			last, confirm = v, true
			notify(v)
			continue
		}
		woken := futexWait(w.addr, v, poll)
		if w.stop.Load() {
			break
		}
		if woken || confirm {
			confirm = woken
			notify(atomic.LoadUint32(w.addr))
		}
	}
	// Writers stop paying for wake-ups; other watchers set the hint again within one poll interval.
	if w.hint >= 0 {
		w.mem[w.hint] = 0
	}
	return nil
}

// Stop ends the watcher and waits for its goroutine, so notify is never called after Stop
// returns. Stopping twice is fine.
func (w *Watcher) Stop() error {
	if w.stop.CompareAndSwap(false, true) {
		futexWake(w.addr) // wakes every waiter on the word, in every process: they re-check and wait again
	}
	<-w.done
	w.owner.mu.Lock()
	delete(w.owner.m, w)
	w.owner.mu.Unlock()
	return w.err
}
