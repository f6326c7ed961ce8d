package goshm

import "fmt"

// Layout is one of the wire layouts of libsharedmemory's stream (SPEC §3.1–3.3).
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

// Header fields of layout v2.
const (
	v2Revision = 4
	v2Ack      = 8
	v2Size     = 12
	v2Lock     = 16
	v2Data     = 20
)

func (l Layout) String() string { return fmt.Sprintf("v%d", int(l)) }

// Valid reports whether l is one of the three layouts.
func (l Layout) Valid() bool { return l >= LayoutV0 && l <= LayoutV2 }

// MinSize is the smallest segment that holds the layout's header (an empty payload).
func (l Layout) MinSize() int {
	if l == LayoutV2 {
		return v2Data
	}
	return 5
}

// fields returns the offsets of the size field and of the payload for a payload type. Layout v0
// indexes the segment as an array of the element type, so its size field sits at element 1 and
// its payload at element 5: bytes 1/5 for strings, 4/20 for float32, 8/40 for float64.
func (l Layout) fields(typ uint8) (sizeAt, dataAt int) {
	switch l {
	case LayoutV2:
		return v2Size, v2Data
	case LayoutV1:
		return 1, 5
	}
	switch {
	case typ&TypeString != 0 || typ&TypeBytes != 0:
		return 1, 5
	case typ&TypeFloat != 0:
		return 4, 20
	case typ&TypeDouble != 0:
		return 8, 40
	}
	return 1, 5
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
