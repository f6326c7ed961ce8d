// Tests inspect.go: Inspect and List describe segments without changing a byte of them, and judge
// lock holders and users as far as can be known.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

func TestInspectStreamReadOnly(t *testing.T) {
	name := segName(t, "")
	s := create(t, name, 256, goshm.LayoutV2)
	mustWrite(t, s, goshm.TypeString, []byte("hello"))
	before := fileBytes(t, name)
	in, err := goshm.Inspect(name)
	if err != nil {
		t.Fatal(err)
	}
	if in.Detected.Shape != goshm.ShapeStream || in.Detected.Layout != goshm.LayoutV2 || in.Size != 256 ||
		in.Detected.Size != 5 || in.Revision != 1 || in.Lock != 0 || in.LockAlive != goshm.TriNo {
		t.Fatalf("Inspect = %+v", in)
	}
	if in.UID != uint32(os.Geteuid()) || in.Mode != 0o600 || in.Mtime.IsZero() || !in.HasOwner {
		t.Fatalf("owner, mode, mtime = %d %o %v", in.UID, in.Mode, in.Mtime)
	}
	// The writer is open: it announces itself, and this process maps the segment.
	if in.Announced != goshm.TriYes || in.InUse != goshm.TriYes {
		t.Fatalf("announced %d, in use %d", in.Announced, in.InUse)
	}
	if !bytes.Equal(fileBytes(t, name), before) {
		t.Fatal("Inspect changed the segment")
	}
	s.Close()
	if in, _ = goshm.Inspect(name); in.Announced != goshm.TriNo {
		t.Fatalf("announced after close = %d", in.Announced)
	}
}

// A lock word: a dead pid, the C++ library's 1 (unknown), this process (alive).
func TestInspectLockHolders(t *testing.T) {
	name := segName(t, "")
	s := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, s, goshm.TypeString, []byte("x"))
	s.Close()
	img := fileBytes(t, name)
	for _, c := range []struct {
		holder uint32
		alive  goshm.Tri
	}{{1 << 23, goshm.TriNo}, {1, goshm.TriUnknown}, {uint32(os.Getpid()), goshm.TriYes}} {
		binary.LittleEndian.PutUint32(img[goshm.V2Lock:], c.holder)
		plant(t, name, img)
		in, err := goshm.Inspect(name)
		if err != nil {
			t.Fatal(err)
		}
		if in.Lock != c.holder || in.LockAlive != c.alive {
			t.Errorf("holder %d: lock %d alive %d, want alive %d", c.holder, in.Lock, in.LockAlive, c.alive)
		}
	}
}

func TestListHasSegments(t *testing.T) {
	name, empty := segName(t, "q"), segName(t, "empty")
	q, err := goshm.OpenQueue(name, goshm.OpenOptions{Create: true}, goshm.QueueOptions{Capacity: 2, MaxMessageSize: 8, Layout: goshm.LayoutV1})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	plant(t, empty, nil)
	list, err := goshm.List()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, in := range list {
		switch in.Name {
		case name:
			found++
			if in.Detected.Shape != goshm.ShapeQueue || in.Detected.Layout != goshm.LayoutV1 || in.Detected.Capacity != 2 {
				t.Errorf("queue: %+v", in)
			}
		case empty:
			found++
			if in.Detected.Shape != goshm.ShapeBlank || in.Size != 0 {
				t.Errorf("empty: %+v", in)
			}
		}
	}
	if found != 2 {
		t.Fatalf("List found %d of the 2 segments", found)
	}
}
