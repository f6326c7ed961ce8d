// Windows segments as libsharedmemory 2.x peers expect them: persistent ones are files under
// %PROGRAMDATA%\shared_memory that outlive their writer, non-persistent ones named mappings that
// vanish with their last handle. Run under Wine by tools/test-windows-go.sh.

//go:build windows

package goshm_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// segmentFile is where a persistent segment lives, spelled out here (not from the engine) so that
// the test checks the rule itself: \ / : * ? " < > | and bytes below 32 become '_'.
func segmentFile(t *testing.T, sanitized string) string {
	t.Helper()
	pd := os.Getenv("PROGRAMDATA")
	if pd == "" {
		t.Fatal("PROGRAMDATA is not set")
	}
	return filepath.Join(pd, "shared_memory", "lsm_"+sanitized+".shm")
}

// child runs this test binary again as another process, in the role given by env (see
// TestWindowsChild), and fails the test if it fails.
func child(t *testing.T, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWindowsChild$")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child %v: %v\n%s", env, err, out)
	}
}

// TestWindowsChild is the other process of the tests below; run alone it does nothing.
func TestWindowsChild(t *testing.T) {
	name := os.Getenv("GOSHM_CHILD_NAME")
	switch os.Getenv("GOSHM_CHILD") {
	case "":
		t.Skip("only run as a child process")
	case "write":
		// Writes and exits without unlinking, as a writer that ends.
		s, err := goshm.Open(name, goshm.OpenOptions{Size: 4096, Create: true, Unlink: os.Getenv("GOSHM_CHILD_UNLINK") == "1"})
		if err != nil {
			t.Fatal(err)
		}
		copy(s.Bytes(), "written by a process that has exited")
		os.Exit(0) // no Close: the OS alone releases what the process held
	}
}

