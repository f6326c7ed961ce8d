// Tests that a write whose source or segment faults leaves no torn value behind: the old value
// when the fault comes before anything is stored, otherwise an empty one under a new revision.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

const page = 4096

// faultCases are the layouts and payload types: v0 keeps a size field per type.
var faultCases = []struct {
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

// Payload sizes: the fault in the only piece of copyCached, and in the second of 256 KiB pieces.
var faultSizes = []int{3 * page, 512 << 10}

// before is what a test knows of the segment before the write that faults.
type before struct {
	old   []byte
	flags uint8
	rev   uint32
}

// setUp makes a stream of the case's layout holding an old payload of size bytes.
func setUp(t *testing.T, l goshm.Layout, typ uint8, size int) (*goshm.Stream, string, before) {
	name := segName(t, "")
	s := create(t, name, int64(size)+page, l)
	old := bytes.Repeat([]byte("old!"), size/4)
	mustWrite(t, s, typ, old)
	return s, name, before{old, fileBytes(t, name)[0], revisionOf(t, name, l)}
}

// Issue 9, item 9, the reported case: the source is a view over another segment truncated before
// the write. The write is KindFault and changes nothing: the old value, flags and revision stay.
// (Before the fix the first 256 KiB piece was already stored and readers took the mix.)
func TestWriteFromTruncatedSourceChangesNothing(t *testing.T) {
	for _, size := range faultSizes {
		for _, c := range faultCases {
			t.Run(fmt.Sprintf("%s-%s-%d", c.layout, typeLabel(c.typ), size), func(t *testing.T) {
				s, name, b := setUp(t, c.layout, c.typ, size)
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

				r := attach(t, name, goshm.StreamOptions{Layout: c.layout})
				got, flags := mustRead(t, r, c.typ)
				if !bytes.Equal(got, b.old) || flags != b.flags || revisionOf(t, name, c.layout) != b.rev {
					t.Fatalf("after the faulted write: %d bytes (%d of them new), flags %#b, revision %d; want the old "+
						"value, flags %#b, revision %d", len(got), bytes.Count(got, []byte("NEW!"))*4, flags,
						revisionOf(t, name, c.layout), b.flags, b.rev)
				}
				checkUsable(t, s, r, c.typ, name)
			})
		}
	}
}

// The source faults midway, after part of it was stored: a page in its middle is unreadable (the
// way a source truncated during the copy looks to the copy). The segment must be repaired.
func TestWriteWithSourceFaultingMidwayIsRepaired(t *testing.T) {
	for _, size := range faultSizes {
		for _, c := range faultCases {
			t.Run(fmt.Sprintf("%s-%s-%d", c.layout, typeLabel(c.typ), size), func(t *testing.T) {
				s, name, b := setUp(t, c.layout, c.typ, size)
				src, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Munmap(src)
				copy(src, bytes.Repeat([]byte("NEW!"), size/4))
				hole := size / 2 / page * page // not the last page, which Write touches first
				if err := unix.Mprotect(src[hole:hole+page], unix.PROT_NONE); err != nil {
					t.Fatal(err)
				}
				checkFault(t, "Write", s.Write(c.typ, src), name)
				checkRepaired(t, name, c.layout, b)
				checkUsable(t, s, attach(t, name, goshm.StreamOptions{Layout: c.layout}), c.typ, name)
			})
		}
	}
}

// The segment itself is cut under the payload: the copy faults after storing what fits. Once the
// segment has its size back, readers must find a repaired segment, not the new bytes in front of
// the zeros tmpfs gives back.
func TestWriteIntoTruncatedPayloadIsRepaired(t *testing.T) {
	for _, size := range faultSizes {
		for _, c := range faultCases {
			t.Run(fmt.Sprintf("%s-%s-%d", c.layout, typeLabel(c.typ), size), func(t *testing.T) {
				s, name, b := setUp(t, c.layout, c.typ, size)
				if err := os.Truncate(shmPath(name), int64(size/2)); err != nil {
					t.Fatal(err)
				}
				checkFault(t, "Write", s.Write(c.typ, bytes.Repeat([]byte("NEW!"), size/4)), name)
				if err := os.Truncate(shmPath(name), int64(size)+page); err != nil {
					t.Fatal(err)
				}
				checkRepaired(t, name, c.layout, b)
				checkUsable(t, s, attach(t, name, goshm.StreamOptions{Layout: c.layout}), c.typ, name)
			})
		}
	}
}

// checkRepaired: an empty payload for a reader of any type, no type bit, kMemoryChanged toggled,
// and in v2 the revision moved and the lock free, as after the takeover of a dead writer.
func checkRepaired(t *testing.T, name string, l goshm.Layout, b before) {
	t.Helper()
	img := fileBytes(t, name)
	if want := (b.flags ^ goshm.FlagChanged) & goshm.FlagChanged; img[0] != want {
		t.Errorf("flags %#b after the faulted write, want %#b (changed toggled, no type bit)", img[0], want)
	}
	if l == goshm.LayoutV2 {
		if rev := revisionOf(t, name, l); rev != b.rev+1 {
			t.Errorf("revision %d after the faulted write, want %d", rev, b.rev+1)
		}
		if lock := binary.LittleEndian.Uint32(img[goshm.V2Lock:]); lock != 0 {
			t.Errorf("lock word %d after the faulted write", lock)
		}
	}
	r := attach(t, name, goshm.StreamOptions{Layout: l})
	for _, typ := range []uint8{0, goshm.TypeString, goshm.TypeFloat, goshm.TypeDouble} {
		if got, _ := mustRead(t, r, typ); len(got) != 0 {
			t.Errorf("read (type %d) after the faulted write: %d bytes (%d of them new), want an empty payload",
				typ, len(got), bytes.Count(got, []byte("NEW!"))*4)
		}
	}
}

// checkUsable: the lock is free and the next write works.
func checkUsable(t *testing.T, s, r *goshm.Stream, typ uint8, name string) {
	t.Helper()
	mustWrite(t, s, typ, []byte("next"))
	if got, _ := mustRead(t, r, typ); string(got) != "next" {
		t.Errorf("read after the next write = %q", got)
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
