// The revision and ack words of a v2 stream: whether there is news since this stream's last read,
// marking it read, and watching either word.
package goshm

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// The revision moves at the end of every write and the ack whenever a reader marks a message
// read. A Watcher waits on one of these words with a futex and reports each change. Two of the
// three padding bytes of the v2 header are hints "someone is futex-waiting on this word"
// (V2HintRevision, V2HintAck): this engine's writers (and MarkAsRead) issue a wake only when the
// hint is set, so an unwatched write costs one byte load more. Peers that never wake anyone (the
// C++ library ignores these bytes) are still noticed, because every wait is bounded by the poll
// interval.

// Field is a watchable word of the v2 header.
type Field int

const (
	FieldRevision Field = 0
	FieldAck      Field = 1
)

// Revision is the current revision (layout v2 only).
func (s *Stream) Revision() (rev uint32, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if err := s.needV2("revision"); err != nil {
		return 0, err
	}
	return atomic.LoadUint32(s.word(V2Revision)), nil
}

// Ack is the revision a reader last marked as read (layout v2 only).
func (s *Stream) Ack() (ack uint32, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if err := s.needV2("ack"); err != nil {
		return 0, err
	}
	return atomic.LoadUint32(s.word(V2Ack)), nil
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
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if err := s.needV2("markAsRead"); err != nil {
		return err
	}
	rev := s.reader.Seen
	if s.reader.HasRead == 0 {
		rev = atomic.LoadUint32(s.word(V2Revision))
	}
	ack := s.word(V2Ack)
	atomic.StoreUint32(ack, rev)
	if s.mem[V2HintAck] != 0 {
		sys.wake(ack)
	}
	return nil
}

// IsMessageRead reports whether ack == revision: a reader has marked the latest write as read.
func (s *Stream) IsMessageRead() (read bool, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if err := s.needV2("isMessageRead"); err != nil {
		return false, err
	}
	return atomic.LoadUint32(s.word(V2Ack)) == atomic.LoadUint32(s.word(V2Revision)), nil
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
	s.maybeReattach()
	return nil
}

// Watch starts a goroutine that calls notify(value, false) with the new value each time the field
// changes, and notify(value, true) once when the watch ends: on Stop, on the stream's Close, or
// when the segment faults (value 0 then). notify runs on that goroutine; calls are never
// concurrent. Changes that happen while notify runs are coalesced: the next call carries the
// latest value.
func (s *Stream) Watch(f Field, poll time.Duration, notify func(value uint32, ended bool)) (w *Watcher, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if err := s.needV2("watching"); err != nil {
		return nil, err
	}
	off, hint := V2Revision, V2HintRevision
	if f == FieldAck {
		off, hint = V2Ack, V2HintAck
	}
	return s.watchers.start(s.seg, off, hint, true, poll, notify), nil
}
