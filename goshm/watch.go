package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"time"
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

// Watcher runs one goroutine that reports changes of a header word until Stop.
type Watcher struct {
	stream *Stream
	addr   *uint32
	stop   atomic.Bool
	done   chan struct{}
	err    error
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
	return err == nil && rev != s.seen, err
}

// Seen is the revision of the value this stream last read (0 before its first read).
func (s *Stream) Seen() uint32 { return s.seen }

// MarkAsRead stores into ack the revision of the value this stream last read (the current
// revision if it has read nothing), and wakes writers waiting for it.
func (s *Stream) MarkAsRead() (err error) {
	defer s.guard(&err, debug.SetPanicOnFault(true))
	if err := s.needV2("markAsRead"); err != nil {
		return err
	}
	rev := s.seen
	if !s.hasRead {
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
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	off, hint := v2Revision, hintRevision
	if f == FieldAck {
		off, hint = v2Ack, hintAck
	}
	w := &Watcher{stream: s, addr: s.word(off), done: make(chan struct{})}
	s.watchMu.Lock()
	if s.watchers == nil {
		s.watchers = make(map[*Watcher]struct{})
	}
	s.watchers[w] = struct{}{}
	s.watchMu.Unlock()
	go w.run(hint, poll, notify)
	return w, nil
}

func (w *Watcher) run(hint int, poll time.Duration, notify func(uint32)) {
	defer close(w.done)
	w.err = w.loop(hint, poll, notify)
}

// loop ends when stopped, or with a KindFault error when the segment is truncated under it.
func (w *Watcher) loop(hint int, poll time.Duration, notify func(uint32)) (err error) {
	defer w.stream.guard(&err, debug.SetPanicOnFault(true))
	mem, writable := w.stream.mem, !w.stream.seg.readOnly
	last := atomic.LoadUint32(w.addr)
	for !w.stop.Load() {
		if writable && mem[hint] == 0 {
			mem[hint] = 1
		}
		v := atomic.LoadUint32(w.addr)
		if v != last {
			last = v
			notify(v)
			continue
		}
		futexWait(w.addr, v, poll)
	}
	// Writers stop paying for wake-ups; other watchers set the hint again within one poll interval.
	if writable {
		mem[hint] = 0
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
	s := w.stream
	s.watchMu.Lock()
	delete(s.watchers, w)
	s.watchMu.Unlock()
	return w.err
}

// stopWatchers ends every watcher of the stream; Close calls it before unmapping.
func (s *Stream) stopWatchers() {
	s.watchMu.Lock()
	ws := make([]*Watcher, 0, len(s.watchers))
	for w := range s.watchers {
		ws = append(ws, w)
	}
	s.watchMu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
}
