// Following a name to a new segment: libsharedmemory's create() unlinks the name and makes a new
// segment under it, so a C++ writer that restarts leaves every reader opened before on the old,
// orphaned object, which nobody writes any more. A reader with reattach enabled notices that its
// name now refers to another object and maps that one instead.
package goshm

import (
	"sync/atomic"
	"time"
)

// ReattachState is what a following stream shares with code outside the engine (the C fast path
// of goshm/cabi keeps it in its own state, next to the ReaderState): Due asks the stream's next
// read or query to check its name now, Generation counts the segments it has moved to. Its layout
// is fixed (two u32) for that reason.
type ReattachState struct {
	Due        uint32 // set by anyone (a watcher, the fast path's clock); cleared by the check
	Generation uint32 // moved by the stream's own thread, after the swap
}

// follower is the reattach state of a Stream that the goroutines of its watchers read too; every
// field is guarded by the owner's watchSet.mu.
type follower struct {
	seg *Segment // the stream's segment now: watchers move to it
	// The last object refused (too small, not mappable): not tried again until the name refers
	// to another object or its size changes, so a peer that leaves garbage under the name costs
	// one lstat per check, not an open and a mapping.
	rejected     fileID
	rejectedSize int64
	hasRejected  bool
	due          *uint32 // the stream's ReattachState.Due
}

// reattach is the stream's own part (its thread only).
type reattach struct {
	poll time.Duration
	next time.Time // reads check the name again from then on
	size int64     // bytes to map, as asked at open (0: the whole segment)
	// A queue's open's AllowForeignOwner (a queue refuses another user's segment without it).
	allowForeign bool
	state        *ReattachState
	own          ReattachState
}

// EnableReattach makes a reading stream follow its name: at most every poll (on a read, a flags
// look or a query), and at every poll tick of a watcher, it compares the object its name refers to
// with the one it maps; when they differ and the new object is a valid segment of the stream's
// layout (as an open would find it: size at least the header and at least size bytes when size is
// not 0), the stream maps the new one, unmaps the old one once no watcher uses it, counts the new
// value as unread and moves its Generation. A name that is gone, or refers to an object that is not
// valid (yet: a C++ writer between shm_open and ftruncate), changes nothing and is looked at again
// at the next check. Called once, on the stream's thread, before any watch starts. Writers never
// follow: they made the name themselves.
func (s *Stream) EnableReattach(poll time.Duration, size int64) {
	if s.re != nil || s.seg.created || !s.seg.hasID {
		return
	}
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	r := &reattach{poll: poll, size: size, next: time.Now().Add(poll)}
	r.state = &r.own
	s.re = r
	s.watchers.mu.Lock()
	s.watchers.follow = &follower{seg: s.seg, due: &r.state.Due}
	s.watchers.mu.Unlock()
}

// ShareReattachState makes the stream keep its ReattachState in *rs (copying it there); nil takes
// it back. Only for a stream that follows (EnableReattach), from its own thread, with no watcher
// running.
func (s *Stream) ShareReattachState(rs *ReattachState) {
	r := s.re
	if r == nil {
		return
	}
	if rs == nil {
		rs = &r.own
	}
	*rs = *r.state
	r.state = rs
	s.watchers.mu.Lock()
	s.watchers.follow.due = &rs.Due
	s.watchers.mu.Unlock()
}

// Generation is the number of times the stream has moved to a new segment.
func (s *Stream) Generation() uint32 {
	if s.re == nil {
		return 0
	}
	return atomic.LoadUint32(&s.re.state.Generation)
}

// maybeReattach is the check of reads and queries: when one is due (a watcher or the fast path
// asked, or poll has passed since the last), it looks at the name and follows it.
func (s *Stream) maybeReattach() {
	if s.re != nil && s.mem != nil && s.re.checkDue() {
		s.reattachNow()
	}
}

// checkDue reports whether a look at the name is due (a watcher or the fast path asked, or poll
// has passed since the last look), and if so starts the next period.
func (r *reattach) checkDue() bool {
	now := time.Now()
	if atomic.LoadUint32(&r.state.Due) == 0 && now.Before(r.next) {
		return false
	}
	atomic.StoreUint32(&r.state.Due, 0)
	r.next = now.Add(r.poll)
	return true
}

