// Streams: one value at a time in a segment, in libsharedmemory's layouts v2, v1 and v0.
package goshm

import (
	"encoding/binary"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"
)

// StreamOptions configures a Stream.
type StreamOptions struct {
	Layout      Layout
	LockTimeout time.Duration // 0 means DefaultLockTimeout
	// Reset makes a writer (OpenOptions.Create) that attaches to an existing segment put its header
	// back to what a new segment holds (Reset), as the C++ library's writers start from a new
	// segment. A segment this open created is new already.
	Reset bool
}

// Stream reads and writes one segment in one of the stream layouts.
//
// A Stream is used by one goroutine (one JavaScript thread) at a time; separate Streams over the
// same segment, in this process or others, may run concurrently. In layout v2, writers serialise
// on the lock word; readers do not take it (see readV2). Layouts v1 and v0 have no lock, as in the
// C++ library: a read that races a write may see a mix of the two.
type Stream struct {
	seg         *Segment
	mem         []byte
	layout      Layout
	lockTimeout time.Duration
	presence    *presence // nil for a read-only mapping, which never takes the lock
	stale       stalePolicy

	reader *ReaderState // &own, or memory shared with a caller (ShareReaderState)
	own    ReaderState

	watchers watchSet
	re       *reattach // a reader that follows its name to new segments (reattach.go), or nil
}

// ReaderState is what a stream remembers of its own reads (layout v2): the revision of the value
// it last read, and whether it has read one. Its layout is fixed (two u32) because a caller may keep
// it outside Go memory and update it itself (the C fast path of goshm/cabi does).
type ReaderState struct {
	Seen    uint32 // revision of the value this stream last read
	HasRead uint32 // 1 once a read has completed
}

// ShareReaderState makes the stream keep its reader state in *rs (copying the current state
// there), so that code outside the engine reading the same stream shares one state with it. nil
// takes it back into the stream. Used from the stream's own thread only.
func (s *Stream) ShareReaderState(rs *ReaderState) {
	if rs == nil {
		s.own = *s.reader
		s.reader = &s.own
		return
	}
	*rs = *s.reader
	s.reader = rs
}

// OpenStream opens (or, with o.Create, creates) a segment and puts a Stream over it. An existing
// segment whose bytes show a queue or a stream of another layout is refused with a KindLayout
// error saying so (detect.go), before a writer grows or resets it. A failed open never removes a
// segment it did not create, o.Unlink or not.
func OpenStream(name string, o OpenOptions, so StreamOptions) (*Stream, error) {
	// Refused before Open, so a failing call neither creates nor grows a segment.
	if o.Create && so.Layout.Valid() && o.Size < int64(so.Layout.MinSize()) {
		return nil, newError(KindArg, name, "size %d of shared memory segment %q is below the %d-byte header of layout %s",
			o.Size, name, so.Layout.MinSize(), so.Layout)
	}
	if o.Create && so.Layout.Valid() {
		// Before Open, which grows a smaller segment: a queue (whose geometry is what shows it)
		// or a stream of another layout is refused with its bytes and size as they were.
		if err := peekStreamShape(name, o, so.Layout); err != nil {
			return nil, err
		}
	}
	seg, err := Open(name, o)
	if err != nil {
		return nil, err
	}
	s, err := newStream(seg, so)
	if err != nil {
		seg.abandon()
		return nil, err
	}
	if so.Reset && o.Create && !seg.created {
		if err := s.Reset(); err != nil {
			s.abandon()
			return nil, err
		}
	}
	return s, nil
}

// peekStreamShape is streamShapeError over an existing segment opened apart, read-only and
// without growing it. Any failure to open it is left to the Open that follows, which reports it.
func peekStreamShape(name string, o OpenOptions, l Layout) error {
	o.Create, o.Size, o.Unlink, o.ReadOnly = false, 0, false, true
	seg, err := Open(name, o)
	if err != nil {
		return nil
	}
	defer seg.Close()
	return streamShapeError(seg, l)
}

