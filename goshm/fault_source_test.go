// Tests that a write whose source faults midway (a view over another segment that was truncated)
// leaves no torn value behind: the old value, or an empty one under a new revision.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// Issue 9, item 9: the payload is copied in pieces of 256 KiB (copyCached), so when the source
// faulted in its second piece the first had already replaced the old bytes, and the write returned
// KindFault with the old size, flags and revision in place: every reader accepted a payload torn
// between the new value and the old. A write that faults must leave the old value (flags and
// revision unchanged) or an empty payload with no type bit, kMemoryChanged toggled and (v2) the
// revision moved, as after the takeover of a dead writer; the lock must be free and the next write
// must work. Sources of 8 KiB (the fault in the only piece) and 512 KiB (in the second).
func TestWriteWithFaultingSourceLeavesNoTornValue(t *testing.T) {
	const page = 4096
	cases := []struct {
		layout goshm.Layout
		typ    uint8
	}{
		{goshm.LayoutV2, goshm.TypeString},
		{goshm.LayoutV2, goshm.TypeBytes},
		{goshm.LayoutV1, goshm.TypeString},
		{goshm.LayoutV0, goshm.TypeString},
		{goshm.LayoutV0, goshm.TypeFloat},
		{goshm.LayoutV0, goshm.TypeDouble},
	}
	for _, size := range []int{2 * page, 512 << 10} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s-%s-%d", c.layout, typeLabel(c.typ), size), func(t *testing.T) {
				name := segName(t, "")
				s := create(t, name, int64(size)+page, c.layout)
				old := bytes.Repeat([]byte("old!"), size/4)
				mustWrite(t, s, c.typ, old)
				rev := revisionOf(t, name, c.layout)
				flags := fileBytes(t, name)[0]

				// The source: a raw segment of the payload's size plus a page, cut under its live
				// mapping to half the payload (rounded to a page).
				srcName := segName(t, "src")
				src, err := goshm.Open(srcName, goshm.OpenOptions{Create: true, Size: int64(size) + page})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				copy(src.Bytes(), bytes.Repeat([]byte("NEW!"), size/4))
				if err := os.Truncate(shmPath(srcName), int64(size/2+page-1)/page*page); err != nil {
					t.Fatal(err)
				}

				checkFault(t, "Write", s.Write(c.typ, src.Bytes()[:size]), name)

				img := fileBytes(t, name)
				if c.layout == goshm.LayoutV2 {
					if lock := binary.LittleEndian.Uint32(img[goshm.V2Lock:]); lock != 0 {
						t.Errorf("lock word %d after the faulted write", lock)
					}
				}
				r := attach(t, name, goshm.StreamOptions{Layout: c.layout})
				got, _ := mustRead(t, r, c.typ)
				gotRev, gotFlags := revisionOf(t, name, c.layout), img[0]
				switch {
				case bytes.Equal(got, old) && gotFlags == flags && gotRev == rev:
					// the old value, untouched
				case len(got) == 0 && gotFlags == (flags^goshm.FlagChanged)&goshm.FlagChanged &&
					(c.layout != goshm.LayoutV2 || gotRev == rev+1):
					// repaired: every reader, of whatever type, finds an empty payload
					for _, typ := range []uint8{0, goshm.TypeString, goshm.TypeFloat, goshm.TypeDouble} {
						if b, _ := mustRead(t, r, typ); len(b) != 0 && c.layout != goshm.LayoutV2 {
							t.Errorf("read (type %d) of the repaired segment: %d bytes", typ, len(b))
						}
					}
				default:
					t.Fatalf("after the faulted write: %d bytes (%d of them new), flags %#b, revision %d; want the old value "+
						"(flags %#b, revision %d) or an empty one (flags %#b, revision %d)", len(got), bytes.Count(got, []byte("NEW!"))*4,
						gotFlags, gotRev, flags, rev, (flags^goshm.FlagChanged)&goshm.FlagChanged, rev+1)
				}
				mustWrite(t, s, c.typ, []byte("next"))
				if got, _ := mustRead(t, r, c.typ); string(got) != "next" {
					t.Errorf("read after the next write = %q", got)
				}
			})
		}
	}
}

func typeLabel(typ uint8) string {
	return map[uint8]string{goshm.TypeString: "string", goshm.TypeBytes: "bytes", goshm.TypeFloat: "float", goshm.TypeDouble: "double"}[typ]
}

func revisionOf(t *testing.T, name string, l goshm.Layout) uint32 {
	t.Helper()
	if l != goshm.LayoutV2 {
		return 0
	}
	return binary.LittleEndian.Uint32(fileBytes(t, name)[goshm.V2Revision:])
}
