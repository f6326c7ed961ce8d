// Tests of the stream layouts, their error cases and the segment semantics of SPEC §2.3 and §4.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// ---- layouts ------------------------------------------------------------------------------------

// SPEC §2.1: each write toggles kMemoryChanged and sets its own type bit (clearing the previous
// one), in every layout, since peers of all three versions poll that byte.
func TestFlagsToggle(t *testing.T) {
	steps := []struct {
		typ   uint8
		p     []byte
		flags uint8
	}{
		{goshm.TypeString, []byte("one"), 0b011},
		{goshm.TypeString, []byte("two"), 0b010},
		{goshm.TypeFloat, f32bytes(1.5), 0b101},
		{goshm.TypeDouble, f64bytes(2.5), 0b1000},
		{goshm.TypeString, []byte(""), 0b011},
	}
	for _, l := range allLayouts {
		t.Run(l.String(), func(t *testing.T) {
			s := create(t, segName(t, ""), 128, l)
			if f, err := s.Flags(); err != nil || f != 0 {
				t.Fatalf("fresh segment: Flags() = %#b, %v; want 0", f, err)
			}
			for i, st := range steps {
				mustWrite(t, s, st.typ, st.p)
				f, err := s.Flags()
				if err != nil || f != st.flags {
					t.Fatalf("after write %d: Flags() = %#b, %v; want %#b", i+1, f, err, st.flags)
				}
				got, rf := mustRead(t, s, st.typ)
				if !bytes.Equal(got, st.p) || rf != st.flags {
					t.Fatalf("after write %d: Read = %x, flags %#b; want %x, %#b", i+1, got, rf, st.p, st.flags)
				}
			}
		})
	}
}

// Layout v0 places the size and payload by element-typed indexing (SPEC §3.3); check the bytes
// themselves, since a reader that agrees with our own writer proves nothing about the C++ one.
func TestV0Offsets(t *testing.T) {
	tests := []struct {
		name   string
		typ    uint8
		p      []byte
		sizeAt int
		dataAt int
	}{
		{"string", goshm.TypeString, []byte("abc"), 1, 5},
		{"float32", goshm.TypeFloat, f32bytes(1.5, -2), 4, 20},
		{"float64", goshm.TypeDouble, f64bytes(math.Pi), 8, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := segName(t, "")
			s := create(t, name, 64, goshm.LayoutV0)
			mustWrite(t, s, tc.typ, tc.p)
			want := make([]byte, 64)
			want[0] = goshm.FlagChanged | tc.typ
			binary.LittleEndian.PutUint32(want[tc.sizeAt:], uint32(len(tc.p)))
			copy(want[tc.dataAt:], tc.p)
			if got := fileBytes(t, name); !bytes.Equal(got, want) {
				t.Fatalf("segment\n got %x\nwant %x", got, want)
			}
		})
	}
}

// Capacity is the segment minus the header (minus the typed offset in v0); a payload of exactly
// that size must round-trip, and one byte more must be refused without touching the segment
// (SPEC §2.3: nothing in the segment is changed by a call that throws).
func TestCapacityAndTooLarge(t *testing.T) {
	const size = 96
	for _, l := range allLayouts {
		for _, typ := range payloadTypes {
			t.Run(fmt.Sprintf("%s-type%d", l, typ), func(t *testing.T) {
				name := segName(t, "")
				s := create(t, name, size, l)
				_, dataAt := offsets(l, typ)
				want := size - dataAt
				if c := s.Capacity(typ); c != want {
					t.Fatalf("Capacity(%d) = %d, want %d", typ, c, want)
				}

				full := bytes.Repeat([]byte{0xA5}, want)
				full[0], full[len(full)-1] = 0x11, 0x22 // make the ends distinguishable
				mustWrite(t, s, typ, full)
				got, _ := mustRead(t, s, typ)
				if !bytes.Equal(got, full) {
					t.Fatalf("payload filling the segment read back as %x", got)
				}

				before := fileBytes(t, name)
				err := s.Write(typ, make([]byte, want+1))
				e := wantKind(t, err, goshm.KindTooLarge)
				if e.Code() != "ERR_SHM_TOO_LARGE" || !strings.Contains(e.Msg, fmt.Sprint(want)) {
					t.Errorf("too-large error %q (code %s) should name the limit %d", e.Msg, e.Code(), want)
				}
				if after := fileBytes(t, name); !bytes.Equal(before, after) {
					t.Fatalf("a refused write changed the segment\nbefore %x\n after %x", before, after)
				}
			})
		}
	}
}

