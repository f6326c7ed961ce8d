// Fuzz targets: arbitrary segment bytes, as another process may leave them, fed to the readers of each layout.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// maxFuzzSegment caps the segments the fuzzer builds: the header logic is what is under test, and
// small inputs keep each iteration to a few system calls.
const maxFuzzSegment = 4 << 10

func FuzzReadV2(f *testing.F) { fuzzRead(f, goshm.LayoutV2, "libsharedmemory-2.0.0") }
func FuzzReadV1(f *testing.F) { fuzzRead(f, goshm.LayoutV1, "libsharedmemory-1.10.0") }
func FuzzReadV0(f *testing.F) { fuzzRead(f, goshm.LayoutV0, "cpp_libsharedmemory-0.0.9") }

// fuzzRead seeds with every image the C++ library wrote in this layout (the queue images too: to
// a stream reader they are just more header-shaped bytes) and then checks, for each input, that
// reading never panics, never reports a payload larger than the segment can hold, returns only
// *goshm.Error errors, and agrees with the test's own reading of SPEC §3 (offsets()).
func fuzzRead(f *testing.F, l goshm.Layout, folder string) {
	seeds, err := filepath.Glob(filepath.Join(vectorsDir, folder, "*.bin"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no fixture images in %s/%s (%v)", vectorsDir, folder, err)
	}
	for _, p := range seeds {
		img, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(img)
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		img := make([]byte, max(len(in), l.MinSize())) // short inputs are padded to a header
		copy(img, in)
		if len(img) > maxFuzzSegment {
			img = img[:maxFuzzSegment]
		}
		if l == goshm.LayoutV2 {
			// Zero the lock word: a non-zero one would make every such input wait out the lock
			// timeout (or the 50 ms grace for a "dead" holder). lock_test.go covers the lock.
			clear(img[16:20])
		}
		name := segName(t, "")
		plant(t, name, img)
		s, err := goshm.OpenStream(name, goshm.OpenOptions{}, goshm.StreamOptions{Layout: l})
		if err != nil {
			// Refused only as what the bytes show (detect.go), and then left as they were.
			d := goshm.Detect(img, int64(len(img)))
			if !goshm.IsKind(err, goshm.KindLayout) || (d.Shape != goshm.ShapeQueue && d.Shape != goshm.ShapeStream) {
				t.Fatalf("open a %d-byte %s segment (detected as %s): %v", len(img), l, d, err)
			}
			if after := fileBytes(t, name); !bytes.Equal(after, img) {
				t.Errorf("a refused open changed the segment\nbefore %x\n after %x", img, after)
			}
			return
		}
		defer s.Close()

		noPanic(t, "Flags", func() {
			if fl, err := s.Flags(); err != nil || fl != img[0] {
				t.Errorf("Flags() = %#x, %v; want %#x", fl, err, img[0])
			}
		})
		for _, typ := range []uint8{goshm.TypeString, goshm.TypeFloat, goshm.TypeDouble, 0} {
			for _, dstLen := range []int{4, len(img)} {
				noPanic(t, "Read", func() { checkFuzzRead(t, s, l, img, typ, dstLen) })
			}
		}
		if after := fileBytes(t, name); !bytes.Equal(after, img) {
			t.Errorf("reading changed the segment\nbefore %x\n after %x", img, after)
		}
	})
}

func noPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	fn()
}

func checkFuzzRead(t *testing.T, s *goshm.Stream, l goshm.Layout, img []byte, typ uint8, dstLen int) {
	const sentinel = 0xEE
	dst := bytes.Repeat([]byte{sentinel}, dstLen)
	n, flags, err := s.Read(typ, dst)
	if err != nil {
		e, ok := goshm.AsError(err)
		if !ok {
			t.Fatalf("Read(%d) error %q is a %T, not a *goshm.Error", typ, err, err)
		}
		if e.Kind == goshm.KindInternal {
			t.Fatalf("Read(%d): engine bug: %v", typ, e)
		}
	}
	if n < 0 || n > len(img)-l.MinSize() {
		t.Fatalf("Read(%d) returned size %d from a %d-byte segment", typ, n, len(img))
	}
	if typ == 0 {
		return // v0 then picks the offsets from the flags byte; the bounds above still hold
	}
	if c := s.Capacity(typ); n > c {
		t.Fatalf("Read(%d) returned size %d, more than Capacity %d", typ, n, c)
	}

	sizeAt, dataAt := offsets(l, typ)
	if dataAt > len(img) {
		if !goshm.IsKind(err, goshm.KindLayout) {
			t.Fatalf("Read(%d) of a %d-byte segment with the payload at %d: %d, %v; want KindLayout", typ, len(img), dataAt, n, err)
		}
		return
	}
	size := binary.LittleEndian.Uint32(img[sizeAt:])
	if int64(size) > int64(len(img)-dataAt) {
		if !goshm.IsKind(err, goshm.KindLayout) {
			t.Fatalf("Read(%d): size field %d past the end of %d bytes gave %d, %v; want KindLayout", typ, size, len(img), n, err)
		}
		return
	}
	if err != nil || n != int(size) || flags != img[0] {
		t.Fatalf("Read(%d) = %d, %#x, %v; want %d, %#x, nil", typ, n, flags, err, size, img[0])
	}
	if n <= dstLen {
		if !bytes.Equal(dst[:n], img[dataAt:dataAt+n]) {
			t.Fatalf("Read(%d) copied %x, want %x", typ, dst[:n], img[dataAt:dataAt+n])
		}
	} else if !bytes.Equal(dst, bytes.Repeat([]byte{sentinel}, dstLen)) {
		t.Fatalf("Read(%d) into a %d-byte dst for a %d-byte payload copied %x", typ, dstLen, n, dst)
	}
}
