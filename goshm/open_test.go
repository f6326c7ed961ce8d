// Tests the open path's rules for existing segments (issue 11 items 1 and 5): a failed open never
// removes a segment it did not create, and a writer that asks for Reset starts from a new header.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// Opens that fail after the segment was opened with Unlink (persistent false) leave an existing
// segment in place, byte for byte.
func TestFailedOpenKeepsExistingSegment(t *testing.T) {
	queue := vectorImage(t, "libsharedmemory-2.0.0/queue-three.bin") // capacity 4, maxMessageSize 16
	for _, c := range []struct {
		what string
		img  []byte
		open func(name string) error
	}{
		{"queue writer, other capacity", queue, func(n string) error {
			_, err := goshm.OpenQueue(n, goshm.OpenOptions{Create: true, Unlink: true}, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 8, MaxMessageSize: 16})
			return err
		}},
		{"queue opener, other maxMessageSize", queue, func(n string) error {
			_, err := goshm.OpenQueue(n, goshm.OpenOptions{Unlink: true}, goshm.QueueOptions{Layout: goshm.LayoutV2, MaxMessageSize: 8})
			return err
		}},
		{"stream reader, segment too small", []byte("0123456789"), func(n string) error {
			_, err := goshm.OpenStream(n, goshm.OpenOptions{Unlink: true}, goshm.StreamOptions{Layout: goshm.LayoutV2})
			return err
		}},
		{"stream reader on a queue", queue, func(n string) error {
			_, err := goshm.OpenStream(n, goshm.OpenOptions{Unlink: true}, goshm.StreamOptions{Layout: goshm.LayoutV2})
			return err
		}},
	} {
		t.Run(c.what, func(t *testing.T) {
			name := segName(t, "")
			plant(t, name, c.img)
			wantKind(t, c.open(name), goshm.KindLayout)
			if after := fileBytes(t, name); !bytes.Equal(after, c.img) {
				t.Errorf("the segment changed or was removed: %x", after)
			}
		})
	}
}

// Reset on an existing v2 stream: flags and size 0, the revision one further with the ack equal to
// it, the lock free, the hint bytes and the payload bytes as they were. Without Reset nothing moves.
func TestWriterReset(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	if err := w.Write(goshm.TypeString, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	img := fileBytes(t, name)
	img[goshm.V2HintAck] = 1 // as a waiting watcher leaves it
	img[3] = 0x5a            // padding some other program set
	plant(t, name, img)

	keep, err := goshm.OpenStream(name, goshm.OpenOptions{Create: true, Size: 64}, goshm.StreamOptions{Layout: goshm.LayoutV2})
	if err != nil {
		t.Fatal(err)
	}
	keep.Close()
	if after := fileBytes(t, name); !bytes.Equal(after, img) {
		t.Fatalf("an open without Reset changed the header: %x", after[:goshm.V2Data])
	}

	s, err := goshm.OpenStream(name, goshm.OpenOptions{Create: true, Size: 64}, goshm.StreamOptions{Layout: goshm.LayoutV2, Reset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := fileBytes(t, name)
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(after[off:]) }
	if after[0] != 0 || after[3] != 0 || u32(goshm.V2Size) != 0 || u32(goshm.V2Lock) != 0 {
		t.Errorf("flags %#x, byte 3 %#x, size %d, lock %d; want all 0", after[0], after[3], u32(goshm.V2Size), u32(goshm.V2Lock))
	}
	if u32(goshm.V2Revision) != 2 || u32(goshm.V2Ack) != 2 {
		t.Errorf("revision %d, ack %d; want 2 and 2", u32(goshm.V2Revision), u32(goshm.V2Ack))
	}
	if after[goshm.V2HintAck] != 1 || !bytes.Equal(after[goshm.V2Data:], img[goshm.V2Data:]) {
		t.Errorf("the hint byte or the payload bytes changed")
	}
	if read, err := s.IsMessageRead(); err != nil || !read {
		t.Errorf("IsMessageRead() = %v, %v after a reset; want true", read, err)
	}
}
