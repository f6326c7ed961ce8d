// The helpers every test file of the package shares. Where a segment's bytes sit as a file (shmPath)
// is per OS: helpers_linux_test.go, helpers_windows_test.go, helpers_darwin_test.go.
package goshm_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// needFiles skips a test that reaches a segment's bytes behind the engine, on an OS that keeps
// them in no file.
func needFiles(t testing.TB) {
	t.Helper()
	if !segmentFiles {
		t.Skip("this OS keeps segments in no file the test can read")
	}
}

var allLayouts = []goshm.Layout{goshm.LayoutV2, goshm.LayoutV1, goshm.LayoutV0}

// segName returns a segment name unique to this process and test (another engineer may run the
// same tests at the same time), and removes the segment when the test ends, whatever happened.
func segName(t testing.TB, suffix string) string {
	t.Helper()
	n := fmt.Sprintf("goshm-test-%d-%s", os.Getpid(), t.Name())
	if suffix != "" {
		n += "-" + suffix
	}
	n = strings.ReplaceAll(n, "/", "_")
	if len(n) > goshm.MaxNameLen {
		t.Fatalf("segment name %q is longer than %d bytes; shorten the test name", n, goshm.MaxNameLen)
	}
	t.Cleanup(func() {
		if segmentFiles {
			os.Remove(shmPath(n))
		} else {
			goshm.Unlink(n)
		}
	})
	return n
}

// plant writes img as the whole segment name, the way another process's library would leave it.
func plant(t testing.TB, name string, img []byte) {
	t.Helper()
	needFiles(t)
	if err := os.WriteFile(shmPath(name), img, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fileBytes is the segment as the OS sees it, independent of any mapping of ours.
func fileBytes(t testing.TB, name string) []byte {
	t.Helper()
	needFiles(t)
	b, err := os.ReadFile(shmPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// create makes a fresh segment of size bytes with a stream over it, closed at the end of the test.
func create(t testing.TB, name string, size int64, l goshm.Layout) *goshm.Stream {
	t.Helper()
	s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: size, Create: true}, goshm.StreamOptions{Layout: l})
	if err != nil {
		t.Fatalf("create %q (%d bytes, layout %s): %v", name, size, l, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// attach opens an existing segment as a reader mapping all of it, closed at the end of the test.
func attach(t testing.TB, name string, so goshm.StreamOptions) *goshm.Stream {
	t.Helper()
	s, err := goshm.OpenStream(name, goshm.OpenOptions{}, so)
	if err != nil {
		t.Fatalf("open %q (layout %s): %v", name, so.Layout, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wantKind fails unless err is (or wraps) a *goshm.Error of kind k.
func wantKind(t testing.TB, err error, k goshm.Kind) *goshm.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want kind %d", k)
	}
	e, ok := goshm.AsError(err)
	if !ok {
		t.Fatalf("error %q is a %T, want *goshm.Error of kind %d", err, err, k)
	}
	if e.Kind != k {
		t.Fatalf("error %q has kind %d (%s), want kind %d", e, e.Kind, e.Code(), k)
	}
	return e
}

func mustWrite(t testing.TB, s *goshm.Stream, typ uint8, p []byte) {
	t.Helper()
	if err := s.Write(typ, p); err != nil {
		t.Fatalf("Write(%d, %d bytes): %v", typ, len(p), err)
	}
}

// mustRead reads the whole payload of type typ with a buffer large enough for any payload.
func mustRead(t testing.TB, s *goshm.Stream, typ uint8) ([]byte, uint8) {
	t.Helper()
	buf := make([]byte, s.Segment().Size())
	n, f, err := s.Read(typ, buf)
	if err != nil {
		t.Fatalf("Read(%d): %v", typ, err)
	}
	return buf[:n], f
}

func f32bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func f64bytes(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// offsets is the test's own reading of SPEC §3.1–3.3: where the size field and the payload of a
// type sit in a layout. It is deliberately not the engine's table, so that the two check each other.
func offsets(l goshm.Layout, typ uint8) (sizeAt, dataAt int) {
	switch {
	case l == goshm.LayoutV2:
		return 12, 20
	case l == goshm.LayoutV1:
		return 1, 5
	case typ == goshm.TypeFloat:
		return 4, 20
	case typ == goshm.TypeDouble:
		return 8, 40
	}
	return 1, 5
}

// v2opts opens a stream in the default layout of SPEC §2.2 (the zero StreamOptions is v0).
var v2opts = goshm.StreamOptions{Layout: goshm.LayoutV2}

var payloadTypes = []uint8{goshm.TypeString, goshm.TypeFloat, goshm.TypeDouble}