// newStream puts a Stream over an open segment, which the Stream then owns.
func newStream(seg *Segment, o StreamOptions) (*Stream, error) {
	if !o.Layout.Valid() {
		return nil, newError(KindArg, seg.name, "unknown layout %d", int(o.Layout))
	}
	if seg.Size() < o.Layout.MinSize() {
		return nil, newError(KindLayout, seg.name,
			"shared memory segment %q is %d bytes, too small for the %d-byte header of layout %s",
			seg.name, seg.Size(), o.Layout.MinSize(), o.Layout)
	}
	if !seg.created {
		if err := streamShapeError(seg, o.Layout); err != nil {
			return nil, err
		}
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	s := &Stream{seg: seg, mem: seg.Bytes(), layout: o.Layout, lockTimeout: o.LockTimeout}
	s.reader = &s.own
	if o.Layout == LayoutV2 {
		p, err := announcePresence(seg)
		if err != nil {
			return nil, err
		}
		s.presence = p
	}
	return s, nil
}

// Segment is the mapping under the stream.
func (s *Stream) Segment() *Segment { return s.seg }

// Layout is the stream's wire layout.
func (s *Stream) Layout() Layout { return s.layout }

// Close ends the stream's watchers (each with its ended call) and then releases the mapping (and
// removes the name if the segment was opened with Unlink). Closing twice is not an error.
func (s *Stream) Close() error {
	s.watchers.stopAll()
	s.presence.withdraw()
	s.mem = nil
	return s.seg.Close()
}

// abandon closes a stream whose opening failed after the segment was opened (see
// Segment.abandon).
func (s *Stream) abandon() {
	s.presence.withdraw()
	s.mem = nil
	s.seg.abandon()
}

// Reset puts the header back to what a new segment of the layout holds: flags 0 and every size
// field 0 (v0 has one per payload type), so that the flag sequences of a new writer are those of
// the C++ library, whose writers start from a new segment. It is done in place, so readers already
// attached stay attached and see the empty value. In v2 it is done under the write lock, like a
// write, and the revision moves on instead of going back to 0: a reader that saw revision 0 before
// must not take the reset for "nothing changed". The ack is set to the new revision, as on a new
// segment (ack == revision: isMessageRead is true), and watchers of both words are woken. Bytes 1
// and 2 (watcher hints) belong to the watchers still waiting and are kept, byte 3 is cleared; the
// payload bytes are left as they are (size 0 hides them).
func (s *Stream) Reset() (err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if s.mem == nil {
		return s.closedError()
	}
	if s.seg.readOnly {
		return newError(KindUnsupported, s.seg.name, "shared memory segment %q is mapped read-only", s.seg.name)
	}
	if s.layout == LayoutV2 {
		if err := s.lock(); err != nil {
			return err
		}
		defer s.unlock()
	}
	mem := s.mem
	for _, typ := range []uint8{TypeString, TypeFloat, TypeDouble} {
		if sizeAt, _ := s.layout.fields(typ); sizeAt+4 <= len(mem) {
			putU32(mem[sizeAt:], 0)
		}
	}
	mem[0] = 0
	if s.layout == LayoutV2 {
		mem[3] = 0 // padding no writer sets: 0 as in a new segment (bytes 1 and 2 are the hints)
		rev := atomic.AddUint32(s.word(V2Revision), 1)
		atomic.StoreUint32(s.word(V2Ack), rev)
		if mem[V2HintRevision] != 0 {
			sys.wake(s.word(V2Revision))
		}
		if mem[V2HintAck] != 0 {
			sys.wake(s.word(V2Ack))
		}
	}
	return nil
}

// Capacity is the largest payload of type typ, in bytes, that the segment holds.
func (s *Stream) Capacity(typ uint8) int {
	_, dataAt := s.layout.fields(typ)
	if c := len(s.mem) - dataAt; c > 0 {
		return c
	}
	return 0
}

func (s *Stream) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&s.mem[off])) }

func putU32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func getU32(b []byte) uint32    { return binary.LittleEndian.Uint32(b) }

