// Tests of what a hostile local user can plant under a segment's name: a FIFO, socket or directory
// (every open must return at once and refuse it), and a segment of another user (writers and
// queues refuse to attach to it unless told AllowForeignOwner).

//go:build linux

package goshm_test

import (
	"bytes"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// openPath is one way of reaching a segment through the engine.
type openPath struct {
	name string
	open func(seg string) error
}

func closeAfter(c interface{ Close() error }, err error) error {
	if err == nil {
		c.Close()
	}
	return err
}

// every open path of the engine: raw opens, stream writers and readers of each layout (v1 and v0
// readers map read-only, as the JavaScript API opens them), and both ends of a queue.
var openPaths = []openPath{
	{"Open read-only", func(n string) error {
		s, err := goshm.Open(n, goshm.OpenOptions{ReadOnly: true})
		return closeAfter(s, err)
	}},
	{"Open read-write", func(n string) error {
		s, err := goshm.Open(n, goshm.OpenOptions{})
		return closeAfter(s, err)
	}},
	{"Open create", func(n string) error {
		s, err := goshm.Open(n, goshm.OpenOptions{Create: true, Size: 4096})
		return closeAfter(s, err)
	}},
	{"stream writer v2", streamOpen(goshm.OpenOptions{Create: true, Size: 4096}, goshm.LayoutV2)},
	{"stream writer v1", streamOpen(goshm.OpenOptions{Create: true, Size: 4096}, goshm.LayoutV1)},
	{"stream reader v2", streamOpen(goshm.OpenOptions{}, goshm.LayoutV2)},
	{"stream reader v2 read-only", streamOpen(goshm.OpenOptions{ReadOnly: true}, goshm.LayoutV2)},
	{"stream reader v1", streamOpen(goshm.OpenOptions{ReadOnly: true}, goshm.LayoutV1)},
	{"stream reader v0", streamOpen(goshm.OpenOptions{ReadOnly: true}, goshm.LayoutV0)},
	{"queue writer", queueOpen(true)},
	{"queue reader", queueOpen(false)},
}

func streamOpen(o goshm.OpenOptions, l goshm.Layout) func(string) error {
	return func(n string) error {
		s, err := goshm.OpenStream(n, o, goshm.StreamOptions{Layout: l})
		return closeAfter(s, err)
	}
}

func queueOpen(create bool) func(string) error {
	return func(n string) error {
		qo := goshm.QueueOptions{Layout: goshm.LayoutV2}
		if create {
			qo.Capacity, qo.MaxMessageSize = 4, 16
		}
		q, err := goshm.OpenQueue(n, goshm.OpenOptions{Create: create}, qo)
		return closeAfter(q, err)
	}
}

// Issue 9, item 5: a FIFO under a segment's name made every read-only open block forever in
// open(2). Every open path must return within a bound and refuse what is not a regular file with
// KindLayout (ERR_SHM_LAYOUT), naming what it found, and leave it where it is: whether open(2)
// lets it through to fstat (a FIFO, a directory opened read-only, a device) or refuses it itself
// (a socket: ENXIO; a directory opened for writing: EISDIR; a device on a nodev mount: EACCES).
func TestNonRegularFileUnderTheName(t *testing.T) {
	plants := []struct {
		what  string
		plant func(t *testing.T, path string)
	}{
		{"FIFO", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o666); err != nil {
				t.Fatal(err)
			}
		}},
		{"socket", func(t *testing.T, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false) // segName's cleanup removes it
			t.Cleanup(func() { l.Close() })
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o777); err != nil {
				t.Fatal(err)
			}
		}},
		{"character device", func(t *testing.T, path string) {
			// /dev/null's numbers: opening it is harmless, and it answers reads and writes at once.
			if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
				t.Skipf("mknod needs root (CAP_MKNOD): %v", err)
			}
		}},
	}
	for _, p := range plants {
		t.Run(p.what, func(t *testing.T) {
			name := segName(t, "")
			p.plant(t, shmPath(name))
			before, err := os.Lstat(shmPath(name))
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range openPaths {
				done := make(chan error, 1)
				go func() { done <- op.open(name) }()
				select {
				case err := <-done:
					e := wantKind(t, err, goshm.KindLayout)
					if !bytes.Contains([]byte(e.Msg), []byte(p.what)) || !bytes.Contains([]byte(e.Msg), []byte(name)) {
						t.Errorf("%s: message %q should say it found a %s and name the segment", op.name, e.Msg, p.what)
					}
				case <-time.After(3 * time.Second):
					// The goroutine stays blocked in open(2); the test binary ends anyway.
					t.Fatalf("%s on a %s: no answer after 3 s (blocked in open?)", op.name, p.what)
				}
			}
			after, err := os.Lstat(shmPath(name))
			if err != nil || after.Mode() != before.Mode() {
				t.Errorf("the planted %s changed: %v, %v -> %v", p.what, err, before.Mode(), after.Mode())
			}
		})
	}
}

// foreignUID is a user other than ours: who owns the segments of these tests.
const foreignUID = 65534 // nobody

// plantForeign makes a segment of size bytes owned by foreignUID with the given mode, as a squatter
// would, and returns its bytes.
func plantForeign(t *testing.T, name string, size int, mode os.FileMode) []byte {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a segment to another user (chown)")
	}
	img := bytes.Repeat([]byte{0xA5}, size)
	plant(t, name, img)
	if err := os.Chown(shmPath(name), foreignUID, foreignUID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shmPath(name), mode); err != nil {
		t.Fatal(err)
	}
	return img
}