// A size field pointing past the end (another process's garbage, or a segment opened with the
// wrong layout) must be a KindLayout error, never an out-of-bounds read or a panic.
func TestSizeFieldPastEnd(t *testing.T) {
	const size = 64
	for _, l := range allLayouts {
		for _, typ := range payloadTypes {
			if l != goshm.LayoutV0 && typ != goshm.TypeString {
				continue // outside v0 the type does not move the fields
			}
			sizeAt, dataAt := offsets(l, typ)
			for _, bad := range []uint32{uint32(size-dataAt) + 1, 1 << 31, math.MaxUint32} {
				t.Run(fmt.Sprintf("%s-type%d-%d", l, typ, bad), func(t *testing.T) {
					name := segName(t, "")
					img := make([]byte, size)
					img[0] = goshm.FlagChanged | typ
					binary.LittleEndian.PutUint32(img[sizeAt:], bad)
					plant(t, name, img)
					s := attach(t, name, goshm.StreamOptions{Layout: l})
					for _, dst := range [][]byte{nil, make([]byte, 8), make([]byte, 1<<16)} {
						n, _, err := s.Read(typ, dst)
						wantKind(t, err, goshm.KindLayout)
						if n != 0 {
							t.Errorf("Read returned size %d with its layout error", n)
						}
					}
				})
			}
		}
	}
}

// In v0 a Float64Array payload starts at byte 40: a smaller segment cannot hold one, and reading
// it must say so rather than index past the mapping. The other types still work.
func TestV0SegmentTooSmallForDouble(t *testing.T) {
	name := segName(t, "")
	plant(t, name, make([]byte, 32))
	s := attach(t, name, goshm.StreamOptions{Layout: goshm.LayoutV0})
	_, _, err := s.Read(goshm.TypeDouble, make([]byte, 64))
	wantKind(t, err, goshm.KindLayout)
	for _, typ := range []uint8{goshm.TypeString, goshm.TypeFloat} {
		if n, _, err := s.Read(typ, make([]byte, 64)); err != nil || n != 0 {
			t.Errorf("Read(%d) on a zeroed 32-byte v0 segment = %d, %v; want 0, nil", typ, n, err)
		}
	}
	if c := s.Capacity(goshm.TypeDouble); c != 0 {
		t.Errorf("Capacity(double) = %d, want 0", c)
	}
	wantKind(t, s.Write(goshm.TypeDouble, nil), goshm.KindTooLarge)
}

// Read with a dst too small reports the size so the caller can grow dst, and copies nothing (a
// partial copy would look like a valid shorter message).
func TestReadSmallDst(t *testing.T) {
	msg := []byte("hello, shared world")
	for _, l := range allLayouts {
		t.Run(l.String(), func(t *testing.T) {
			s := create(t, segName(t, ""), 128, l)
			mustWrite(t, s, goshm.TypeString, msg)
			dst := bytes.Repeat([]byte{'x'}, len(msg)-1)
			n, f, err := s.Read(goshm.TypeString, dst)
			if err != nil || n != len(msg) || f != 0b011 {
				t.Fatalf("Read(small) = %d, %#b, %v; want %d, 0b11, nil", n, f, err, len(msg))
			}
			if !bytes.Equal(dst, bytes.Repeat([]byte{'x'}, len(msg)-1)) {
				t.Fatalf("Read into a too-small dst copied %q", dst)
			}
			exact := make([]byte, len(msg))
			if n, _, err := s.Read(goshm.TypeString, exact); err != nil || n != len(msg) || !bytes.Equal(exact, msg) {
				t.Fatalf("Read(exact) = %d %q, %v", n, exact, err)
			}
		})
	}
}