// reattachNow follows the name if it refers to another valid segment, and reports whether it did.
func (s *Stream) reattachNow() bool {
	old := s.seg
	id, size, st := sys.identity(old.name)
	if st != identityKnown || id == old.id || s.watchers.refused(id, size) {
		return false
	}
	seg, err := Open(old.name, OpenOptions{Size: s.re.size, ReadOnly: old.readOnly, Unlink: old.unlink})
	if err != nil {
		// Only what the object is (empty, smaller than asked, not a segment) is held against it;
		// a name removed meanwhile or a mapping budget spent are tried again at the next check.
		if e, ok := AsError(err); ok && (e.Kind == KindSize || e.Kind == KindLayout) {
			s.watchers.refuse(id, size)
		}
		return false
	}
	// The object opened may already be a later one than the one looked at: what counts is the one
	// mapped, and its own size.
	if seg.id == old.id {
		seg.Close()
		return false
	}
	if seg.Size() < s.layout.MinSize() {
		s.watchers.refuse(seg.id, int64(seg.Size()))
		seg.Close()
		return false
	}
	var p *presence
	if s.layout == LayoutV2 {
		if p, err = announcePresence(seg); err != nil {
			seg.Close() // not the object's fault: tried again at the next check
			return false
		}
	}
	oldPresence := s.presence
	s.watchers.mu.Lock()
	s.seg, s.mem, s.presence = seg, seg.Bytes(), p
	s.watchers.follow.seg = seg
	s.watchers.mu.Unlock()
	s.watchers.moved()
	oldPresence.withdraw()
	// The name is the new segment's now: closing the old mapping must not remove it.
	old.unlink = false
	old.Release() // unmapped here, or by the last watcher still on it
	s.reader.Seen, s.reader.HasRead = 0, 0
	atomic.AddUint32(&s.re.state.Generation, 1)
	return true
}

// refused reports whether the object id of size bytes was refused already.
func (ws *watchSet) refused(id fileID, size int64) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	f := ws.follow
	return f != nil && f.hasRejected && f.rejected == id && f.rejectedSize == size
}

func (ws *watchSet) refuse(id fileID, size int64) {
	ws.mu.Lock()
	if f := ws.follow; f != nil {
		f.rejected, f.rejectedSize, f.hasRejected = id, size, true
	}
	ws.mu.Unlock()
}

// nameLooks counts the lstat calls of watchers' follow checks (tests read it).
var nameLooks atomic.Int64

// follow is a watcher's check at a poll tick, on its goroutine, when its owner follows its name: if
// the owner has moved to a new segment the watcher moves there too; if the name refers to another
// object than the one watched, the owner is told (its next read or query checks at once). Reports
// whether the watcher's receiver should look again (moved, or the owner told). lookAtName false
// skips the lstat, for a caller that knows no name has changed since its last look.
func (w *Watcher) follow(lookAtName bool) bool {
	ws := w.owner
	ws.mu.Lock()
	f := ws.follow
	if f == nil {
		ws.mu.Unlock()
		return false
	}
	if cur := f.seg; cur != w.seg {
		// Taken under the lock: the owner releases a segment only after replacing it here.
		cur.Retain()
		ws.mu.Unlock()
		w.retarget(cur)
		return true
	}
	due := f.due
	ws.mu.Unlock()
	if !lookAtName {
		return false
	}
	nameLooks.Add(1)
	id, size, st := sys.identity(w.seg.name)
	if st != identityKnown || id == w.seg.id || ws.refused(id, size) {
		return false
	}
	atomic.StoreUint32(due, 1)
	return true
}

// moved tells the watchers that their owner is on a new segment, and wakes them to follow it:
// otherwise they would wait on the old segment's word, which nobody changes any more, until
// something else woke them.
func (ws *watchSet) moved() {
	for _, w := range ws.list() {
		w.moved.Store(true)
		if w.group != nil {
			w.group.kick()
		} else {
			sys.wake(w.addr.Load())
		}
	}
}