// Issue 9, item 7: a segment pre-created by another user (a squatter, mode 0666) must not be
// attached to by a writer, a queue end or a create, which would let that user read what we write
// and inject what we consume: EPERM, naming the owner and the mode, and the segment unchanged and
// still there. Readers attach (reading a peer's segment is the normal cross-user case), and
// AllowForeignOwner lets the others attach too.
func TestForeignOwnerIsRefused(t *testing.T) {
	name := segName(t, "")
	img := plantForeign(t, name, 4096, 0o666)
	refused := []openPath{
		{"Open create", func(n string) error {
			s, err := goshm.Open(n, goshm.OpenOptions{Create: true, Size: 8192, Mode: 0o600})
			return closeAfter(s, err)
		}},
		{"stream writer v2", streamOpen(goshm.OpenOptions{Create: true, Size: 8192}, goshm.LayoutV2)},
		{"stream writer v1", streamOpen(goshm.OpenOptions{Create: true, Size: 8192}, goshm.LayoutV1)},
		{"stream writer v0", streamOpen(goshm.OpenOptions{Create: true, Size: 8192}, goshm.LayoutV0)},
		{"queue writer", queueOpen(true)},
		{"queue reader", queueOpen(false)},
	}
	for _, op := range refused {
		e := wantKind(t, op.open(name), goshm.KindOS)
		if e.Errno != syscall.EPERM || e.Code() != "EPERM" || e.Segment != name {
			t.Errorf("%s: error %q (%s, segment %q), want EPERM naming the segment", op.name, e.Msg, e.Code(), e.Segment)
		}
		for _, want := range []string{name, "65534", "0666"} {
			if !bytes.Contains([]byte(e.Msg), []byte(want)) {
				t.Errorf("%s: message %q does not say %q", op.name, e.Msg, want)
			}
		}
		st, err := os.Stat(shmPath(name))
		if err != nil || st.Mode().Perm() != 0o666 || !bytes.Equal(fileBytes(t, name), img) {
			t.Fatalf("%s: the refused segment changed (%v, mode %v)", op.name, err, st.Mode())
		}
	}

	// Readers attach.
	for _, op := range []openPath{
		{"Open read-write", func(n string) error {
			s, err := goshm.Open(n, goshm.OpenOptions{})
			return closeAfter(s, err)
		}},
		{"stream reader v2", streamOpen(goshm.OpenOptions{}, goshm.LayoutV2)},
		{"stream reader v1", streamOpen(goshm.OpenOptions{ReadOnly: true}, goshm.LayoutV1)},
	} {
		if err := op.open(name); err != nil && !goshm.IsKind(err, goshm.KindLayout) {
			t.Errorf("%s of another user's segment: %v", op.name, err)
		}
	}

	// The opt-in.
	s, err := goshm.OpenStream(name, goshm.OpenOptions{Create: true, Size: 4096, AllowForeignOwner: true},
		goshm.StreamOptions{Layout: goshm.LayoutV1})
	if err != nil {
		t.Fatalf("writer with AllowForeignOwner: %v", err)
	}
	s.Close()
}

// A queue segment of another user is refused even when it already holds a valid queue; with
// AllowForeignOwner both ends attach.
func TestForeignOwnerQueue(t *testing.T) {
	name := segName(t, "")
	plantForeign(t, name, 1, 0o600)
	os.Truncate(shmPath(name), 0) // a blank segment: a queue writer would initialise it
	opt := goshm.OpenOptions{Create: true, AllowForeignOwner: true}
	q, err := goshm.OpenQueue(name, opt, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 4, MaxMessageSize: 8})
	if err != nil {
		t.Fatalf("queue writer with AllowForeignOwner: %v", err)
	}
	defer q.Close()
	img := fileBytes(t, name)
	for _, create := range []bool{true, false} {
		_, err := goshm.OpenQueue(name, goshm.OpenOptions{Create: create}, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 4, MaxMessageSize: 8})
		if e := wantKind(t, err, goshm.KindOS); e.Errno != syscall.EPERM {
			t.Errorf("queue (create %v) of another user: %v, want EPERM", create, e)
		}
	}
	if !bytes.Equal(fileBytes(t, name), img) {
		t.Error("a refused queue open changed the segment")
	}
	q2, err := goshm.OpenQueue(name, goshm.OpenOptions{AllowForeignOwner: true}, goshm.QueueOptions{Layout: goshm.LayoutV2})
	if err != nil {
		t.Fatalf("queue reader with AllowForeignOwner: %v", err)
	}
	q2.Close()
}

// Our own segment with a broader mode than we would ask for (a libsharedmemory peer of the same
// user makes them 0777) is the normal case: every path attaches, and the mode is left as it is.
func TestOwnSegmentWithBroadModeIsAccepted(t *testing.T) {
	name := segName(t, "")
	plant(t, name, make([]byte, 4096))
	if err := os.Chmod(shmPath(name), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, op := range openPaths {
		if err := op.open(name); err != nil {
			t.Errorf("%s of our own 0777 segment: %v", op.name, err)
		}
		os.Truncate(shmPath(name), 4096) // the queue writer grows it; keep the stream paths' size
	}
	if st, err := os.Stat(shmPath(name)); err != nil || st.Mode().Perm() != 0o777 {
		t.Errorf("mode after attaching: %v, %v; want 0777 kept", st.Mode(), err)
	}
}