// Write stores p as the payload, with type bit typ, and toggles kMemoryChanged. A payload that
// does not fit is a KindTooLarge error and leaves the segment untouched. A source that faults
// before the copy (p over a mapping already truncated) is a KindFault error that changes nothing;
// a write that faults midway (the segment, or the memory under p, truncated during the copy) is a
// KindFault error that leaves an empty payload with no type bit in place of the torn one (put).
func (s *Stream) Write(typ uint8, p []byte) (err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if s.mem == nil {
		return s.closedError()
	}
	if s.seg.readOnly {
		return newError(KindUnsupported, s.seg.name, "shared memory segment %q is mapped read-only", s.seg.name)
	}
	sizeAt, dataAt := s.layout.fields(typ)
	if len(p) > len(s.mem)-dataAt {
		return s.tooLarge(typ, len(p))
	}
	// The source is one mapping (Go memory, or a view over another segment, which another process
	// can only cut from the end): if its first and last bytes can be read, so can the rest, unless
	// it is cut during the copy. Touching them first makes the common case, a view over a segment
	// truncated before the call, fail before anything is stored.
	if len(p) > 0 {
		touch(p)
	}
	if s.layout == LayoutV2 {
		if err := s.lock(); err != nil {
			return err
		}
		// put repairs a faulted write before this releases the lock, so no reader ever finds the
		// lock free over torn bytes.
		defer s.unlock()
	}
	return s.put(typ, p, sizeAt, dataAt)
}

// touch reads the first and last bytes of p, so that a fault there happens here. It is not
// inlined, so that the loads are not optimised away with its unused result.
//
//go:noinline
func touch(p []byte) byte { return p[0] ^ p[len(p)-1] }

// put copies the payload in and publishes it: the size, then the flags byte (v1 and v0 peers poll
// it, so it goes last there), then in v2 the revision, which a reader that sees it move takes as
// the sign of a whole write. In v2 the caller holds the lock.
//
// A fault in the copy may have replaced part of the old payload already (copyCached copies in
// pieces of 256 KiB; memmove's own order is unknown), and the old size, flags and revision would
// make readers take the mix for the old value. So put repairs the segment as the takeover of a
// dead writer does (repair), then lets the fault go on to Write's recoverFault, which reports it.
// The C fast path hands a write that faulted to Write, which meets the same fault: here when the
// segment or the source is cut midway, in touch when the source was cut before the call. A
// fast-path copy that stored part of the payload before its fault is the fast path's to repair,
// before it releases the lock, as put does.
func (s *Stream) put(typ uint8, p []byte, sizeAt, dataAt int) error {
	mem := s.mem
	defer func() {
		if r := recover(); r != nil {
			s.repairAfterFault()
			panic(r)
		}
	}()
	copyCached(mem[dataAt:], p)
	putU32(mem[sizeAt:], uint32(len(p)))
	mem[0] = nextFlags(mem[0], typ)
	if s.layout == LayoutV2 {
		rev := s.word(V2Revision)
		atomic.AddUint32(rev, 1)
		if mem[V2HintRevision] != 0 {
			sys.wake(rev)
		}
	}
	return nil
}

// repairAfterFault is repair for a write that faulted: the header it stores into may be gone too
// (the segment itself truncated), in which case no reader can read it either and there is nothing
// to repair; that second fault is dropped, the first is the one reported.
func (s *Stream) repairAfterFault() {
	defer func() { recover() }()
	s.repair()
	if s.layout == LayoutV2 && s.mem[V2HintRevision] != 0 {
		sys.wake(s.word(V2Revision))
	}
}

// repair replaces a payload that may be torn by an empty one with no type bit: every size field
// 0 (layout v0 has one per payload type, and a reader asks for the type it wants, so all three),
// kMemoryChanged toggled so that pollers of the flags byte notice, and in v2 a new revision, so
// that no reader takes what it copied before for the current value. In v2 the caller holds the
// lock.
func (s *Stream) repair() {
	mem := s.mem
	for _, typ := range []uint8{TypeString, TypeFloat, TypeDouble} {
		if sizeAt, _ := s.layout.fields(typ); sizeAt+4 <= len(mem) {
			putU32(mem[sizeAt:], 0)
		}
	}
	mem[0] = nextFlags(mem[0], 0)
	if s.layout == LayoutV2 {
		atomic.AddUint32(s.word(V2Revision), 1)
	}
}

// Read copies the payload into dst when it fits, and returns its size in bytes and the flags byte
// that goes with it. When the payload is larger than dst nothing is copied: the caller grows dst
// and reads again. typ only matters for layout v0, where it decides where the payload sits; 0
// there means the type in the flags byte.
func (s *Stream) Read(typ uint8, dst []byte) (n int, flags uint8, err error) {
	return s.ReadWhole(typ, dst, 1)
}

