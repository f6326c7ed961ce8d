// Tests that a segment truncated by another process gives KindFault errors instead of a SIGBUS.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// SPEC §2.3: a process must never die of SIGBUS because of what another process did to a segment.
// Truncating the file under a live mapping makes every access past the new end fault; the engine
// must turn that into an error, and work again once the segment has its size back.
func TestTruncatedSegmentFaults(t *testing.T) {
	const size = 4096
	for _, l := range allLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name := segName(t, "")
			s := create(t, name, size, l)
			mustWrite(t, s, goshm.TypeString, []byte("hello"))

			if err := os.Truncate(shmPath(name), 0); err != nil {
				t.Fatal(err)
			}
			checkFault(t, "Write", s.Write(goshm.TypeString, []byte("lost")), name)
			_, _, err := s.Read(goshm.TypeString, make([]byte, 64))
			checkFault(t, "Read", err, name)
			_, err = s.Flags()
			checkFault(t, "Flags", err, name)

			// The mapping is still there; with the pages back (zeroed, as tmpfs gives them) it works.
			if err := os.Truncate(shmPath(name), size); err != nil {
				t.Fatal(err)
			}
			if f, err := s.Flags(); err != nil || f != 0 {
				t.Fatalf("Flags after restoring the size = %#b, %v; want 0, nil", f, err)
			}
			mustWrite(t, s, goshm.TypeString, []byte("again"))
			if got, _ := mustRead(t, s, goshm.TypeString); string(got) != "again" {
				t.Fatalf("Read after restoring the size = %q", got)
			}
		})
	}
}

// A partial truncation leaves the header readable and cuts the payload: the fault now happens in
// the middle of the copy (inside the runtime's memmove), and in v2 after the lock was taken. The
// error must still be KindFault, and a faulted write must not leave the lock held.
func TestTruncatedPayloadFaults(t *testing.T) {
	const page = 4096
	for _, l := range []goshm.Layout{goshm.LayoutV2, goshm.LayoutV1} {
		t.Run(l.String(), func(t *testing.T) {
			name := segName(t, "")
			s := create(t, name, 3*page, l)
			big := bytes.Repeat([]byte("0123456789abcdef"), 2*page/16)
			mustWrite(t, s, goshm.TypeString, big)

			if err := os.Truncate(shmPath(name), page); err != nil {
				t.Fatal(err)
			}
			_, _, err := s.Read(goshm.TypeString, make([]byte, 3*page))
			checkFault(t, "Read", err, name)
			checkFault(t, "Write", s.Write(goshm.TypeString, big), name)

			if l == goshm.LayoutV2 {
				if lock := binary.LittleEndian.Uint32(fileBytes(t, name)[16:]); lock != 0 {
					t.Errorf("lock word %d after a write that faulted: every later write will wait for it", lock)
				}
			}
			// Small payloads within the surviving page still work.
			mustWrite(t, s, goshm.TypeString, []byte("small"))
			if got, _ := mustRead(t, s, goshm.TypeString); string(got) != "small" {
				t.Fatalf("Read = %q", got)
			}
		})
	}
}

func checkFault(t *testing.T, op string, err error, name string) {
	t.Helper()
	e := wantKind(t, err, goshm.KindFault)
	if e.Code() != "ERR_SHM_FAULT" || !strings.Contains(e.Msg, name) {
		t.Errorf("%s: error %q (code %s) should be ERR_SHM_FAULT and name %q", op, e.Msg, e.Code(), name)
	}
}