func TestWindowsPersistentSegmentIsAFile(t *testing.T) {
	name := segName(t, `a:b*c?d"e<f>g|h`)
	s, err := goshm.Open(name, goshm.OpenOptions{Size: 100, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	copy(s.Bytes(), "persistent")
	path := segmentFile(t, strings.NewReplacer(":", "_", "*", "_", "?", "_", `"`, "_", "<", "_", ">", "_", "|", "_").Replace(name))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the segment's file: %v", err)
	}
	if len(b) != 100 || !bytes.HasPrefix(b, []byte("persistent")) {
		t.Fatalf("file %s holds %d bytes %q..., want 100 bytes starting with the value written", path, len(b), b[:min(len(b), 16)])
	}
	// A writer that asks for more grows the file (and never shrinks it).
	s2, err := goshm.Open(name, goshm.OpenOptions{Size: 8192, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st, err := os.Stat(path); err != nil || st.Size() != 8192 || s2.Created() {
		t.Fatalf("after a larger writer attached: %v, created %v", st, s2.Created())
	}
	if !bytes.HasPrefix(s2.Bytes(), []byte("persistent")) {
		t.Fatal("growing lost the bytes")
	}
}

func TestWindowsPersistentSegmentOutlivesItsWriter(t *testing.T) {
	name := segName(t, "p")
	child(t, "GOSHM_CHILD=write", "GOSHM_CHILD_NAME="+name)
	r, err := goshm.Open(name, goshm.OpenOptions{})
	if err != nil {
		t.Fatalf("a new reader after the writer exited: %v", err)
	}
	if !bytes.HasPrefix(r.Bytes(), []byte("written by a process that has exited")) || r.Size() != 4096 {
		t.Fatalf("read %d bytes %q", r.Size(), r.Bytes()[:40])
	}
	r.Close()
	if err := goshm.Unlink(name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segmentFile(t, name)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unlink left the file: %v", err)
	}
	if _, err := goshm.Open(name, goshm.OpenOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open after unlink: %v", err)
	}
}

func TestWindowsNamedMappingVanishesWithItsLastHandle(t *testing.T) {
	name := segName(t, "np")
	child(t, "GOSHM_CHILD=write", "GOSHM_CHILD_NAME="+name, "GOSHM_CHILD_UNLINK=1")
	_, err := goshm.Open(name, goshm.OpenOptions{})
	e, ok := goshm.AsError(err)
	if !ok || e.Code() != "ENOENT" || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open of a non-persistent segment whose writer exited: %v, want ENOENT", err)
	}
	if _, err := os.Stat(segmentFile(t, name)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a non-persistent segment made a file: %v", err)
	}
}

func TestWindowsReaderFindsEitherKind(t *testing.T) {
	for _, writerUnlink := range []bool{true, false} {
		name := segName(t, map[bool]string{true: "mapping", false: "file"}[writerUnlink])
		w, err := goshm.Open(name, goshm.OpenOptions{Size: 4096, Create: true, Unlink: writerUnlink})
		if err != nil {
			t.Fatal(err)
		}
		copy(w.Bytes(), name)
		for _, readerUnlink := range []bool{true, false} {
			r, err := goshm.Open(name, goshm.OpenOptions{ReadOnly: true, Unlink: readerUnlink})
			if err != nil {
				t.Fatalf("writer unlink=%v, reader unlink=%v: %v", writerUnlink, readerUnlink, err)
			}
			if !bytes.HasPrefix(r.Bytes(), []byte(name)) {
				t.Fatalf("writer unlink=%v, reader unlink=%v: read %q", writerUnlink, readerUnlink, r.Bytes()[:len(name)])
			}
			r.Close()
			// A second writer of the other persistence attaches too, rather than making another segment.
			w2, err := goshm.Open(name, goshm.OpenOptions{Size: 4096, Create: true, Unlink: !writerUnlink})
			if err != nil || w2.Created() || !bytes.HasPrefix(w2.Bytes(), []byte(name)) {
				t.Fatalf("writer of the other persistence: %v (created %v)", err, w2 != nil && w2.Created())
			}
			w2.Close()
		}
		_, statErr := os.Stat(segmentFile(t, name))
		if writerUnlink != errors.Is(statErr, fs.ErrNotExist) {
			t.Fatalf("writer unlink=%v: file: %v", writerUnlink, statErr)
		}
		w.Close()
		if !writerUnlink {
			goshm.Unlink(name)
		}
	}
}

func TestWindowsNamedMappingCannotGrow(t *testing.T) {
	name := segName(t, "") // named mappings are the segments with Unlink
	s, err := goshm.Open(name, goshm.OpenOptions{Size: 4096, Create: true, Unlink: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = goshm.Open(name, goshm.OpenOptions{Size: 1 << 20, Create: true, Unlink: true})
	if e, ok := goshm.AsError(err); !ok || e.Kind != goshm.KindSize || !strings.Contains(e.Msg, "cannot grow") {
		t.Fatalf("growing a named mapping: %v, want KindSize", err)
	}
	// A reader without a size gets whole pages; one that asks for exactly the size gets that.
	r, err := goshm.Open(name, goshm.OpenOptions{Size: 4096})
	if err != nil || r.Size() != 4096 {
		t.Fatalf("reader: %v", err)
	}
	r.Close()
}

// A v2 writer whose lock holder died is taken over (pids are machine-wide on Windows, so the pid
// alone says the holder is dead), and a lock held by a live process only times out.
func TestWindowsLockTakeover(t *testing.T) {
	name := segName(t, "")
	s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: 4096, Create: true, Unlink: true},
		goshm.StreamOptions{Layout: goshm.LayoutV2, LockTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	lock := (*uint32)(unsafe.Pointer(&s.Segment().Bytes()[goshm.V2Lock]))
	atomic.StoreUint32(lock, uint32(cmd.Process.Pid))
	start := time.Now()
	if err := s.Write(goshm.TypeString, []byte("after takeover")); err != nil {
		t.Fatalf("write after the holder died: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("takeover took %v", d)
	}
	dst := make([]byte, 64)
	if n, _, err := s.Read(goshm.TypeString, dst); err != nil || string(dst[:n]) != "after takeover" {
		t.Fatalf("read back: %q, %v", dst[:n], err)
	}

	s2, err := goshm.OpenStream(name, goshm.OpenOptions{}, goshm.StreamOptions{Layout: goshm.LayoutV2, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	// This process is alive: its pid in the word is never taken over.
	atomic.StoreUint32(lock, uint32(os.Getpid()))
	err = s2.Write(goshm.TypeString, []byte("x"))
	atomic.StoreUint32(lock, 0)
	if e, ok := goshm.AsError(err); !ok || e.Kind != goshm.KindLockTimeout {
		t.Fatalf("write while a live process holds the lock: %v, want KindLockTimeout", err)
	}
}