// retarget moves the watcher to seg (retained for it) and lets go of the old segment.
func (w *Watcher) retarget(seg *Segment) {
	old := w.seg
	if w.hint >= 0 {
		w.mem[w.hint] = 0
	}
	w.seg, w.mem = seg, seg.Bytes()
	if seg.readOnly {
		w.hint = -1
	}
	w.addr.Store(w.wordAt(w.off))
	old.Release()
}

// Follows reports whether the stream follows its name (EnableReattach took effect).
func (s *Stream) Follows() bool { return s.re != nil }

// EnableReattach makes a queue opened without Create follow its name as a reading Stream does
// (Stream.EnableReattach): a C++ queue writer that restarts makes a new queue under the name, and
// producers and consumers attached before would otherwise use the orphaned one, which no peer
// reads or fills any more. The new queue is opened as OpenQueue without Create would open it (same
// layout; capacity and maxMessageSize as its header says, which may differ from the old one's), and
// must be a valid queue: one whose header is not initialised yet (a writer between ftruncate and its
// header stores) is looked at again at the next check. The operations check at most every poll
// (Len, Enqueue, Dequeue, Peek), watchers at every poll tick. allowForeign is the open's
// AllowForeignOwner. Called once, before any watch starts.
func (q *Queue) EnableReattach(poll time.Duration, allowForeign bool) {
	if q.re != nil || q.seg.created || !q.seg.hasID {
		return
	}
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	r := &reattach{poll: poll, next: time.Now().Add(poll), allowForeign: allowForeign}
	r.state = &r.own
	q.re = r
	q.watchers.mu.Lock()
	q.watchers.follow = &follower{seg: q.seg, due: &r.state.Due}
	q.watchers.mu.Unlock()
}

// ShareReattachState is Stream.ShareReattachState for a queue: the state lives in *rs from now on
// (nil: back in the queue). The memory must stay valid until the queue is closed, since its
// watchers store Due there from their goroutines.
func (q *Queue) ShareReattachState(rs *ReattachState) {
	r := q.re
	if r == nil {
		return
	}
	if rs == nil {
		rs = &r.own
	}
	*rs = *r.state
	q.watchers.mu.Lock()
	r.state = rs
	q.watchers.follow.due = &rs.Due
	q.watchers.mu.Unlock()
}

// Follows reports whether the queue follows its name (EnableReattach took effect).
func (q *Queue) Follows() bool { return q.re != nil }

// Generation is the number of times the queue has moved to a new segment.
func (q *Queue) Generation() uint32 {
	if q.re == nil {
		return 0
	}
	return atomic.LoadUint32(&q.re.state.Generation)
}

func (q *Queue) maybeReattach() {
	if q.re != nil && q.mem != nil && q.re.checkDue() {
		q.reattachNow()
	}
}

func (q *Queue) reattachNow() bool {
	old := q.seg
	id, size, st := sys.identity(old.name)
	if st != identityKnown || id == old.id || q.watchers.refused(id, size) {
		return false
	}
	nq, err := OpenQueue(old.name, OpenOptions{AllowForeignOwner: q.re.allowForeign},
		QueueOptions{Layout: q.layout, LockTimeout: q.lockTimeout})
	if err != nil {
		// Only an object too small to hold a header is held against it: a header that is not a
		// queue's may be one being initialised.
		if IsKind(err, KindSize) {
			q.watchers.refuse(id, size)
		}
		return false
	}
	seg := nq.seg
	if seg.id == old.id {
		nq.Close()
		return false
	}
	seg.unlink = old.unlink
	oldPresence := q.presence
	q.watchers.mu.Lock()
	q.seg, q.mem, q.presence = seg, nq.mem, nq.presence
	q.header, q.capacity, q.maxMsg, q.slotSize = nq.header, nq.capacity, nq.maxMsg, nq.slotSize
	q.watchers.follow.seg = seg
	q.watchers.mu.Unlock()
	q.watchers.moved()
	oldPresence.withdraw()
	old.unlink = false
	old.Release()
	atomic.AddUint32(&q.re.state.Generation, 1)
	return true
}