func TestUseAfterClose(t *testing.T) {
	for _, l := range allLayouts {
		t.Run(l.String(), func(t *testing.T) {
			s := create(t, segName(t, ""), 64, l)
			mustWrite(t, s, goshm.TypeString, []byte("x"))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			e := wantKind(t, s.Write(goshm.TypeString, []byte("y")), goshm.KindClosed)
			if e.Code() != "ERR_SHM_CLOSED" {
				t.Errorf("Code() = %q", e.Code())
			}
			_, _, err := s.Read(goshm.TypeString, make([]byte, 8))
			wantKind(t, err, goshm.KindClosed)
			_, err = s.Flags()
			wantKind(t, err, goshm.KindClosed)
			if c := s.Capacity(goshm.TypeString); c != 0 {
				t.Errorf("Capacity after Close = %d, want 0", c)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// A stream over a read-only mapping (OpenOptions.ReadOnly) reads like any other. A Write on it
// must be refused with an error that says so, and change nothing; the store must not simply be
// let fault, which reports KindFault ("truncated or removed by another process?") for what is
// the caller's mistake.
func TestReadOnlyStream(t *testing.T) {
	for _, l := range allLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name := segName(t, "")
			w := create(t, name, 64, l)
			mustWrite(t, w, goshm.TypeString, []byte("hello"))
			r, err := goshm.OpenStream(name, goshm.OpenOptions{ReadOnly: true}, goshm.StreamOptions{Layout: l})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got, _ := mustRead(t, r, goshm.TypeString); string(got) != "hello" {
				t.Fatalf("read-only Read = %q", got)
			}
			before := fileBytes(t, name)
			err = r.Write(goshm.TypeString, []byte("nope"))
			if err == nil {
				t.Fatal("Write on a read-only stream succeeded")
			}
			if after := fileBytes(t, name); !bytes.Equal(before, after) {
				t.Fatalf("a refused write changed the segment\nbefore %x\n after %x", before, after)
			}
			e, ok := goshm.AsError(err)
			if !ok {
				t.Fatalf("error %q is a %T", err, err)
			}
			if e.Kind != goshm.KindUnsupported {
				t.Errorf("Write on a read-only stream: kind %d (%s) %q; want KindUnsupported", e.Kind, e.Code(), e.Msg)
			}
		})
	}
}

// ---- segment semantics --------------------------------------------------------------------------

// SPEC §4 Creation: a writer attaches to an existing segment (so readers already attached keep
// seeing it), grows it when it is too small, and never shrinks it.
func TestCreateExistingAttaches(t *testing.T) {
	name := segName(t, "")
	w, err := goshm.OpenStream(name, goshm.OpenOptions{Size: 128, Create: true}, v2opts)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Segment().Created() {
		t.Error("first open with Create: Created() = false")
	}
	mustWrite(t, w, goshm.TypeString, []byte("keep me"))
	// A reader attached before the second writer arrives must see that writer's data.
	r := attach(t, name, v2opts)
	w.Close()

	steps := []struct {
		size     int64
		mapped   int
		fileSize int64
	}{
		{128, 128, 128}, // same size: plain attach
		{256, 256, 256}, // larger: grown
		{64, 64, 256},   // smaller: mapped as asked, the segment keeps its 256 bytes
	}
	for _, st := range steps {
		s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: st.size, Create: true}, v2opts)
		if err != nil {
			t.Fatalf("Create on existing segment, size %d: %v", st.size, err)
		}
		if s.Segment().Created() {
			t.Errorf("size %d: Created() = true for an existing segment", st.size)
		}
		if s.Segment().Size() != st.mapped {
			t.Errorf("size %d: mapped %d bytes, want %d", st.size, s.Segment().Size(), st.mapped)
		}
		if fi, err := os.Stat(shmPath(name)); err != nil || fi.Size() != st.fileSize {
			t.Errorf("size %d: segment file is %v bytes (%v), want %d", st.size, fi.Size(), err, st.fileSize)
		}
		if got, _ := mustRead(t, s, goshm.TypeString); string(got) != "keep me" {
			t.Errorf("size %d: existing payload read as %q", st.size, got)
		}
		s.Close()
	}

	w2 := create(t, name, 128, goshm.LayoutV2)
	mustWrite(t, w2, goshm.TypeString, []byte("seen by old reader"))
	if got, _ := mustRead(t, r, goshm.TypeString); string(got) != "seen by old reader" {
		t.Errorf("reader attached before the second writer reads %q: the writer recreated the segment", got)
	}
}

