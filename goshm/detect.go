// What a segment's bytes look like: a stream of one of the three layouts, a queue of one of two, a
// blank segment, or none of these. Opening a stream or a queue over the bytes of another kind or
// layout is refused with a KindLayout error that says what the segment looks like, instead of
// reading garbage as a value (or a queue's maxMessageSize as the pid of a lock holder).
//
// The layouts carry no magic number, so what the bytes say is a guess, and opening refuses a
// segment only when the guess cannot be wrong for the layout asked for: a header that no writer of
// that layout can produce (stream layouts), or a queue's geometry, which a v2 stream's header cannot
// show while its writers keep ack <= revision (see shapeConflict). Payload bytes are never trusted:
// a v1 or v0 stream's payload starts inside the region where a queue keeps its header, so they can
// mimic one.
package goshm

import (
	"fmt"
	"os"
	"runtime/debug"
)

// Shape is the kind of content a segment's bytes look like.
type Shape int

const (
	ShapeUnknown Shape = iota // bytes that fit no layout
	ShapeBlank                // a header of zeros: nothing has been made of the segment yet
	ShapeStream
	ShapeQueue
)

// Detected is what Detect makes of a segment.
type Detected struct {
	Shape  Shape
	Layout Layout // for a stream or a queue
	// OrV0 is set for a stream whose header reads the same in layout v0 as in Layout v1 (strings
	// and bytes sit at the same place in both).
	OrV0 bool
	// A stream's payload: its type bit (0 when nothing was written) and size in bytes.
	Type uint8
	Size uint32
	// A queue's header.
	Capacity, MaxMessageSize, Count uint32
}

// blankBytes is how much of the start of a segment must be zero for it to count as blank: every
// header field of every layout (v0's Float64Array size ends at byte 12, a v2 queue's header at 28).
const blankBytes = QueueHeaderV2

// Detect says what the bytes of a segment look like. mem is the mapping (its start, at least)
// and size the whole segment's size in bytes. A queue is recognised by its geometry (header plus
// capacity slots fill the segment exactly, indices below capacity, count consistent with them);
// a stream by a header its writers could have left (type bits, padding, size field within the
// segment), tried in the order v2, v1, v0. mem must stay mapped during the call (DetectSegment
// guards against a segment truncated meanwhile).
func Detect(mem []byte, size int64) Detected { return detect(mem, size, false) }

// detect is Detect where size may be known only in whole pages (inPages, see Segment.sizeInPages).
func detect(mem []byte, size int64, inPages bool) Detected {
	if len(mem) == 0 {
		return Detected{Shape: ShapeUnknown}
	}
	if isBlank(mem) {
		return Detected{Shape: ShapeBlank}
	}
	for _, l := range []Layout{LayoutV2, LayoutV1} {
		if d, ok := detectQueue(mem, size, inPages, l); ok {
			return d
		}
	}
	for _, l := range []Layout{LayoutV2, LayoutV1, LayoutV0} {
		if d, ok := detectStream(mem, size, l); ok {
			if l == LayoutV1 {
				_, d.OrV0 = detectStream(mem, size, LayoutV0)
			}
			return d
		}
	}
	return Detected{Shape: ShapeUnknown}
}

// DetectSegment is Detect over an open segment. A fault (the segment truncated by another process
// during the call) is a KindFault error.
func DetectSegment(seg *Segment) (d Detected, err error) {
	defer recoverFault(seg.name, &err, debug.SetPanicOnFault(true))
	return detect(seg.Bytes(), seg.wholeSize(), seg.sizeInPages), nil
}

// wholeSize is the size of the whole segment, which is more than is mapped when a reader mapped
// only its start.
func (s *Segment) wholeSize() int64 { return max(s.fileSize, int64(len(s.mem))) }

func isBlank(mem []byte) bool {
	for _, b := range mem[:min(len(mem), blankBytes)] {
		if b != 0 {
			return false
		}
	}
	return true
}

// detectQueue reports whether mem holds a queue of layout l: capacity and maxMessageSize at least
// 1, header plus slots exactly the segment's size (every queue maker sizes it so; where the OS
// tells the size only in whole pages, inPages, that size rounded up to a page), both indices
// below the capacity, and a count that agrees with them (the distance from readIndex to
// writeIndex, or the whole capacity when they meet on a full queue). A producer or consumer between
// its two stores (slot index, then count) may leave the count one off; that is allowed.
func detectQueue(mem []byte, size int64, inPages bool, l Layout) (Detected, bool) {
	hdr := queueHeaderSize(l)
	if len(mem) < hdr {
		return Detected{}, false
	}
	w, r := getU32(mem[qWriteIndex:]), getU32(mem[qReadIndex:])
	c, n, m := getU32(mem[qCapacity:]), getU32(mem[qCount:]), getU32(mem[qMaxMessageSize:])
	if c == 0 || m == 0 || w >= c || r >= c || n > c {
		return Detected{}, false
	}
	need := int64(hdr) + int64(c)*(QueueSlotHead+int64(m))
	if need != size && !(inPages && need > 0 && need < size && size-need < int64(os.Getpagesize())) {
		return Detected{}, false
	}
	dist := (uint64(w) + uint64(c) - uint64(r)) % uint64(c)
	if !near(uint64(n)%uint64(c), dist, uint64(c)) {
		return Detected{}, false
	}
	return Detected{Shape: ShapeQueue, Layout: l, Capacity: c, MaxMessageSize: m, Count: n}, true
}