// ReadWhole is Read into an array of unit-byte elements: of a payload that fits, only the whole
// elements are copied (the first n - n%unit bytes), so that a payload that ends in part of an
// element leaves the rest of dst as it was. n is still the payload's size in bytes.
func (s *Stream) ReadWhole(typ uint8, dst []byte, unit int) (n int, flags uint8, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if s.mem == nil {
		return 0, 0, s.closedError()
	}
	if unit < 1 {
		unit = 1
	}
	s.maybeReattach()
	if s.layout == LayoutV2 {
		return s.readV2(dst, unit)
	}
	mem := s.mem
	if typ == 0 {
		typ = mem[0] &^ FlagChanged // read whatever the flags say was written last
	}
	sizeAt, dataAt := s.layout.fields(typ)
	if dataAt > len(mem) {
		return 0, 0, newError(KindLayout, s.seg.name,
			"shared memory segment %q is %d bytes, too small to hold a %s in layout v0 (payload at byte %d)",
			s.seg.name, len(mem), typeName(typ), dataAt)
	}
	size := getU32(mem[sizeAt:])
	if int64(size) > int64(len(mem)-dataAt) {
		return 0, 0, s.layoutError(size, dataAt)
	}
	if int(size) <= len(dst) {
		copyCached(dst, mem[dataAt:dataAt+wholeUnits(int(size), unit)])
	}
	return int(size), mem[0], nil
}

// readV2 reads without taking the lock, as a sequence lock: note the revision, see the lock free,
// copy, then check that the lock is still free and the revision unchanged. A writer (ours or the
// C++ library's) holds the lock for its whole write and moves the revision before releasing it, so
// a copy that overlapped any part of a write fails the check and is retried. A C++ reader holding
// the lock around its own copy only makes us retry. Readers therefore never block writers or each
// other, and never return a torn payload.
func (s *Stream) readV2(dst []byte, unit int) (n int, flags uint8, err error) {
	mem := s.mem
	rev, lock := s.word(V2Revision), s.lockWord()
	wt := waiter{stale: s.staleRule()}
	for {
		r := atomic.LoadUint32(rev)
		if holder := atomic.LoadUint32(lock); holder != 0 {
			// A read-only mapping cannot repair the segment; it waits for a writer to do it.
			takeOver, timedOut := wt.pause(s.lockTimeout, holder, s.presence)
			if timedOut {
				return 0, 0, s.lockTimeoutError(holder)
			}
			if takeOver && s.takeOver(holder) {
				if wt.staleFired {
					s.stale.broken = holder
				}
				s.unlock()
			}
			continue
		}
		flags = mem[0]
		size := getU32(mem[V2Size:])
		valid := int64(size) <= int64(len(mem)-V2Data)
		if valid && int(size) <= len(dst) {
			copyCached(dst, mem[V2Data:V2Data+wholeUnits(int(size), unit)])
		}
		loadFence()
		if atomic.LoadUint32(lock) == 0 && atomic.LoadUint32(rev) == r {
			if !valid {
				return 0, 0, s.layoutError(size, V2Data)
			}
			if int(size) <= len(dst) {
				s.reader.Seen, s.reader.HasRead = r, 1
			}
			return int(size), flags, nil
		}
		if _, timedOut := wt.pause(s.lockTimeout, 0, nil); timedOut {
			return 0, 0, s.lockTimeoutError(0)
		}
	}
}

// wholeUnits is n rounded down to a multiple of unit.
func wholeUnits(n, unit int) int { return n - n%unit }

// Flags returns the flags byte.
func (s *Stream) Flags() (f uint8, err error) {
	defer recoverFault(s.seg.name, &err, debug.SetPanicOnFault(true))
	if s.mem == nil {
		return 0, s.closedError()
	}
	s.maybeReattach()
	return s.mem[0], nil
}

func (s *Stream) closedError() error {
	return newError(KindClosed, s.seg.name, "shared memory segment %q is closed", s.seg.name)
}

func (s *Stream) tooLarge(typ uint8, n int) error {
	return newError(KindTooLarge, s.seg.name,
		"%s payload of %d bytes does not fit shared memory segment %q: the limit is %d bytes (segment of %d bytes, layout %s)",
		typeName(typ), n, s.seg.name, s.Capacity(typ), len(s.mem), s.layout)
}

func (s *Stream) layoutError(size uint32, dataAt int) error {
	return newError(KindLayout, s.seg.name,
		"shared memory segment %q has an inconsistent header: size field %d points past the end of the %d-byte segment (payload at byte %d)",
		s.seg.name, size, len(s.mem), dataAt)
}