// SPEC §4 Permissions: 0600 by default, or the Mode option, exactly, whatever the umask.
func TestCreateMode(t *testing.T) {
	tests := []struct {
		mode, umask, want uint32
	}{
		{0, 0, 0o600},
		{0, 0o077, 0o600},
		{0o640, 0o077, 0o640},
		{0o640, 0, 0o640},
		{0o666, 0o022, 0o666},
		{0o400, 0o022, 0o400},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("mode%o-umask%o", tc.mode, tc.umask), func(t *testing.T) {
			// The umask is per process; no test of this package runs in parallel, so setting it
			// here cannot leak into another test's files.
			old := syscall.Umask(int(tc.umask))
			defer syscall.Umask(old)
			name := segName(t, "")
			seg, err := goshm.Open(name, goshm.OpenOptions{Size: 64, Create: true, Mode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer seg.Close()
			fi, err := os.Stat(shmPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if got := uint32(fi.Mode().Perm()); got != tc.want {
				t.Errorf("segment mode %o, want %o", got, tc.want)
			}
		})
	}

	// Mode is for created segments only: attaching must not change the owner's choice.
	name := segName(t, "attach")
	plant(t, name, make([]byte, 64))
	if err := os.Chmod(shmPath(name), 0o640); err != nil {
		t.Fatal(err)
	}
	seg, err := goshm.Open(name, goshm.OpenOptions{Size: 64, Create: true, Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	seg.Close()
	if fi, err := os.Stat(shmPath(name)); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("attaching changed the mode of an existing segment to %v (%v)", fi.Mode().Perm(), err)
	}
}

// SPEC §2.3: the OS's refusal surfaces as the errno, its name as Code(), and the segment name.
func TestOpenMissing(t *testing.T) {
	name := segName(t, "")
	_, err := goshm.OpenStream(name, goshm.OpenOptions{}, v2opts)
	e := wantKind(t, err, goshm.KindOS)
	if e.Errno != syscall.ENOENT || e.Code() != "ENOENT" {
		t.Errorf("Errno %v, Code() %q; want ENOENT", e.Errno, e.Code())
	}
	if !errors.Is(err, syscall.ENOENT) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("errors.Is(%v, ENOENT / os.ErrNotExist) is false: Unwrap should give the errno", err)
	}
	if e.Segment != name || !strings.Contains(e.Msg, name) {
		t.Errorf("error %q (Segment %q) does not name the segment %q", e.Msg, e.Segment, name)
	}
	if e.Syscall == "" {
		t.Error("Syscall is empty")
	}
	if _, err := os.Stat(shmPath(name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening without Create made the segment: %v", err)
	}
}

// SPEC §4 Sizes: a reader without a size maps the real size; one asking for more is refused
// instead of mapping past the end (which would SIGBUS on first touch).
func TestReaderSize(t *testing.T) {
	name := segName(t, "")
	create(t, name, 1000, goshm.LayoutV2)
	tests := []struct {
		size   int64
		mapped int
		kind   goshm.Kind
	}{
		{0, 1000, goshm.KindOK},
		{1000, 1000, goshm.KindOK},
		{100, 100, goshm.KindOK},
		{1001, 0, goshm.KindSize},
		{1 << 40, 0, goshm.KindSize},
		{-1, 0, goshm.KindArg},
	}
	for _, tc := range tests {
		s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: tc.size}, v2opts)
		if tc.kind != goshm.KindOK {
			wantKind(t, err, tc.kind)
			continue
		}
		if err != nil {
			t.Fatalf("Size %d: %v", tc.size, err)
		}
		if s.Segment().Size() != tc.mapped {
			t.Errorf("Size %d: mapped %d bytes, want %d", tc.size, s.Segment().Size(), tc.mapped)
		}
		s.Close()
	}
}

// An empty segment file (created by someone who has not sized it yet) or one smaller than the
// layout's header cannot carry a stream.
func TestOpenTooSmallForHeader(t *testing.T) {
	tests := []struct {
		layout goshm.Layout
		size   int
		kind   goshm.Kind
	}{
		{goshm.LayoutV2, 0, goshm.KindSize},
		{goshm.LayoutV2, 19, goshm.KindLayout},
		{goshm.LayoutV1, 4, goshm.KindLayout},
		{goshm.LayoutV0, 4, goshm.KindLayout},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-%d", tc.layout, tc.size), func(t *testing.T) {
			name := segName(t, "")
			plant(t, name, make([]byte, tc.size))
			_, err := goshm.OpenStream(name, goshm.OpenOptions{}, goshm.StreamOptions{Layout: tc.layout})
			wantKind(t, err, tc.kind)
		})
	}
	_, err := goshm.OpenStream(segName(t, "bad-layout"), goshm.OpenOptions{Size: 64, Create: true},
		goshm.StreamOptions{Layout: 3})
	wantKind(t, err, goshm.KindArg)
}