// near reports whether a and b, both below mod, are at most one apart around a circle of mod.
func near(a, b, mod uint64) bool {
	d := (a + mod - b) % mod
	return d <= 1 || d == mod-1
}

// flagsPlausible reports whether a flags byte is one a stream writer leaves: kMemoryChanged and at
// most one type bit.
func flagsPlausible(f uint8) bool {
	switch f &^ FlagChanged {
	case 0, TypeString, TypeFloat, TypeDouble, TypeBytes:
		return true
	}
	return false
}

// detectStream reports whether mem holds a header a writer of stream layout l could have left:
// flags with at most one type bit, the size field of that type inside the segment, and in v2 the
// padding bytes that no writer sets (byte 3; bytes 1 and 2 are this project's watcher hints, 0 or
// 1).
func detectStream(mem []byte, size int64, l Layout) (Detected, bool) {
	f := mem[0]
	if !flagsPlausible(f) || len(mem) < l.MinSize() {
		return Detected{}, false
	}
	if l == LayoutV2 && !v2Padding(mem) {
		return Detected{}, false
	}
	typ := f &^ FlagChanged
	sizeAt, dataAt := l.fields(typ)
	if sizeAt+4 > len(mem) {
		return Detected{}, false
	}
	n := getU32(mem[sizeAt:])
	if int64(n) > size-int64(dataAt) {
		return Detected{}, false
	}
	return Detected{Shape: ShapeStream, Layout: l, Type: typ, Size: n}, true
}

// String describes the detection for a message: "a queue (layout v2, capacity 8, maxMessageSize
// 32)", "a stream of layout v1 (or v0) holding a string of 5 bytes".
func (d Detected) String() string {
	switch d.Shape {
	case ShapeBlank:
		return "a blank segment (its header is all zero)"
	case ShapeQueue:
		return fmt.Sprintf("a queue (layout %s, capacity %d, maxMessageSize %d)", d.Layout, d.Capacity, d.MaxMessageSize)
	case ShapeStream:
		layout := "layout " + d.Layout.String()
		if d.OrV0 {
			layout += " (or v0)"
		}
		if d.Type == 0 {
			return fmt.Sprintf("a stream of %s with nothing written", layout)
		}
		return fmt.Sprintf("a stream of %s holding a %s of %d bytes", layout, typeName(d.Type), d.Size)
	}
	return "none of the stream or queue layouts"
}

// streamShapeError refuses to open a stream of layout l over seg when its bytes show another kind
// or layout (see shapeConflict), and returns nil otherwise, leaving anything else (a blank
// segment, garbage) to the checks of each read.
func streamShapeError(seg *Segment, l Layout) error {
	d, err := DetectSegment(seg)
	if err != nil {
		return err
	}
	if !shapeConflict(seg, d, ShapeStream, l) {
		return nil
	}
	return newError(KindLayout, seg.name, "shared memory segment %q looks like %s, not a stream of layout %s",
		seg.name, d, l)
}

// shapeConflict reports whether detection d of seg rules out opening it as a want of layout l.
// Only what no writer of the layout asked for can leave counts; a header that is merely damaged
// for it (a size field past the end) is left to the reads, which report it.
//
//   - A queue is ruled out only by a queue of the other layout, or by a stream (which then is no
//     queue of either layout).
//   - A v2 stream is ruled out by a queue, whatever its own header says: the header of a queue
//     reads as a v2 stream header with the lock held by "process maxMessageSize", and a real v2
//     stream shows a queue's geometry only with revision < ack, which its writers never leave (ack
//     is a revision a reader has seen). Otherwise only by padding that no v2 writer sets (byte 3,
//     or a watcher hint above 1) under a header that reads as a v1 or v0 stream: a v1 size field
//     sits on those bytes.
//   - v1 and v0 streams are ruled out only by a queue, and only when their own header does not
//     fit (flags, size field): their payload may hold anything, a queue's header included, and a
//     v2 header cannot be told from a damaged v1 or v0 one.
func shapeConflict(seg *Segment, d Detected, want Shape, l Layout) bool {
	switch d.Shape {
	case ShapeBlank, ShapeUnknown:
		return false
	}
	if want == ShapeQueue {
		if d.Shape == ShapeQueue && d.Layout != l && seg.sizeInPages {
			// A size in whole pages cannot tell a v1 queue from a v2 one with the same slots (their
			// headers differ by 8 bytes): open it as asked when its geometry fits that layout too.
			_, fits := detectQueue(seg.Bytes(), seg.wholeSize(), true, l)
			return !fits
		}
		return d.Shape == ShapeStream || d.Layout != l
	}
	mem := seg.Bytes()
	switch {
	case d.Shape == ShapeStream && (d.Layout == l || l == LayoutV0 && d.OrV0):
		return false
	case l == LayoutV2 && d.Shape == ShapeQueue:
		return true
	case l == LayoutV2:
		return d.Layout != LayoutV2 && !v2Padding(mem)
	case d.Shape == ShapeQueue:
		_, fits := detectStream(mem, seg.wholeSize(), l)
		return !fits
	}
	return false
}

// v2Padding reports whether bytes 1 to 3 of a v2 stream header hold what v2 writers and watchers
// leave there: 0 in byte 3, 0 or 1 in the hint bytes 1 and 2.
func v2Padding(mem []byte) bool {
	return len(mem) >= 4 && mem[V2HintRevision] <= 1 && mem[V2HintAck] <= 1 && mem[3] == 0
}
