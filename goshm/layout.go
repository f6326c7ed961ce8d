// The byte layouts of libsharedmemory's stream (SPEC §3.1–3.3): where each header field sits.
// goshm.h states the same numbers for C, and goshm/cabi checks at compile time that they agree.
package goshm

import "fmt"

// Layout is one of the wire layouts of libsharedmemory's stream.
type Layout int

const (
	LayoutV0 Layout = 0 // cpp_libsharedmemory 0.0.9, used by node-libsharedmemory 0.0.9
	LayoutV1 Layout = 1 // libsharedmemory 1.x: |flags u8|size u32 at 1|payload at 5|
	LayoutV2 Layout = 2 // libsharedmemory 2.x: 20-byte header with revision, ack and lock
)

// Bits of the flags byte (offset 0 in every layout).
const (
	FlagChanged uint8 = 1 // toggled by every write
	TypeString  uint8 = 2
	TypeFloat   uint8 = 4
	TypeDouble  uint8 = 8
	TypeBytes   uint8 = 16 // added by this project: raw bytes (C++ readers see them via readString)
)

// Layout v2: the flags byte, three bytes of padding (two of which this project uses as watcher
// hints, see watch.go), then aligned u32 words up to the payload.
const (
	V2HintRevision = 1 // non-zero while someone futex-waits on the revision
	V2HintAck      = 2 // the same for the ack
	V2Revision     = 4
	V2Ack          = V2Revision + 4
	V2Size         = V2Ack + 4
	V2Lock         = V2Size + 4
	V2Data         = V2Lock + 4
)

// Layout v1, and layout v0 with string and byte payloads: the flags byte, an unaligned u32 size,
// the payload. Layout v0 indexes the segment as an array of the payload's element type, so its
// size field is element 1 and its payload element 5 of that array: for float32 and float64
// arrays the same indices as bytes, scaled by the element size.
const (
	V1Size       = 1
	V1Data       = V1Size + 4
	V0FloatSize  = V1Size * 4
	V0FloatData  = V1Data * 4
	V0DoubleSize = V1Size * 8
	V0DoubleData = V1Data * 8
)

// MaxSize is the largest size, capacity or payload length the layouts can express: their size
// fields are u32.
const MaxSize = 0xFFFFFFFF

func (l Layout) String() string { return fmt.Sprintf("v%d", int(l)) }

// Valid reports whether l is one of the three layouts.
func (l Layout) Valid() bool { return l >= LayoutV0 && l <= LayoutV2 }

// MinSize is the smallest segment that holds the layout's header (an empty payload).
func (l Layout) MinSize() int {
	if l == LayoutV2 {
		return V2Data
	}
	return V1Data
}

// fields returns the offsets of the size field and of the payload for a payload type; only
// layout v0 puts types apart.
func (l Layout) fields(typ uint8) (sizeAt, dataAt int) {
	switch l {
	case LayoutV2:
		return V2Size, V2Data
	case LayoutV1:
		return V1Size, V1Data
	}
	switch {
	case typ&TypeString != 0 || typ&TypeBytes != 0:
		return V1Size, V1Data
	case typ&TypeFloat != 0:
		return V0FloatSize, V0FloatData
	case typ&TypeDouble != 0:
		return V0DoubleSize, V0DoubleData
	}
	return V1Size, V1Data
}

// nextFlags is the flags byte after a write of typ: kMemoryChanged toggled, the type bit set.
func nextFlags(old, typ uint8) uint8 {
	return (old&FlagChanged ^ FlagChanged) | typ
}

func typeName(typ uint8) string {
	switch typ {
	case TypeString:
		return "string"
	case TypeFloat:
		return "Float32Array"
	case TypeDouble:
		return "Float64Array"
	case TypeBytes:
		return "binary"
	}
	return fmt.Sprintf("type 0x%02x", typ)
}