// A writer asking for a segment too small for its layout's header is bad input: the call fails,
// and (SPEC §2.3, a call that throws changes nothing) must not leave a new segment behind.
func TestCreateTooSmallLeavesNoSegment(t *testing.T) {
	name := segName(t, "")
	_, err := goshm.OpenStream(name, goshm.OpenOptions{Size: 10, Create: true}, goshm.StreamOptions{Layout: goshm.LayoutV2})
	if err == nil {
		t.Fatal("a 10-byte v2 segment was accepted")
	}
	if _, serr := os.Stat(shmPath(name)); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("OpenStream failed (%v) but left the segment it created behind (stat: %v)", err, serr)
	}
}

// libsharedmemory's persistent == false: the name goes on Close, for readers and writers alike,
// and a name already removed by the other side is not an error.
func TestUnlinkOnClose(t *testing.T) {
	t.Run("writer", func(t *testing.T) {
		name := segName(t, "")
		s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: 64, Create: true, Unlink: true}, v2opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(shmPath(name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("segment still there after Close with Unlink: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("reader", func(t *testing.T) {
		name := segName(t, "")
		w := create(t, name, 64, goshm.LayoutV2)
		r, err := goshm.OpenStream(name, goshm.OpenOptions{Unlink: true}, v2opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(shmPath(name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("segment still there after the reader's Close with Unlink: %v", err)
		}
		// The writer's mapping outlives the name.
		mustWrite(t, w, goshm.TypeString, []byte("still mapped"))
	})
	t.Run("already gone", func(t *testing.T) {
		name := segName(t, "")
		s, err := goshm.OpenStream(name, goshm.OpenOptions{Size: 64, Create: true, Unlink: true}, v2opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := goshm.Unlink(name); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close after someone else unlinked: %v", err)
		}
	})
}

// Names are checked before any system call (SPEC §4), so a bad one never creates a file, never
// escapes /dev/shm ("a/b", ".."), and never reaches the OS truncated at a NUL.
func TestNameValidation(t *testing.T) {
	prefix := segName(t, "") // unique, so we can look for anything a bad name might have created
	long := prefix + strings.Repeat("n", goshm.MaxNameLen+1-len(prefix))
	tests := []struct {
		name, why string
	}{
		{"", "empty"},
		{long, "256 bytes"},
		{prefix + "/x", "contains '/'"},
		{"/" + prefix, "leading '/'"},
		{prefix + "\x00x", "contains NUL"},
		{".", "dot"},
		{"..", "dot-dot"},
	}
	for _, tc := range tests {
		t.Run(tc.why, func(t *testing.T) {
			_, err := goshm.Open(tc.name, goshm.OpenOptions{Size: 64, Create: true})
			wantKind(t, err, goshm.KindArg)
			_, err = goshm.OpenStream(tc.name, goshm.OpenOptions{Size: 64, Create: true}, v2opts)
			wantKind(t, err, goshm.KindArg)
			want := wantKind(t, goshm.ValidateName(tc.name), goshm.KindArg)
			wantKind(t, goshm.Unlink(tc.name), goshm.KindArg)
			// Queues leave the check to Open, before anything is looked at or created.
			for _, o := range []goshm.OpenOptions{{Create: true}, {}} {
				_, err = goshm.OpenQueue(tc.name, o, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 2, MaxMessageSize: 8})
				if e := wantKind(t, err, goshm.KindArg); e.Msg != want.Msg {
					t.Errorf("OpenQueue (create %v): %q; want ValidateName's %q", o.Create, e.Msg, want.Msg)
				}
			}
		})
	}
	entries, err := os.ReadDir(shmDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			t.Errorf("a rejected name created /dev/shm/%s", e.Name())
		}
	}

	// The limit itself is allowed: NAME_MAX is 255.
	ok := prefix + strings.Repeat("n", goshm.MaxNameLen-len(prefix))
	t.Cleanup(func() { os.Remove(shmPath(ok)) })
	seg, err := goshm.Open(ok, goshm.OpenOptions{Size: 64, Create: true})
	if err != nil {
		t.Fatalf("a %d-byte name was refused: %v", len(ok), err)
	}
	seg.Close()
}

// Sizes of a new segment are checked before anything is created, too.
func TestCreateSizeValidation(t *testing.T) {
	for _, size := range []int64{0, -1} {
		name := segName(t, fmt.Sprint(size))
		_, err := goshm.Open(name, goshm.OpenOptions{Size: size, Create: true})
		wantKind(t, err, goshm.KindArg)
		if _, err := os.Stat(shmPath(name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("size %d: refused, but the segment was created", size)
		}
	}
}
